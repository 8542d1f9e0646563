package dev.annealer.operator.progress;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The trainer's {@code GET /v1/progress} body (trainer contract). Unknown fields are ignored so the trainer
 * may add fields without breaking the operator. The validation metrics beyond the loss and the step they were measured
 * at ({@code validationStep}, {@code validationPerplexity}, {@code validationAccuracy}, {@code validationMacroF1}) are
 * absent from older trainers and from jobs whose task does not define them.
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
        String reportedAt,
        Long validationStep,
        Double validationPerplexity,
        Double validationAccuracy,
        Double validationMacroF1) {

    /** A report without task metrics (the float path, older trainers). */
    public ProgressReport(String jobUid, Integer attempt, Long step, Double epoch, Long cycle, Long cycleStep,
            Long cycleLength, Double learningRate, Double loss, Double validationLoss, Double examplesPerSecond,
            Double etaSeconds, Checkpoint lastCheckpoint, String phase, String reportedAt) {
        this(jobUid, attempt, step, epoch, cycle, cycleStep, cycleLength, learningRate, loss, validationLoss,
                examplesPerSecond, etaSeconds, lastCheckpoint, phase, reportedAt, null, null, null, null);
    }

    /** {@code lastCheckpoint} of a report. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Checkpoint(Long step, String time, String digest, String name, Long bytes, Double writeSeconds,
            Double writeBytesPerSecond) {
        public Checkpoint(Long step, String time, String digest, String name) {
            this(step, time, digest, name, null, null, null);
        }
    }
}
