package dev.annealer.operator.decide;

import dev.annealer.api.JobSchedules;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.ScheduleStatus;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.SchedulePosition;
import dev.annealer.schedule.TrainingContext;

/**
 * Moves status.step to a step that no progress poll reported (the SIGTERM checkpoint, the end of training), and the
 * fields that describe a step with it, so every field describes the same step:
 * <ul>
 *   <li>{@code status.schedule} (cycle, cycleStep, cycleLength, cyclePeak, learningRate, phase) = the schedule's
 *       position at the last trained step {@code step - 1}, from the schedule itself (not with restartOnPlateau,
 *       whose restarts only the trainer knows, or a budget in epochs: those keep the last reported position);</li>
 *   <li>{@code status.epoch} scaled by {@code step / reportedStep} (the steps per epoch are fixed for a job).</li>
 * </ul>
 * The loss is the trainer's: the end of training reports it in the termination message.
 */
final class StatusAtStep {

    private StatusAtStep() {
    }

    static void moveTo(FineTuneJobSpec spec, FineTuneJobStatus s, long step) {
        Long reported = s.getStep();
        if (s.getEpoch() != null && reported != null && reported > 0 && reported != step) {
            s.setEpoch(s.getEpoch() * step / reported);
        }
        s.setStep(step);
        position(spec, step).ifPresent(p -> {
            ScheduleStatus sched = s.getSchedule() == null ? new ScheduleStatus() : s.getSchedule();
            sched.setCycle(p.cycle());
            sched.setCycleStep(p.cycleStep());
            sched.setCycleLength(p.cycleLength());
            sched.setCyclePeak(p.cyclePeak());
            sched.setLearningRate(p.learningRate());
            sched.setPhase(p.phase().name());
            s.setSchedule(sched);
        });
    }

    private static java.util.Optional<SchedulePosition> position(FineTuneJobSpec spec, long step) {
        if (step < 1 || (spec.getSchedule() != null && spec.getSchedule().getRestartOnPlateau() != null)) {
            return java.util.Optional.empty();
        }
        try {
            TrainingContext ctx = JobSchedules.context(spec, null);
            if (!ctx.hasTotalSteps()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(Schedule.of(JobSchedules.config(spec, null))
                    .position(Math.min(step, ctx.totalSteps()) - 1));
        } catch (RuntimeException e) {
            // the schedule was accepted at admission; if it cannot be rebuilt, keep the last reported position
            return java.util.Optional.empty();
        }
    }
}
