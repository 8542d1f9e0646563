package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator is SIGKILLed mid-job and started again: the trainer keeps running, the new operator process (after
 * the dead leader's lease expires) adopts the running attempt instead of creating another pod, status continues from
 * where it was, and the job Succeeds with the same parameters as an uninterrupted run.
 */
@ExtendWith(E2eExtension.class)
class OperatorRestartE2E {

    @Test
    void operatorKilledAndRestartedMidJobAdoptsTheRunningAttempt(E2eEnvironment env) throws Exception {
        KubernetesClient c = env.client();
        String ns = env.namespace("e2e-operator-restart");
        String job = "restart";
        Jobs.apply(env, ns, Jobs.shortQuickstart(env.root(), job));
        env.await("attempt 1 training, status.step >= 150", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 150);
        long stepAtKill = statusLong(env.job(ns, job).get(), "step");
        String jobYaml = c.configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");

        env.killOperator();
        assertThat(env.operatorAlive()).isFalse();
        // The trainer does not need the operator: it keeps training while no operator runs.
        env.await("trainer still running without the operator", Duration.ofSeconds(30), ns, job,
                () -> TrainerLog.parse(env.podLogText(ns, job + "-1")).steps().stream()
                        .anyMatch(s -> s.step() > stepAtKill));
        env.startOperator();

        env.await("status continues past step " + stepAtKill, Duration.ofMinutes(3), ns, job, () -> {
            GenericKubernetesResource j = env.job(ns, job).get();
            return statusLong(j, "step") > stepAtKill && env.operatorAlive();
        });
        assertThat(c.pods().inNamespace(ns).list().getItems()).as("pods after the restart").hasSizeLessThanOrEqualTo(1);
        env.await("job Succeeded", Duration.ofMinutes(5), ns, job, () -> {
            Object phase = status(env.job(ns, job).get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("job Failed:\n" + env.dump(ns, job));
            }
            return "Succeeded".equals(phase);
        });
        GenericKubernetesResource done = env.job(ns, job).get();
        assertThat(env.podsEverSeen(ns, job + "-")).as("no duplicate pod: one attempt").containsExactly(job + "-1");
        assertThat(statusLong(done, "attempt")).isEqualTo(1);
        assertThat(statusLong(done, "preemptions")).isZero();
        assertThat(statusLong(done, "failures")).isZero();
        assertThat(statusLong(done, "step")).isEqualTo(Jobs.SHORT_STEPS);

        TrainerLog ref = env.uninterrupted("short-quickstart", jobYaml);
        TrainerLog attempt = TrainerLog.parse(env.podLogText(ns, job + "-1"));
        RunComparison.Result r = RunComparison.compare(List.of(attempt),
                TrainerLog.field(String.valueOf(status(done, "lastTerminationMessage")), "paramsSha256").orElse(null), ref);
        assertThat(r.differences()).isEmpty();
        assertThat(r.paramsMatch()).isTrue();
    }
}
