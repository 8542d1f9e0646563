package dev.annealer.operator.decide;

import dev.annealer.api.JobSchedules;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.operator.progress.ProgressReport;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.SchedulePosition;
import org.junit.jupiter.api.Test;

import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every status field describes the same step (issue 10 item 6): when status.step moves to a step no progress poll
 * reported (the SIGTERM checkpoint, the end of training), the schedule position and the epoch move with it.
 */
class StatusConsistencyTest {

    /** Running, with a progress report at step 4321 (1.5 epochs, cycle 1, step 1321 of 4000, lr 2.1e-4). */
    private static DeciderTest.World runningWithAPoll() {
        DeciderTest.World w = DeciderTest.World.running();
        w.obs = w.obs.withProgress(new ProgressReport(w.job.getMetadata().getUid(), 1, 4321L, 1.5, 1L, 1321L, 4000L,
                2.1e-4, 0.25, 0.3, 100.0, 600.0, null, null, null));
        w.decide();
        w.obs = w.obs.withProgress(null);
        assertThat(w.job.getStatus().getSchedule().getCycleStep()).isEqualTo(1321L);
        return w;
    }

    private static void assertPositionAt(DeciderTest.World w, long step) {
        FineTuneJobStatus s = w.job.getStatus();
        assertThat(s.getStep()).isEqualTo(step);
        SchedulePosition p = Schedule.of(JobSchedules.config(w.job.getSpec(), null)).position(step - 1);
        assertThat(s.getSchedule().getCycle()).as("cycle at step %d", step).isEqualTo(p.cycle());
        assertThat(s.getSchedule().getCycleStep()).as("cycleStep at step %d", step).isEqualTo(p.cycleStep());
        assertThat(s.getSchedule().getCycleLength()).as("cycleLength at step %d", step).isEqualTo(p.cycleLength());
        assertThat(s.getSchedule().getLearningRate()).as("learningRate at step %d", step).isEqualTo(p.learningRate());
        assertThat(s.getSchedule().getPhase()).isEqualTo(p.phase().name());
        assertThat(s.getEpoch()).as("epoch at step %d (1.5 epochs were 4321 steps)", step)
                .isCloseTo(1.5 * step / 4321, within(1e-9));
        assertThat(s.getDisplay().getLearningRate()).isEqualTo(String.format("%.2e", p.learningRate()));
    }

    @Test
    void atAPreemptionTheScheduleAndEpochDescribeTheCheckpointedStep() {
        DeciderTest.World w = runningWithAPoll();
        w.pod(pod().deleting(T0).disruption("PreemptionByScheduler").exited(75, "Error",
                "checkpointed after preemption: step=6100 checkpoint=step-000000006100")).decide();
        assertPositionAt(w, 6100);
    }

    @Test
    void atTheEndTheScheduleAndEpochDescribeTheLastStep() {
        DeciderTest.World w = runningWithAPoll();
        w.pod(pod().exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=a loss=0.04"))
                .decide();
        assertPositionAt(w, 20000);
        assertThat(w.job.getStatus().getLoss()).isEqualTo(0.04);
    }
}
