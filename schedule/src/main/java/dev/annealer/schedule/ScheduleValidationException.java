package dev.annealer.schedule;

/**
 * A schedule definition that cannot be accepted. Thrown at construction (never later, never as an assert).
 *
 * <p>The message always has the shape {@code FIELD must ... (got VALUE): why / what to do}, where FIELD is the
 * FineTuneJob path of the offending field (for example {@code spec.schedule.periodMultiplier}), so the operator's
 * admission check, the trainer and the CLI can show it to the user as is, without a stack trace.
 */
public class ScheduleValidationException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final transient Object value;

    /**
     * @param field the FineTuneJob path of the field, e.g. {@code spec.schedule.periodMultiplier}
     * @param value the offending value as given (may be {@code null} when the field is missing)
     * @param message the full message, starting with the field path
     */
    public ScheduleValidationException(String field, Object value, String message) {
        super(message);
        this.field = field;
        this.value = value;
    }

    /** Builds the standard message {@code FIELD must REQUIREMENT (got VALUE): WHY}. */
    public static ScheduleValidationException of(String field, Object value, String requirement, String why) {
        String got = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        String msg = field + " must " + requirement + " (got " + got + ")" + (why == null || why.isEmpty() ? "" : ": " + why);
        return new ScheduleValidationException(field, value, msg);
    }

    /** The FineTuneJob path of the offending field, e.g. {@code spec.schedule.periodMultiplier}. */
    public String field() {
        return field;
    }

    /** The offending value as given; {@code null} when the field was missing. */
    public Object value() {
        return value;
    }
}
