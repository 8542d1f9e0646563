package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.Reasons;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;

/** Ready / Reconciling / Stalled through {@code decide()}, in each state of a job (table in KstatusConditions). */
class KstatusConditionsTest {

    private static void assertKstatus(DeciderTest.World w, String ready, String reconciling, String stalled) {
        assertThat(w.condition(ConditionTypes.READY).getStatus()).as("Ready").isEqualTo(ready);
        assertThat(w.condition(ConditionTypes.RECONCILING).getStatus()).as("Reconciling").isEqualTo(reconciling);
        assertThat(w.condition(ConditionTypes.STALLED).getStatus()).as("Stalled").isEqualTo(stalled);
        for (String t : ConditionTypes.ALL) {
            FineTuneJobCondition c = w.condition(t);
            assertThat(c.getObservedGeneration()).as(t + " observedGeneration")
                    .isEqualTo(w.job.getMetadata().getGeneration());
            assertThat(c.getReason()).as(t + " reason").isNotBlank();
        }
    }

    @Test
    void aPendingPodIsReconcilingThenARunningTrainerIsReady() {
        DeciderTest.World w = new DeciderTest.World();
        w.decide();
        assertKstatus(w, "False", "True", "False");
        assertThat(w.condition(ConditionTypes.RECONCILING).getReason()).isEqualTo(Reasons.POD_PENDING);
        w.pod(pod().unscheduled()).decide();
        assertThat(w.condition(ConditionTypes.RECONCILING).getMessage()).contains("Kueue");
        w.pod(pod()).decide();
        assertKstatus(w, "True", "False", "False");
        assertThat(w.condition(ConditionTypes.READY).getReason()).isEqualTo(Reasons.POD_RUNNING);
    }

    @Test
    void aRejectedSpecIsStalledWithTheAdmissionReason() {
        DeciderTest.World w = new DeciderTest.World();
        w.job.getSpec().getSchedule().setMaxCycles(9L);
        w.decide();
        assertKstatus(w, "False", "False", "True");
        assertThat(w.condition(ConditionTypes.STALLED).getReason()).isEqualTo(Reasons.SCHEDULE_EXCEEDS_BUDGET);
        assertThat(w.condition(ConditionTypes.STALLED).getMessage()).contains("spec.schedule.maxCycles");
        // fixing the spec (a new generation) un-stalls it
        w.job.getSpec().getSchedule().setMaxCycles(3L);
        w.job.getMetadata().setGeneration(2L);
        w.decide();
        assertKstatus(w, "False", "True", "False");
    }

    @Test
    void aPreemptionAndABackoffAreReconcilingNotStalled() {
        DeciderTest.World w = DeciderTest.World.running();
        w.pod(pod().deleting(T0).disruption("PreemptionByScheduler").exited(75, "Error",
                "checkpointed after preemption: step=5 checkpoint=step-000000000005")).decide();
        assertKstatus(w, "False", "True", "False");
        DeciderTest.World f = DeciderTest.World.running();
        f.pod(pod().exited(1, "Error", "failed: reason=Crash boom")).decide();
        assertKstatus(f, "False", "True", "False");
        assertThat(f.condition(ConditionTypes.RECONCILING).getReason()).isEqualTo(Reasons.BACKING_OFF);
    }

    @Test
    void suspendingIsReconcilingAndSuspendedIsSettled() {
        DeciderTest.World w = DeciderTest.World.running();
        w.job.getSpec().setSuspend(true);
        w.job.getMetadata().setGeneration(2L);
        w.decide();
        assertKstatus(w, "False", "True", "False");
        assertThat(w.condition(ConditionTypes.RECONCILING).getReason()).isEqualTo(Reasons.SUSPENDING);
        w.pod(pod().deleting(T0).exited(75, "Error", "checkpointed after preemption: step=5 checkpoint=step-000000000005"))
                .decide();
        assertKstatus(w, "False", "False", "False");
        assertThat(w.condition(ConditionTypes.READY).getReason()).isEqualTo(Reasons.SUSPEND_REQUESTED);
    }

    @Test
    void successIsReadyAndFailureIsStalled() {
        DeciderTest.World w = DeciderTest.World.running();
        w.pod(pod().exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=a loss=1"))
                .at(Duration.ofMinutes(5)).decide();
        assertKstatus(w, "True", "False", "False");
        assertThat(w.condition(ConditionTypes.READY).getReason()).isEqualTo(Reasons.TRAINING_COMPLETED);
        DeciderTest.World f = DeciderTest.World.running();
        f.pod(pod().exited(2, "Error", "failed: reason=InvalidSpec spec.data.train is empty")).decide();
        assertKstatus(f, "False", "False", "True");
        assertThat(f.condition(ConditionTypes.STALLED).getReason()).isEqualTo("InvalidSpec");
        assertThat(f.condition(ConditionTypes.STALLED).getMessage()).contains("spec.data.train is empty");
    }
}
