package dev.annealer.e2e;

import dev.annealer.devcluster.CommandResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.annealer.e2e.E2eEnvironment.conditionReason;
import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code spec.suspend: true} deletes the trainer pod gracefully (the trainer checkpoints on SIGTERM and exits 75),
 * the job becomes Suspended and nothing is counted; {@code false} creates the next attempt, which resumes at the
 * checkpointed step, and the job Succeeds with the parameters of an uninterrupted run.
 */
@ExtendWith(E2eExtension.class)
class SuspendResumeE2E {

    @Test
    void suspendCheckpointsAndResumeContinuesFromTheCheckpoint(E2eEnvironment env) throws Exception {
        KubernetesClient c = env.client();
        String ns = env.namespace("e2e-suspend");
        String job = "suspend";
        Jobs.apply(env, ns, Jobs.shortQuickstart(env.root(), job));
        env.await("attempt 1 training, status.step >= 150", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 150);
        String jobYaml = c.configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");

        patchSuspend(env, ns, job, true);
        env.await("Suspended with no pod", Duration.ofMinutes(2), ns, job,
                () -> "Suspended".equals(status(env.job(ns, job).get(), "phase"))
                        && c.pods().inNamespace(ns).list().getItems().isEmpty());
        ContainerStateTerminated t = env.lastSeen(ns, job + "-1").getStatus().getContainerStatuses().get(0)
                .getState().getTerminated();
        assertThat(t.getExitCode()).as("the trainer checkpointed on SIGTERM").isEqualTo(75);
        Matcher m = Pattern.compile("^checkpointed after preemption: step=(\\d+) checkpoint=step-\\d{12}$")
                .matcher(t.getMessage());
        assertThat(m.matches()).as("termination message %s", t.getMessage()).isTrue();
        long checkpointedAt = Long.parseLong(m.group(1));
        GenericKubernetesResource suspended = env.job(ns, job).get();
        assertThat(conditionReason(suspended, "Suspended")).isEqualTo("SuspendRequested");
        assertThat(statusLong(suspended, "preemptions")).as("a suspend is not a preemption").isZero();
        assertThat(statusLong(suspended, "failures")).isZero();
        Thread.sleep(3000);
        assertThat(c.pods().inNamespace(ns).list().getItems()).as("no pod while suspended").isEmpty();

        patchSuspend(env, ns, job, false);
        env.await("job Succeeded", Duration.ofMinutes(5), ns, job, () -> {
            Object phase = status(env.job(ns, job).get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("job Failed:\n" + env.dump(ns, job));
            }
            return "Succeeded".equals(phase);
        });
        GenericKubernetesResource done = env.job(ns, job).get();
        assertThat(env.podsEverSeen(ns, job + "-")).containsExactly(job + "-1", job + "-2");
        assertThat(statusLong(done, "preemptions")).isZero();
        assertThat(statusLong(done, "failures")).isZero();
        TrainerLog log1 = TrainerLog.parse(env.podLogText(ns, job + "-1"));
        TrainerLog log2 = TrainerLog.parse(env.podLogText(ns, job + "-2"));
        assertThat(log2.resumedAt()).as("resumed at the suspend checkpoint").hasValue(checkpointedAt);

        TrainerLog ref = env.uninterrupted("short-quickstart", jobYaml);
        RunComparison.Result r = RunComparison.compare(List.of(log1, log2),
                TrainerLog.field(String.valueOf(status(done, "lastTerminationMessage")), "paramsSha256").orElse(null), ref);
        assertThat(r.differences()).isEmpty();
        assertThat(r.lrContinuous()).isTrue();
        assertThat(r.paramsMatch()).isTrue();
    }

    private static void patchSuspend(E2eEnvironment env, String ns, String job, boolean suspend) {
        CommandResult r = env.kubectl("patch", "ftj", job, "-n", ns, "--type=merge",
                "-p", "{\"spec\":{\"suspend\":" + suspend + "}}");
        assertThat(r.ok()).as(r.describe()).isTrue();
    }
}
