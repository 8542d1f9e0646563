package dev.annealer.operator.progress;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The trainer's {@code GET /v1/progress} body (trainer contract). Unknown fields are ignored so the trainer
 * may add fields without breaking the operator.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProgressReport(
        String jobUid,
        Integer attempt,
        Long step,
        Double epoch,
        Long cycle,
        Long cycleStep,
        Long cycleLength,
        Double learningRate,
        Double loss,
        Double validationLoss,
        Double examplesPerSecond,
        Double etaSeconds,
        Checkpoint lastCheckpoint,
        String phase,
        String reportedAt) {

    /** {@code lastCheckpoint} of a report. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Checkpoint(Long step, String time, String digest, String name, Long bytes, Double writeSeconds,
            Double writeBytesPerSecond) {
        public Checkpoint(Long step, String time, String digest, String name) {
            this(step, time, digest, name, null, null, null);
        }
    }
}
