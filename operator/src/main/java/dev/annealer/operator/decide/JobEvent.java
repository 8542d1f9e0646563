package dev.annealer.operator.decide;

/** A Kubernetes event on the FineTuneJob, emitted only after the status write succeeded. */
public record JobEvent(String type, String reason, String message) {
    public static JobEvent normal(String reason, String message) {
        return new JobEvent("Normal", reason, message);
    }

    public static JobEvent warning(String reason, String message) {
        return new JobEvent("Warning", reason, message);
    }
}
