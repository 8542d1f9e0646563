package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Locale;
import java.util.Objects;

/**
 * Short, pre-formatted copies of status fields for {@code kubectl get ftj}: printer columns print numbers in full
 * ({@code 0.0013148809320872733}), so the columns read these strings instead. Derived from the rest of the status by
 * {@link #of(FineTuneJobStatus)}; tools should read the typed fields.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StatusDisplay {

    @JsonPropertyDescription("status.schedule.learningRate with 3 significant digits, e.g. 1.31e-03.")
    private String learningRate;

    @JsonPropertyDescription("status.loss with 4 significant digits, e.g. 0.04213 or 1.207e+03.")
    private String loss;

    @JsonPropertyDescription("Why the job is in its phase: the reason of the condition that explains it (Failed: the "
            + "Failed reason; Pending: Accepted=False's reason, else the Running reason such as BackingOff).")
    private String reason;

    /** The display fields of a status (never null; fields are null when their source is). */
    public static StatusDisplay of(FineTuneJobStatus s) {
        StatusDisplay d = new StatusDisplay();
        if (s.getSchedule() != null && s.getSchedule().getLearningRate() != null) {
            d.learningRate = learningRate(s.getSchedule().getLearningRate());
        }
        if (s.getLoss() != null) {
            d.loss = loss(s.getLoss());
        }
        d.reason = reason(s);
        return d;
    }

    /** {@code 1.31e-03}: three significant digits, always in exponent form so the column lines up. */
    public static String learningRate(double lr) {
        return Double.isFinite(lr) ? String.format(Locale.ROOT, "%.2e", lr) : String.valueOf(lr);
    }

    /** {@code 0.04213}, {@code 12.07}, {@code 1.207e+03}: four significant digits, plain when that stays short. */
    public static String loss(double loss) {
        if (!Double.isFinite(loss)) {
            return String.valueOf(loss);
        }
        double a = Math.abs(loss);
        if (a != 0 && (a < 1e-3 || a >= 1e4)) {
            return String.format(Locale.ROOT, "%.3e", loss);
        }
        return new java.math.BigDecimal(loss).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }

    private static String reason(FineTuneJobStatus s) {
        if (s.getPhase() == null) {
            return null;
        }
        String type = switch (s.getPhase()) {
            case FAILED -> ConditionTypes.FAILED;
            case SUCCEEDED -> ConditionTypes.SUCCEEDED;
            case SUSPENDED -> ConditionTypes.SUSPENDED;
            case RUNNING -> ConditionTypes.RUNNING;
            case PENDING -> notAccepted(s) ? ConditionTypes.ACCEPTED : ConditionTypes.RUNNING;
        };
        return s.getConditions().stream().filter(c -> type.equals(c.getType())).map(FineTuneJobCondition::getReason)
                .filter(Objects::nonNull).findFirst().orElse(null);
    }

    private static boolean notAccepted(FineTuneJobStatus s) {
        return s.getConditions().stream().anyMatch(c -> ConditionTypes.ACCEPTED.equals(c.getType())
                && FineTuneJobCondition.FALSE.equals(c.getStatus()));
    }

    public String getLearningRate() {
        return learningRate;
    }

    public void setLearningRate(String learningRate) {
        this.learningRate = learningRate;
    }

    public String getLoss() {
        return loss;
    }

    public void setLoss(String loss) {
        this.loss = loss;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatusDisplay d && Objects.equals(learningRate, d.learningRate) && Objects.equals(loss, d.loss)
                && Objects.equals(reason, d.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, loss, reason);
    }

    @Override
    public String toString() {
        return "StatusDisplay{learningRate=" + learningRate + ", loss=" + loss + ", reason=" + reason + "}";
    }
}
