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
        Jobs.succeedsLikeUninterrupted(env, ns, job, jobYaml, Duration.ofMinutes(5));
    }
}
