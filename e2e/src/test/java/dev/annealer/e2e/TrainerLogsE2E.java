package dev.annealer.e2e;

import dev.annealer.devcluster.CommandResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kubectl logs <job>-<attempt>} (the runbook's first step for a failed attempt) on the devcluster: the real
 * kubectl, through kube-apiserver, to the node agent's kubelet endpoint, for a running and for a finished trainer pod
 * (issue 15: it failed with {@code lookup devcluster-gpu-0: no such host}).
 */
@ExtendWith(E2eExtension.class)
class TrainerLogsE2E {

    @Test
    void kubectlLogsOfARunningAndAFinishedTrainerPod(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-logs");
        String job = "logs";
        String pod = job + "-1";
        Jobs.apply(env, ns, Jobs.shortQuickstart(env.root(), job));
        env.await("training, status.step >= 50", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 50
                        && "Running".equals(status(env.job(ns, job).get(), "phase")));

        CommandResult running = env.kubectl("logs", pod, "-n", ns);
        assertThat(running.ok()).as(running.describe()).isTrue();
        assertThat(running.stdout()).contains("event=step step=");
        // what kubectl shows is the trainer's own output (the node agent's file grows meanwhile)
        assertThat(env.podLogText(ns, pod)).startsWith(running.stdout());
        CommandResult tail = env.kubectl("logs", pod, "-n", ns, "--tail=1");
        assertThat(tail.ok()).as(tail.describe()).isTrue();
        assertThat(tail.stdout().lines().count()).isEqualTo(1);

        env.await("job Succeeded", Duration.ofMinutes(5), ns, job,
                () -> "Succeeded".equals(status(env.job(ns, job).get(), "phase")));
        CommandResult finished = env.kubectl("logs", pod, "-n", ns);
        assertThat(finished.ok()).as(finished.describe()).isTrue();
        assertThat(finished.stdout()).isEqualTo(env.podLogText(ns, pod))
                .contains("done step=" + Jobs.SHORT_STEPS + " paramsSha256=");
    }
}
