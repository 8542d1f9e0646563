package dev.annealer.operator.decide;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import dev.annealer.schedule.SchedulePosition;
import dev.annealer.schedule.ScheduleValidationException;
import dev.annealer.schedule.TrainingContext;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Semantic checks CEL cannot express, run through the schedule engine before any pod exists.
 *
 * <ul>
 *   <li>The schedule engine must accept {@code spec.optimizer} + {@code spec.schedule}: else
 *       {@code Accepted=False, reason InvalidSchedule}, with the engine's "FIELD must ... (got VALUE): fix".</li>
 *   <li>With {@code spec.schedule.maxCycles} and a budget in steps, warmup plus all maxCycles cycles must fit:
 *       the schedule must be in {@code HOLD} at step {@code maxSteps}; else
 *       {@code Accepted=False, reason ScheduleExceedsBudget}.</li>
 *   <li>Training should end near the minimum LR: with {@code p = position(maxSteps)} in {@code ANNEALING} and
 *       {@code (p.lr - minLR) > 10% * (p.cyclePeak - minLR)} (or ending inside the warmup) the job is still accepted
 *       ({@code reason EndsMidCycle}) with a message like "training ends 63% into cycle 4 at LR 2.1e-4".</li>
 * </ul>
 * A budget given in epochs cannot be checked here (steps per epoch depend on the data); the trainer checks it.
 */
public final class AdmissionCheck {

    /** Share of the cycle's LR range above the minimum that still counts as "ended near the minimum". */
    static final double NEAR_MIN_FRACTION = 0.10;

    private static final ObjectMapper MAPPER = Serialization.jsonMapper();

    private AdmissionCheck() {
    }

    /**
     * The verdict.
     *
     * @param accepted    whether a pod may be created
     * @param reason      Accepted condition reason (SpecValid, EndsMidCycle, InvalidSchedule, ScheduleExceedsBudget)
     * @param message     condition message: the problem, the field, the value and the fix
     * @param fingerprint the schedule fingerprint ("sha256:..."), empty when the schedule was rejected
     */
    public record Result(boolean accepted, String reason, String message, Optional<String> fingerprint) {
        public boolean warning() {
            return accepted && Reasons.ENDS_MID_CYCLE.equals(reason);
        }
    }

    public static Result check(FineTuneJobSpec spec) {
        if (spec == null || spec.getOptimizer() == null) {
            return new Result(false, Reasons.INVALID_SPEC, "spec.optimizer is required: it carries the peak "
                    + "learningRate the schedule starts from", Optional.empty());
        }
        Long maxSteps = spec.getTraining() == null ? null : spec.getTraining().getMaxSteps();
        TrainingContext ctx = maxSteps != null && maxSteps > 0 ? TrainingContext.ofSteps(maxSteps) : TrainingContext.NONE;
        Schedule schedule;
        try {
            schedule = Schedule.of(ScheduleConfig.fromManifest(manifest(spec), ctx));
        } catch (ScheduleValidationException e) {
            return new Result(false, Reasons.INVALID_SCHEDULE, e.getMessage(), Optional.empty());
        } catch (IllegalArgumentException e) {
            return new Result(false, Reasons.INVALID_SCHEDULE, "spec.schedule is invalid: " + e.getMessage(), Optional.empty());
        }
        Optional<String> fingerprint = Optional.of(schedule.fingerprint());
        if (!ctx.hasTotalSteps()) {
            return new Result(true, Reasons.SPEC_VALID, "spec is valid; the budget is in epochs, so the trainer checks "
                    + "that the schedule fits it at start", fingerprint);
        }
        SchedulePosition end = schedule.position(maxSteps);
        Integer maxCycles = spec.getSchedule() == null ? null : spec.getSchedule().getMaxCycles();
        if (maxCycles != null && end.phase() != SchedulePosition.Phase.HOLD) {
            return new Result(false, Reasons.SCHEDULE_EXCEEDS_BUDGET, "spec.schedule.maxCycles=" + maxCycles
                    + " cycles (after the warmup) do not fit spec.training.maxSteps=" + maxSteps + ": training would end "
                    + describe(end) + "; raise maxSteps to at least " + endOfCycle(end, maxSteps)
                    + (maxCycles > 1 ? " for the next cycle end" : "") + " or lower maxCycles", fingerprint);
        }
        double minLr = minLearningRate(spec);
        boolean inWarmup = end.phase() == SchedulePosition.Phase.WARMUP;
        boolean farFromMin = end.phase() == SchedulePosition.Phase.ANNEALING
                && end.learningRate() - minLr > NEAR_MIN_FRACTION * (end.cyclePeak() - minLr);
        if (inWarmup || farFromMin) {
            return new Result(true, Reasons.ENDS_MID_CYCLE, "training ends " + describe(end) + " (minLearningRate "
                    + fmt(minLr) + "): set spec.training.maxSteps to " + endOfCycle(end, maxSteps)
                    + " to end at the cycle's minimum, or set spec.schedule.maxCycles", fingerprint);
        }
        return new Result(true, Reasons.SPEC_VALID, "spec is valid and the schedule fits spec.training.maxSteps="
                + maxSteps, fingerprint);
    }

    /** "63% into cycle 4 at LR 2.1e-4" (cycle numbers are 0-based, as in status.schedule.cycle). */
    static String describe(SchedulePosition p) {
        String where = p.phase() == SchedulePosition.Phase.WARMUP ? "the warmup" : "cycle " + p.cycle();
        long pct = p.cycleLength() > 0 ? Math.round(100.0 * p.cycleStep() / p.cycleLength()) : 0;
        return pct + "% into " + where + " at LR " + fmt(p.learningRate());
    }

    private static long endOfCycle(SchedulePosition p, long maxSteps) {
        return maxSteps - p.cycleStep() + p.cycleLength();
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2g", v).replace("e-0", "e-").replace("e+0", "e+");
    }

    private static double minLearningRate(FineTuneJobSpec spec) {
        Double min = spec.getSchedule() == null ? null : spec.getSchedule().getMinLearningRate();
        return min == null ? 0.0 : min;
    }

    /** The {@code {optimizer, schedule}} map the schedule engine reads, as plain Maps/Lists/Numbers/Strings. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> manifest(FineTuneJobSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizer", MAPPER.convertValue(spec.getOptimizer(), Map.class));
        if (spec.getSchedule() != null) {
            m.put("schedule", MAPPER.convertValue(spec.getSchedule(), Map.class));
        }
        return m;
    }
}
