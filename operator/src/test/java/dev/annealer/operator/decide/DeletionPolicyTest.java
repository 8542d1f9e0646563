package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.ReclaimPolicy;
import dev.annealer.operator.Jobs;
import dev.annealer.operator.observe.Observation;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;

/** Deleting a job: stop the trainer gracefully, wait for it, keep a Retain PVC, then drop the finalizer. */
class DeletionPolicyTest {

    private final FineTuneJob job = Jobs.sgdr();

    private static Observation world(Pods pod, boolean pvcOwned) {
        Observation o = Observation.empty().withOwnedResources("v", true, pvcOwned, true);
        return pod == null ? o : o.withPod(pod.build());
    }

    @Test
    void aRunningTrainerIsStoppedWithItsOwnGracePeriodAndTheFinalizerStays() {
        DeletionPolicy.Verdict v = DeletionPolicy.decide(job, world(pod(), false));
        assertThat(v.actions()).containsExactly(new Action.StopPod("ft-1"));
        assertThat(v.done()).isFalse();
        assertThat(v.recheck()).isPresent();
    }

    @Test
    void aTerminatingTrainerIsWaitedForNotDeletedAgain() {
        DeletionPolicy.Verdict v = DeletionPolicy.decide(job, world(pod().deleting(T0), false));
        assertThat(v.actions()).isEmpty();
        assertThat(v.done()).isFalse();
    }

    @Test
    void aPendingPodIsStoppedToo() {
        assertThat(DeletionPolicy.decide(job, world(pod().waiting("ContainerCreating"), false)).actions())
                .containsExactly(new Action.StopPod("ft-1"));
    }

    @Test
    void onceTheTrainerExitedTheFinalizerGoesAndAnOwnedRetainPvcIsReleased() {
        DeletionPolicy.Verdict exited = DeletionPolicy.decide(job, world(pod().deleting(T0)
                .exited(75, "Error", "checkpointed after preemption: step=5 checkpoint=step-000000000005"), true));
        assertThat(exited.done()).isTrue();
        assertThat(exited.actions()).containsExactly(new Action.ReleaseCheckpointPvc());
        assertThat(exited.recheck()).isEqualTo(Optional.empty());
    }

    @Test
    void withoutSpecCheckpointTheDefaultRetainApplies() {
        job.getSpec().setCheckpoint(null);
        assertThat(DeletionPolicy.decide(job, world(null, true)).actions()).containsExactly(new Action.ReleaseCheckpointPvc());
    }

    @Test
    void anUnownedRetainPvcNeedsNothingAndDeleteLeavesTheOwnedPvcToTheGarbageCollector() {
        assertThat(DeletionPolicy.decide(job, world(null, false))).isEqualTo(new DeletionPolicy.Verdict(
                java.util.List.of(), true, Optional.empty()));
        job.getSpec().getCheckpoint().setReclaimPolicy(ReclaimPolicy.DELETE);
        assertThat(DeletionPolicy.decide(job, world(null, true)).actions()).isEmpty();
    }
}
