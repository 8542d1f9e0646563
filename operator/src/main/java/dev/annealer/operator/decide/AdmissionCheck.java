package dev.annealer.operator.decide;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.validation.CrdValidator;
import dev.annealer.api.validation.Violation;
import dev.annealer.api.JobSchedules;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.SchedulePosition;
import dev.annealer.schedule.ScheduleValidationException;
import dev.annealer.schedule.TrainingContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Semantic checks CEL cannot express, run through the schedule engine before any pod exists.
 *
 * <ul>
 *   <li>The schedule engine must accept {@code spec.optimizer} + {@code spec.schedule}: else
 *       {@code Accepted=False, reason InvalidSchedule}, with the engine's "FIELD must ... (got VALUE): fix".</li>
 *   <li>With {@code spec.schedule.maxCycles} and a budget in steps, warmup plus all maxCycles cycles must fit:
 *       the schedule must be in {@code HOLD} at step {@code maxSteps}; else
 *       {@code Accepted=False, reason ScheduleExceedsBudget}.</li>
 *   <li>Training should end near the minimum LR: with {@code p = position(maxSteps - 1)} (the last trained step) in {@code ANNEALING} and
 *       {@code (p.lr - minLR) > 10% * (p.cyclePeak - minLR)} (or ending inside the warmup) the job is still accepted
 *       ({@code reason EndsMidCycle}) with a message like "training ends 63% into cycle 4 at LR 2.1e-4".</li>
 * </ul>
 * A budget given in epochs cannot be checked here (steps per epoch depend on the data); the trainer checks it.
 *
 * <p>Then the CRD's own schema and CEL rules, with the validator the CLI and the trainer use ({@link CrdValidator}):
 * the API server has applied them already, unless the CRD installed in the cluster is older than this operator;
 * then {@code Accepted=False, reason InvalidSpec} instead of a pod that the trainer would refuse.
 */
public final class AdmissionCheck {

    /** Share of the cycle's LR range above the minimum that still counts as "ended near the minimum". */
    static final double NEAR_MIN_FRACTION = 0.10;

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
        TrainingContext ctx = JobSchedules.context(spec, null); // steps per epoch are unknown before the data is read
        long maxSteps = ctx.totalSteps();
        Schedule schedule;
        try {
            schedule = Schedule.of(JobSchedules.config(spec, null));
        } catch (ScheduleValidationException e) {
            return new Result(false, Reasons.INVALID_SCHEDULE, e.getMessage(), Optional.empty());
        } catch (IllegalArgumentException e) {
            return new Result(false, Reasons.INVALID_SCHEDULE, "spec.schedule is invalid: " + e.getMessage(), Optional.empty());
        }
        Optional<String> fingerprint = Optional.of(schedule.fingerprint());
        List<Violation> violations = CrdValidator.fineTuneJob().validate(asObject(spec), null);
        if (!violations.isEmpty()) {
            return new Result(false, Reasons.INVALID_SPEC, violations.stream().map(Violation::message)
                    .collect(Collectors.joining("; ")) + " (the CRD installed in the cluster may be older than the "
                    + "operator: apply the chart's crds/)", Optional.empty());
        }
        if (!ctx.hasTotalSteps()) {
            return new Result(true, Reasons.SPEC_VALID, "spec is valid; the budget is in epochs, so the trainer checks "
                    + "that the schedule fits it at start", fingerprint);
        }
        SchedulePosition end = schedule.position(maxSteps); // the first step not trained: HOLD iff every cycle ran
        SchedulePosition last = schedule.position(maxSteps - 1); // the last step trained
        Long maxCycles = spec.getSchedule() == null ? null : spec.getSchedule().getMaxCycles();
        if (maxCycles != null && end.phase() != SchedulePosition.Phase.HOLD) {
            return new Result(false, Reasons.SCHEDULE_EXCEEDS_BUDGET, "spec.schedule.maxCycles=" + maxCycles
                    + " cycles (after the warmup) do not fit spec.training.maxSteps=" + maxSteps + ": training would end "
                    + describe(last) + "; raise maxSteps to at least " + endOfCycle(last, maxSteps)
                    + (maxCycles > 1 ? " for the next cycle end" : "") + " or lower maxCycles", fingerprint);
        }
        double minLr = minLearningRate(spec);
        boolean inWarmup = last.phase() == SchedulePosition.Phase.WARMUP;
        boolean farFromMin = last.phase() == SchedulePosition.Phase.ANNEALING
                && last.learningRate() - minLr > NEAR_MIN_FRACTION * (last.cyclePeak() - minLr);
        if (inWarmup || farFromMin) {
            return new Result(true, Reasons.ENDS_MID_CYCLE, "training ends " + describe(last) + " (minLearningRate "
                    + fmt(minLr) + "): set spec.training.maxSteps to " + endOfCycle(last, maxSteps)
                    + " to end at the cycle's minimum, or set spec.schedule.maxCycles", fingerprint);
        }
        return new Result(true, Reasons.SPEC_VALID, "spec is valid and the schedule fits spec.training.maxSteps="
                + maxSteps, fingerprint);
    }

    /** The spec as the API server stores it, in a FineTuneJob, for the CRD validator. */
    private static Map<String, Object> asObject(FineTuneJobSpec spec) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", FineTuneJob.API_VERSION);
        o.put("kind", FineTuneJob.KIND);
        o.put("spec", FineTuneJobs.mapper().convertValue(spec, new TypeReference<Map<String, Object>>() { }));
        return o;
    }

    /** "63% into cycle 4 at LR 2.1e-4" (cycle numbers are 0-based, as in status.schedule.cycle). */
    static String describe(SchedulePosition p) {
        String where = p.phase() == SchedulePosition.Phase.WARMUP ? "the warmup" : "cycle " + p.cycle();
        long pct = p.cycleLength() > 0 ? Math.round(100.0 * (p.cycleStep() + 1) / p.cycleLength()) : 0;
        return pct + "% into " + where + " at LR " + fmt(p.learningRate());
    }

    /** The budget that ends exactly at the end of the cycle {@code p} (the last trained step) is in. */
    private static long endOfCycle(SchedulePosition p, long maxSteps) {
        return maxSteps - (p.cycleStep() + 1) + p.cycleLength();
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1e", v).replace("e-0", "e-").replace("e+0", "e+").replace("e+", "e");
    }

    private static double minLearningRate(FineTuneJobSpec spec) {
        Double min = spec.getSchedule() == null ? null : spec.getSchedule().getMinLearningRate();
        return min == null ? 0.0 : min;
    }
}
