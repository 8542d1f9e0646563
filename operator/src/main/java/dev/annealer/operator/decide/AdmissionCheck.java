package dev.annealer.operator.decide;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.Reasons;
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
        // TEMPORARY until the schedule engine lands on main
        return new Result(true, Reasons.SPEC_VALID, "spec is valid", Optional.empty());
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
