package dev.annealer.trainer.progress;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The progress report of the pod contract ({@code GET /v1/progress} and {@code <checkpoint-dir>/progress.json}).
 * Field names are the contract; see docs/reference/trainer-contract.md.
 */
public record ProgressReport(
    String jobUid,
    int attempt,
    long step,
    double epoch,
    long cycle,
    long cycleStep,
    long cycleLength,
    double learningRate,
    Double loss,
    Double validationLoss,
    double examplesPerSecond,
    Double etaSeconds,
    LastCheckpoint lastCheckpoint,
    String phase,
    String reportedAt,
    Map<String, Double> validationMetrics,
    Long validationStep) {

  /**
   * @param validationMetrics the task's validation metrics beyond the loss ({@code validationPerplexity},
   *     {@code validationAccuracy}, {@code validationMacroF1}), written as top-level keys after {@code validationLoss}
   * @param validationStep the step after which {@code validationLoss} and the metrics were measured (null before the
   *     first evaluation)
   */
  public ProgressReport {
    validationMetrics = validationMetrics == null ? Map.of() : Map.copyOf(validationMetrics);
  }

  /** A report whose validation step is not known. */
  public ProgressReport(String jobUid, int attempt, long step, double epoch, long cycle, long cycleStep, long cycleLength,
      double learningRate, Double loss, Double validationLoss, double examplesPerSecond, Double etaSeconds,
      LastCheckpoint lastCheckpoint, String phase, String reportedAt, Map<String, Double> validationMetrics) {
    this(jobUid, attempt, step, epoch, cycle, cycleStep, cycleLength, learningRate, loss, validationLoss,
        examplesPerSecond, etaSeconds, lastCheckpoint, phase, reportedAt, validationMetrics, null);
  }

  /** A report without task metrics (the float path). */
  public ProgressReport(String jobUid, int attempt, long step, double epoch, long cycle, long cycleStep, long cycleLength,
      double learningRate, Double loss, Double validationLoss, double examplesPerSecond, Double etaSeconds,
      LastCheckpoint lastCheckpoint, String phase, String reportedAt) {
    this(jobUid, attempt, step, epoch, cycle, cycleStep, cycleLength, learningRate, loss, validationLoss,
        examplesPerSecond, etaSeconds, lastCheckpoint, phase, reportedAt, Map.of(), null);
  }

  /**
   * The newest durable checkpoint.
   *
   * @param bytes its size on disk (0 when unknown)
   * @param writeSeconds how long writing it took (0 when it was not written by this process)
   */
  public record LastCheckpoint(long step, String time, String digest, String name, long bytes, double writeSeconds) {
    public LastCheckpoint(long step, String time, String digest, String name) {
      this(step, time, digest, name, 0, 0);
    }

    /** Measured write throughput in bytes per second, or 0 when not measured. */
    public double writeBytesPerSecond() {
      return writeSeconds > 0 ? bytes / writeSeconds : 0;
    }
  }

  /** Phase values. */
  public static final String RUNNING = "Running";
  public static final String CHECKPOINTING = "Checkpointing";
  public static final String DONE = "Done";

  /** JSON-ready map in the contract's key order. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jobUid", jobUid);
    m.put("attempt", attempt);
    m.put("step", step);
    m.put("epoch", epoch);
    m.put("cycle", cycle);
    m.put("cycleStep", cycleStep);
    m.put("cycleLength", cycleLength);
    m.put("learningRate", learningRate);
    m.put("loss", finiteOrNull(loss));
    m.put("validationLoss", finiteOrNull(validationLoss));
    new java.util.TreeMap<>(validationMetrics).forEach((k, v) -> m.put(k, finiteOrNull(v)));
    if (validationStep != null) {
      m.put("validationStep", validationStep);
    }
    m.put("examplesPerSecond", examplesPerSecond);
    m.put("etaSeconds", finiteOrNull(etaSeconds));
    if (lastCheckpoint != null) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("step", lastCheckpoint.step());
      c.put("time", lastCheckpoint.time());
      c.put("digest", lastCheckpoint.digest());
      c.put("name", lastCheckpoint.name());
      if (lastCheckpoint.bytes() > 0) {
        c.put("bytes", lastCheckpoint.bytes());
      }
      if (lastCheckpoint.writeSeconds() > 0) {
        c.put("writeSeconds", lastCheckpoint.writeSeconds());
        c.put("writeBytesPerSecond", Math.round(lastCheckpoint.writeBytesPerSecond()));
      }
      m.put("lastCheckpoint", c);
    } else {
      m.put("lastCheckpoint", null);
    }
    m.put("phase", phase);
    m.put("reportedAt", reportedAt);
    return m;
  }

  private static Double finiteOrNull(Double d) {
    return d == null || !Double.isFinite(d) ? null : d;
  }
}
