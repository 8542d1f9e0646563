package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.annealer.e2e.E2eEnvironment.conditionReason;
import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No silent CPU fallback, end to end: a job asks for one GPU; kube-scheduler places it on the devcluster's node (which
 * advertises {@code nvidia.com/gpu}); the operator starts the trainer with {@code --device gpu}; the trainer (CPU-only
 * libtorch, no driver on this machine) fails at once with {@code NoGPU}, and the job's status names the reason and what
 * was requested and found. With {@code maxFailures: 0} the first such failure ends the job.
 */
@ExtendWith(E2eExtension.class)
class NoGpuE2E {

    @Test
    void gpuJobOnANodeWithoutUsableGpuFailsWithNoGpuInStatus(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-no-gpu");
        String job = "no-gpu";
        Map<String, Object> manifest = Jobs.shortQuickstart(env.root(), job);
        Jobs.spec(manifest, "resources").put("gpus", 1);
        Jobs.spec(manifest, "failurePolicy").put("maxFailures", 0);
        Jobs.apply(env, ns, manifest);

        env.await("job Failed", Duration.ofMinutes(3), ns, job,
                () -> "Failed".equals(status(env.job(ns, job).get(), "phase")));
        GenericKubernetesResource failed = env.job(ns, job).get();
        assertThat(conditionReason(failed, "Failed")).isEqualTo("NoGPU");
        assertThat(statusLong(failed, "failures")).isEqualTo(1);
        assertThat(statusLong(failed, "preemptions")).isZero();
        String message = String.valueOf(status(failed, "lastTerminationMessage"));
        assertThat(message).startsWith("failed: reason=NoGPU requested 1 GPU(s) (spec.resources.gpus=1, --device gpu) but ")
                .contains("sees 0 GPU(s)", "CUDA_VISIBLE_DEVICES=", "spec.resources.allowCpuFallback");

        Pod pod = env.lastSeen(ns, job + "-1");
        assertThat(pod.getSpec().getContainers().get(0).getResources().getLimits()).containsKey("nvidia.com/gpu");
        ContainerStateTerminated t = pod.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t.getExitCode()).isEqualTo(1);
        TrainerLog log = TrainerLog.parse(env.podLogText(ns, job + "-1"));
        assertThat(log.steps()).as("not one step on CPU").isEmpty();
        assertThat(env.podsEverSeen(ns, job + "-")).isEqualTo(List.of(job + "-1"));
    }
}
