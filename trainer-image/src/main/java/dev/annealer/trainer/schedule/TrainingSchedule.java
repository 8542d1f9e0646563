package dev.annealer.trainer.schedule;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.annealer.trainer.TrainerFailure;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trainer's view of the job's learning-rate schedule: LR per step, position in the SGDR cycle, fingerprint and
 * restart-on-plateau state. The only class that talks to the schedule engine (dev.annealer.schedule).
 *
 * <p>STAND-IN until the schedule module lands: a closed-form SGDR (warmup, min LR, period in steps or epochs,
 * real multiplier, peak decay, max cycles); no restart-on-plateau.
 */
public final class TrainingSchedule {
  /** Where a step sits on the curve. */
  public record Position(long step, long cycle, long cycleStep, long cycleLength, String phase, double learningRate) {}

  private final Map<String, Object> manifest;
  private final String type;
  private final double base;
  private final double min;
  private final long warmup;
  private final double startFactor;
  private final double period;
  private final double mult;
  private final double decay;
  private final long maxCycles;
  private final String fingerprint;

  private TrainingSchedule(Map<String, Object> manifest, String type, double base, double min, long warmup,
      double startFactor, double period, double mult, double decay, long maxCycles) {
    this.manifest = manifest;
    this.type = type;
    this.base = base;
    this.min = min;
    this.warmup = warmup;
    this.startFactor = startFactor;
    this.period = period;
    this.mult = mult;
    this.decay = decay;
    this.maxCycles = maxCycles;
    this.fingerprint = "sha256:" + sha256(canonical(manifest));
  }

  /**
   * @param optimizerAndSchedule {@code {optimizer: {learningRate}, schedule: {...}}} as in the FineTuneJob
   * @param totalSteps the training budget (Cosine's default horizon)
   * @param stepsPerEpoch for periods given in epochs
   */
  @SuppressWarnings("unchecked")
  public static TrainingSchedule of(Map<String, Object> optimizerAndSchedule, long totalSteps, double stepsPerEpoch) {
    Map<String, Object> opt = (Map<String, Object>) optimizerAndSchedule.getOrDefault("optimizer", Map.of());
    Map<String, Object> s = (Map<String, Object>) optimizerAndSchedule.getOrDefault("schedule", Map.of());
    double base = num(opt.get("learningRate"), Double.NaN);
    String type = String.valueOf(s.getOrDefault("type", "Constant"));
    Map<String, Object> w = (Map<String, Object>) s.getOrDefault("warmup", Map.of());
    long warmup = (long) num(w.get("steps"), 0);
    double startFactor = num(w.get("startFactor"), 0);
    double min = num(s.get("minLearningRate"), 0);
    Map<String, Object> p = (Map<String, Object>) s.getOrDefault("period", Map.of());
    double period = p.containsKey("epochs") ? num(p.get("epochs"), 0) * stepsPerEpoch : num(p.get("steps"), totalSteps - warmup);
    double mult = num(s.get("periodMultiplier"), 1);
    double decay = num(s.get("peakDecay"), 1);
    long maxCycles = (long) num(s.get("maxCycles"), type.equals("Cosine") ? 1 : Long.MAX_VALUE);
    switch (type) {
      case "Constant", "Cosine", "CosineWarmRestarts" -> { }
      default -> throw TrainerFailure.invalid("spec.schedule.type", type, "must be Constant, Cosine or CosineWarmRestarts");
    }
    if (!(period >= 1)) {
      throw TrainerFailure.invalid("spec.schedule.period", period, "must be at least one step");
    }
    if (mult < 1) {
      throw TrainerFailure.invalid("spec.schedule.periodMultiplier", mult, "must be >= 1: a multiplier below 1 would shrink cycles forever");
    }
    Map<String, Object> canon = new TreeMap<>();
    canon.put("learningRate", base);
    canon.put("schedule", s);
    canon.put("resolvedPeriodSteps", period);
    return new TrainingSchedule(canon, type, base, min, warmup, startFactor, period, mult, decay, maxCycles);
  }

  private static double num(Object o, double dflt) {
    return o instanceof Number n ? n.doubleValue() : dflt;
  }

  /** The learning rate of step {@code step} (0 = first step). */
  public double lr(long step) {
    return position(step).learningRate();
  }

  public Position position(long step) {
    if (step < warmup) {
      double f = startFactor + (1 - startFactor) * step / (double) warmup;
      return new Position(step, 0, step, warmup, "WARMUP", base * f);
    }
    if (type.equals("Constant")) {
      return new Position(step, 0, step - warmup, Long.MAX_VALUE, "HOLD", base);
    }
    double t = step - warmup;
    double start = 0;
    double len = period;
    long cycle = 0;
    while (t >= start + len) {
      if (cycle + 1 >= maxCycles) {
        return new Position(step, cycle, (long) (t - start), (long) len, "HOLD", min);
      }
      start += len;
      len *= mult;
      cycle++;
    }
    double peak = base * Math.pow(decay, cycle);
    double tc = t - start;
    double lr = min + (peak - min) * (1 + Math.cos(Math.PI * tc / len)) / 2;
    return new Position(step, cycle, (long) tc, Math.round(len), "ANNEALING", lr);
  }

  public String fingerprint() {
    return fingerprint;
  }

  public Map<String, Object> manifest() {
    return manifest;
  }

  /** Restart-on-plateau state for checkpoints (empty: the stand-in has none). */
  public Map<String, Object> plateauState() {
    return Map.of();
  }

  public void restorePlateauState(Map<String, Object> state) {}

  /** Feeds a validation loss measured after step {@code step} to restart-on-plateau. */
  public void observeValidation(long step, double validationLoss) {}

  public boolean usesValidation() {
    return false;
  }

  private static String canonical(Map<String, Object> m) {
    try {
      return new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true).writeValueAsString(m);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
