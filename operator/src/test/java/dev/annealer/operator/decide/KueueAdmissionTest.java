package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.observe.WorkloadSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;

/** A job queued through Kueue, as one Workload for its whole life: admission, eviction, re-admission, the end. */
class KueueAdmissionTest {

    private static final String CKPT = "checkpointed after preemption: step=1200 checkpoint=step-000000001200";
    private static final String WL = "finetunejob-ft-abcde";
    private static final String NO_QUOTA = "couldn't assign flavors to pod set trainer: insufficient unused quota for "
            + "nvidia.com/gpu in flavor gpu, 1 more needed";

    static WorkloadSnapshot pending() {
        return new WorkloadSnapshot(WL, false, false, Optional.empty(), false,
                Optional.of(new WorkloadSnapshot.Condition("Pending", NO_QUOTA)), Optional.empty(), Map.of());
    }

    static WorkloadSnapshot admitted() {
        return new WorkloadSnapshot(WL, true, true, Optional.empty(), false, Optional.empty(), Optional.of("gpus"),
                Map.of("gpu.example/model", "a100"));
    }

    static WorkloadSnapshot evicted(boolean stillReserved) {
        return new WorkloadSnapshot(WL, stillReserved, stillReserved, Optional.of(new WorkloadSnapshot.Condition(
                "Preempted", "Preempted to accommodate a workload (UID: u2) due to prioritization in the ClusterQueue")),
                false, Optional.empty(), Optional.empty(), Map.of());
    }

    static DeciderTest.World queued() {
        DeciderTest.World w = new DeciderTest.World();
        w.job.getMetadata().setLabels(new java.util.HashMap<>(Map.of(FineTuneJob.KUEUE_QUEUE_LABEL, "team-a")));
        w.obs = w.obs.withKueue(Optional.empty());
        return w;
    }

    @Test
    void noPodUntilKueueAdmitsTheWorkloadThenThePodGetsTheFlavorsNodeLabels() {
        DeciderTest.World w = queued();
        Decision first = w.decide();
        assertThat(first.actions()).contains(new Action.CreateWorkload()).noneMatch(a -> a instanceof Action.CreatePod);
        assertThat(first.status().getPhase()).isEqualTo(Phase.PENDING);
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.WAITING_FOR_ADMISSION);

        w.obs = w.obs.withKueue(Optional.of(pending()));
        Decision waiting = w.decide();
        assertThat(waiting.actions()).isEmpty();
        assertThat(waiting.status().getAttempt()).isZero();
        assertThat(w.condition(ConditionTypes.RUNNING).getMessage()).contains("not admitted by Kueue (Pending): " + NO_QUOTA);

        w.obs = w.obs.withKueue(Optional.of(admitted()));
        Decision start = w.decide();
        assertThat(start.actions()).containsExactly(new Action.CreatePod(1, Optional.empty(),
                Map.of("gpu.example/model", "a100")));
    }

    @Test
    void anEvictionStopsThePodGracefullyCountsAPreemptionReleasesTheQuotaAndResumesOnReadmission() {
        DeciderTest.World w = queued();
        w.decide();
        w.obs = w.obs.withKueue(Optional.of(admitted()));
        w.decide();
        w.pod(pod()).decide();
        assertThat(w.job.getStatus().getPhase()).isEqualTo(Phase.RUNNING);

        w.obs = w.obs.withKueue(Optional.of(evicted(true)));
        Decision stop = w.at(Duration.ofMinutes(1)).decide();
        assertThat(stop.actions()).singleElement().isInstanceOfSatisfying(Action.DeletePod.class,
                d -> assertThat(d.graceSeconds()).isPositive());
        assertThat(stop.events()).extracting(JobEvent::reason).containsExactly(Reasons.EVICTED_BY_KUEUE);
        assertThat(stop.status().getPreemptions()).isZero();
        // the pod terminates: no second delete, no second event
        w.pod(pod().deleting(Pods.T0.plus(Duration.ofMinutes(1))));
        assertThat(w.decide().actions()).isEmpty();

        Decision ended = w.pod(pod().deleting(Pods.T0.plus(Duration.ofMinutes(1))).exited(75, "Error", CKPT))
                .at(Duration.ofMinutes(2)).decide();
        assertThat(ended.status().getPreemptions()).isEqualTo(1);
        assertThat(ended.status().getFailures()).isZero();
        assertThat(ended.accountedEnding()).get().extracting(PodEnding::kind).isEqualTo(PodEnding.Kind.PREEMPTION);
        assertThat(ended.actions()).containsExactly(new Action.ReleaseWorkloadQuota(WL, "Preempted",
                evicted(true).evicted().orElseThrow().message()));
        assertThat(ended.status().getStep()).isEqualTo(1200);
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.WAITING_FOR_ADMISSION);
        assertThat(w.condition(ConditionTypes.FAILED).getStatus()).isEqualTo("False");

        w.obs = w.obs.withKueue(Optional.of(evicted(false)));
        Decision waits = w.decide();
        assertThat(waits.actions()).isEmpty();
        assertThat(waits.status().getAttempt()).isEqualTo(1);
        assertThat(waits.status().getPhase()).isEqualTo(Phase.PENDING);

        w.obs = w.obs.withKueue(Optional.of(admitted()));
        Decision resumed = w.at(Duration.ofMinutes(5)).decide();
        assertThat(resumed.actions()).singleElement().isInstanceOfSatisfying(Action.CreatePod.class,
                c -> assertThat(c.attempt()).isEqualTo(2));
        assertThat(resumed.events()).extracting(JobEvent::reason).containsExactly(Reasons.RESUMED);
        assertThat(resumed.status().getPreemptions()).isEqualTo(1);
    }

    @Test
    void theWorkloadIsMarkedFinishedOnceWhenTheJobEnds() {
        DeciderTest.World w = queued();
        w.decide();
        w.obs = w.obs.withKueue(Optional.of(admitted()));
        w.decide();
        w.pod(pod()).decide();
        Decision done = w.pod(pod().exited(0, "Completed", "succeeded: step=2000 checkpoint=step-000000002000"))
                .at(Duration.ofMinutes(30)).decide();
        assertThat(done.status().getPhase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(done.actions()).filteredOn(a -> a instanceof Action.FinishWorkload).singleElement()
                .isInstanceOfSatisfying(Action.FinishWorkload.class, f -> {
                    assertThat(f.name()).isEqualTo(WL);
                    assertThat(f.succeeded()).isTrue();
                });
        w.obs = w.obs.withKueue(Optional.of(new WorkloadSnapshot(WL, true, true, Optional.empty(), true,
                Optional.empty(), Optional.empty(), Map.of())));
        assertThat(w.decide().actions()).noneMatch(a -> a instanceof Action.FinishWorkload);
    }

    @Test
    void withoutKueueTheQueueLabelChangesNothing() {
        DeciderTest.World w = new DeciderTest.World();
        w.job.getMetadata().setLabels(new java.util.HashMap<>(Map.of(FineTuneJob.KUEUE_QUEUE_LABEL, "team-a")));
        assertThat(w.decide().actions()).contains(new Action.CreatePod(1, Optional.empty()))
                .noneMatch(a -> a instanceof Action.CreateWorkload);
    }

    @Test
    void aWorkloadThatLostItsReservationStopsTheRunningPod() {
        DeciderTest.World w = queued();
        w.decide();
        w.obs = w.obs.withKueue(Optional.of(admitted()));
        w.decide();
        w.pod(pod()).decide();
        w.obs = w.obs.withKueue(Optional.of(pending()));
        assertThat(w.decide().actions()).singleElement().isInstanceOf(Action.DeletePod.class);
    }
}
