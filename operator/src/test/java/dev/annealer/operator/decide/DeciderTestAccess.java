package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.progress.ProgressReport;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Duration;

import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;

/** FineTuneJobs in named states, as {@code decide()} leaves them (status fixtures for the GitOps tools' tests). */
public final class DeciderTestAccess {

    private DeciderTestAccess() {
    }

    public static FineTuneJob jobIn(String state) {
        DeciderTest.World w = switch (state) {
            case "pending" -> {
                DeciderTest.World x = new DeciderTest.World();
                x.decide();
                yield x;
            }
            case "gated" -> {
                DeciderTest.World x = new DeciderTest.World();
                x.decide();
                x.pod(pod().unscheduled()).decide();
                yield x;
            }
            case "rejected" -> {
                DeciderTest.World x = new DeciderTest.World();
                x.job.getSpec().getSchedule().setMaxCycles(9L);
                x.decide();
                yield x;
            }
            case "running" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.obs = x.obs.withProgress(new ProgressReport(x.job.getMetadata().getUid(), 1, 4321L, 1.5, 1L, 1321L,
                        4000L, 2.1e-4, 0.25, 0.3, 100.0, 600.0, null, null, null));
                x.decide();
                yield x;
            }
            case "generation-not-observed" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.job.getMetadata().setGeneration(2L);
                yield x;
            }
            case "preempted" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.pod(pod().deleting(T0).disruption("PreemptionByScheduler").exited(75, "Error",
                        "checkpointed after preemption: step=5 checkpoint=step-000000000005")).decide();
                yield x;
            }
            case "backing-off" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.pod(pod().exited(1, "Error", "failed: reason=Crash boom")).decide();
                yield x;
            }
            case "suspending" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.job.getSpec().setSuspend(true);
                x.decide();
                yield x;
            }
            case "suspended" -> {
                DeciderTest.World x = new DeciderTest.World();
                x.job.getSpec().setSuspend(true);
                x.decide();
                yield x;
            }
            case "pod-refused" -> {
                DeciderTest.World x = new DeciderTest.World();
                Decision d = Decider.decide(x.job, x.obs, T0);
                x.job.setStatus(PodCreateRejection.apply(x.job, d, new PodCreateRejection.Rejected(
                        x.job.getMetadata().getName() + "-1", 403, "pods \"ft-1\" is forbidden: exceeded quota: gpu"),
                        T0, Duration.ofMinutes(1)).status());
                yield x;
            }
            case "succeeded" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.pod(pod().exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=a "
                        + "loss=0.04")).at(Duration.ofMinutes(5)).decide();
                yield x;
            }
            case "failed" -> {
                DeciderTest.World x = DeciderTest.World.running();
                x.pod(pod().exited(2, "Error", "failed: reason=InvalidSpec spec.data.train is empty")).decide();
                yield x;
            }
            default -> throw new IllegalArgumentException("no state " + state);
        };
        return Serialization.clone(w.job);
    }
}
