package dev.annealer.schedule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable definition of a learning-rate schedule, as the user spelled it, plus the {@link TrainingContext} it
 * is resolved against. {@link #builder()} and {@link #fromManifest(Map, TrainingContext)} both validate everything at
 * construction and throw {@link ScheduleValidationException} naming the field, the value and the fix.
 *
 * <h2>The FineTuneJob shape (this class is its single source of truth; crds/ mirrors it field by field)</h2>
 * <pre>{@code
 * optimizer:
 *   learningRate: 3.0e-4          # base / peak LR, eta_max (required, > 0)
 * schedule:
 *   type: CosineWarmRestarts      # Constant | Cosine | CosineWarmRestarts            (default Constant)
 *   warmup:                       # optional linear ramp
 *     steps: 500                  #   length: steps: N (whole steps) or epochs: x (x * stepsPerEpoch must be whole)
 *     startFactor: 0.0            #   ramp starts at startFactor * learningRate ...     (default 0)
 *     startLearningRate: 0.0      #   ... or at this absolute LR (give at most one of the two)
 *     placement: Prefix           #   Prefix: before cycle 0, which starts when the warmup ends (HF, optax,
 *                                 #   timm warmup_prefix=True) | Overlap: replaces the first steps of cycle 0,
 *                                 #   whose clock starts at step 0 (timm warmup_prefix=False)  (default Prefix)
 *   minLearningRate: 1.0e-6       # eta_min, the floor of every cosine, >= 0 (above the peak: rises) (default 0)
 *   # --- Cosine only ---
 *   horizon: {steps: 20000}       # decay length; steps or epochs. Default: the rest of training
 *                                 #   (TrainingContext.totalSteps minus a Prefix warmup)
 *   afterHorizon: Hold            # Hold: keep the LR reached at the end of the horizon (minLearningRate)
 *                                 # | Continue: keep following the cosine periodically (torch CosineAnnealingLR
 *                                 #   past T_max, transformers past num_training_steps)           (default Hold)
 *   # --- CosineWarmRestarts only ---
 *   period: {steps: 2000}         # T_0, length of cycle 0: steps (may be fractional) or epochs (required)
 *   periodMultiplier: 2.0         # T_mult: cycle i lasts period * periodMultiplier^i; any real >= 1 (default 1)
 *   peakDecay: 0.8                # gamma: cycle i peaks at learningRate * peakDecay^i, in (0, 1]  (default 1)
 *   maxCycles: 5                  # after this many cycles hold at minLearningRate          (default unlimited)
 *   cycles:                       # alternative to period/periodMultiplier/peakDecay/maxCycles: an explicit list,
 *     - steps: 100                #   each cycle: length (steps or epochs, whole steps), its own optional warmup
 *       warmup: {steps: 10, startLearningRate: 0.001}   # (startFactor is relative to this cycle's peak),
 *       peakLearningRate: 0.01    #   peak (default optimizer.learningRate),
 *       minLearningRate: 1.0e-4   #   floor (default schedule minLearningRate),
 *       cosineExponent: 1.0       #   exponent (default schedule cosineExponent).
 *                                 #   After the last listed cycle the LR holds at its end value (optax sgdr).
 *   cycleIndexArithmetic: Exact   # Exact: boundaries computed exactly (integer arithmetic for whole periods)
 *                                 # | Float64Log: the cycle index is floor(ln(1 + t(m-1)/T_0) / ln m) in double
 *                                 #   precision, as torch CosineAnnealingWarmRestarts.step(epoch) and timm do;
 *                                 #   at some exact boundaries (m = 3: t = 121 T_0) it lands on the previous
 *                                 #   cycle's end (LR = minLearningRate) instead of the new peak.  (default Exact)
 *   restartOnPlateau: {patience: 3, minDelta: 0.001}   # optional, see Plateau
 *   # --- shape of every cosine (Cosine and CosineWarmRestarts) ---
 *   cosineWaves: 0.5              # full cosine periods per cycle/horizon (transformers num_cycles); 0.5 = one decay
 *                                 #   from peak to min                                          (default 0.5)
 *   kDecay: 1.0                   # timm k-decay: the cosine argument is pi * (t/T)^k              (default 1)
 *   cosineExponent: 1.0           # optax exponent: the cosine factor is raised to this power      (default 1)
 * }</pre>
 *
 * <h2>Formulas (t = steps since the cycle's origin; T_i, P_i = length and peak of cycle i; M = minLearningRate)</h2>
 * <pre>
 *   warmup (step &lt; W):  lr = S + (P - S) * step / W                         S = start LR, P = learningRate
 *   cycle start:        S_i = T_0 (m^i - 1) / (m - 1)   (m &gt; 1),   S_i = i T_0   (m = 1)
 *   cycle index:        i = floor(log(1 + t (m - 1) / T_0) / log m),  verified exactly against S_i, S_(i+1)
 *   inside cycle i:     u = (t - S_i) / T_i,   f = cos^2(pi * cosineWaves * u^kDecay) ^ cosineExponent
 *                       lr = M + (P_i - M) * f,   P_i = P * peakDecay^i
 *   after maxCycles:    lr = value at the end of the last cycle (= M for the default cosineWaves 0.5)
 * </pre>
 * ({@code cos^2(pi w u) = (1 + cos(2 pi w u)) / 2}: the usual SGDR formula for w = 0.5.)
 *
 * <p>Durations in epochs are converted with {@link TrainingContext#stepsPerEpoch()}; two spellings that resolve to the
 * same curve (epochs vs. steps, defaults written or omitted, Cosine vs. one-cycle CosineWarmRestarts) have the same
 * {@link Schedule#fingerprint()}.
 */
public final class ScheduleConfig {

    /** Schedule families. */
    public enum Type { Constant, Cosine, CosineWarmRestarts }

    /** Where a warmup sits relative to cycle 0. */
    public enum WarmupPlacement {
        /** Before cycle 0: the cycle clock starts when the warmup ends. */
        Prefix,
        /** Over the first steps of cycle 0: the cycle clock starts at step 0 (timm {@code warmup_prefix=False}). */
        Overlap
    }

    /** What a Cosine schedule does after its horizon. */
    public enum AfterHorizon {
        /** Hold the LR reached at the end of the horizon (minLearningRate for the default cosineWaves). */
        Hold,
        /** Keep following the cosine periodically (torch CosineAnnealingLR, transformers cosine). */
        Continue
    }

    /** How the cycle index is computed when the period multiplier is above 1. */
    public enum CycleIndexArithmetic {
        /** Exact: integer arithmetic for whole periods, exact rational checks otherwise. */
        Exact,
        /** The peers' double-precision {@code floor(log(1 + t (m-1) / T_0) / log(m))}, bit for bit. */
        Float64Log
    }

    /**
     * A length given in steps or in epochs (exactly one of them).
     *
     * @param steps optimizer steps, or {@code null}
     * @param epochs epochs (converted with the context's steps per epoch), or {@code null}
     */
    public record Duration(Double steps, Double epochs) {
        /** A duration in steps. */
        public static Duration steps(double steps) {
            return new Duration(steps, null);
        }

        /** A duration in epochs. */
        public static Duration epochs(double epochs) {
            return new Duration(null, epochs);
        }
    }

    /**
     * A linear ramp.
     *
     * @param length its length (must resolve to whole steps)
     * @param startFactor the ramp starts at {@code startFactor * peak}, or {@code null}
     * @param startLearningRate the ramp starts at this LR, or {@code null} (at most one of the two; both null = 0)
     * @param placement {@code Prefix} (default when null) or {@code Overlap}; only for the schedule-level warmup
     */
    public record Warmup(Duration length, Double startFactor, Double startLearningRate, WarmupPlacement placement) {
        /** A prefix warmup of {@code steps} steps starting at {@code startFactor * peak}. */
        public static Warmup steps(long steps, double startFactor) {
            return new Warmup(Duration.steps(steps), startFactor, null, null);
        }
    }

    /**
     * One cycle of an explicit cycle list.
     *
     * @param length the cycle's whole length including its own warmup (whole steps)
     * @param warmup the cycle's own ramp to its peak, or {@code null}
     * @param peakLearningRate the cycle's peak; {@code null} = {@code optimizer.learningRate}
     * @param minLearningRate the cycle's floor; {@code null} = the schedule's {@code minLearningRate}
     * @param cosineExponent the cycle's exponent; {@code null} = the schedule's {@code cosineExponent}
     */
    public record Cycle(Duration length, Warmup warmup, Double peakLearningRate, Double minLearningRate,
                        Double cosineExponent) {
    }

    /**
     * Restart early when the validation loss stalls (see {@link Plateau}).
     *
     * @param patience evaluations without an improvement of more than {@code minDelta} before a restart (>= 1)
     * @param minDelta the improvement that counts, in loss units (>= 0)
     */
    public record RestartOnPlateau(int patience, double minDelta) {
    }

    static final String SCHEDULE = "spec.schedule";
    static final String LEARNING_RATE = "spec.optimizer.learningRate";

    private final double learningRate;
    private final Type type;
    private final Warmup warmup;
    private final Double minLearningRate;
    private final Duration horizon;
    private final AfterHorizon afterHorizon;
    private final Duration period;
    private final Double periodMultiplier;
    private final Double peakDecay;
    private final Long maxCycles;
    private final List<Cycle> cycles;
    private final CycleIndexArithmetic cycleIndexArithmetic;
    private final RestartOnPlateau restartOnPlateau;
    private final Double cosineWaves;
    private final Double kDecay;
    private final Double cosineExponent;
    private final TrainingContext context;
    private final Plan plan;

    private ScheduleConfig(Builder b) {
        this.learningRate = b.learningRate == null ? Double.NaN : b.learningRate;
        this.type = b.type == null ? Type.Constant : b.type;
        this.warmup = b.warmup;
        this.minLearningRate = b.minLearningRate;
        this.horizon = b.horizon;
        this.afterHorizon = b.afterHorizon;
        this.period = b.period;
        this.periodMultiplier = b.periodMultiplier;
        this.peakDecay = b.peakDecay;
        this.maxCycles = b.maxCycles;
        this.cycles = b.cycles == null ? null : List.copyOf(b.cycles);
        this.cycleIndexArithmetic = b.cycleIndexArithmetic;
        this.restartOnPlateau = b.restartOnPlateau;
        this.cosineWaves = b.cosineWaves;
        this.kDecay = b.kDecay;
        this.cosineExponent = b.cosineExponent;
        this.context = b.context == null ? TrainingContext.NONE : b.context;
        if (b.learningRate == null) {
            throw ScheduleValidationException.of(LEARNING_RATE, null, "be set",
                    "it is the base / peak learning rate every schedule scales");
        }
        this.plan = Resolver.resolve(this);
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with this config (to derive a variant). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.learningRate = learningRate;
        b.type = type;
        b.warmup = warmup;
        b.minLearningRate = minLearningRate;
        b.horizon = horizon;
        b.afterHorizon = afterHorizon;
        b.period = period;
        b.periodMultiplier = periodMultiplier;
        b.peakDecay = peakDecay;
        b.maxCycles = maxCycles;
        b.cycles = cycles == null ? null : new ArrayList<>(cycles);
        b.cycleIndexArithmetic = cycleIndexArithmetic;
        b.restartOnPlateau = restartOnPlateau;
        b.cosineWaves = cosineWaves;
        b.kDecay = kDecay;
        b.cosineExponent = cosineExponent;
        b.context = context;
        return b;
    }

    /** Fluent, mutable builder; {@link #build()} validates. Unset optional fields keep their documented defaults. */
    public static final class Builder {
        private Double learningRate;
        private Type type;
        private Warmup warmup;
        private Double minLearningRate;
        private Duration horizon;
        private AfterHorizon afterHorizon;
        private Duration period;
        private Double periodMultiplier;
        private Double peakDecay;
        private Long maxCycles;
        private List<Cycle> cycles;
        private CycleIndexArithmetic cycleIndexArithmetic;
        private RestartOnPlateau restartOnPlateau;
        private Double cosineWaves;
        private Double kDecay;
        private Double cosineExponent;
        private TrainingContext context;

        private Builder() {
        }

        /** {@code optimizer.learningRate}: the base / peak LR. */
        public Builder learningRate(double v) {
            this.learningRate = v;
            return this;
        }

        /** {@code schedule.type}. */
        public Builder type(Type v) {
            this.type = v;
            return this;
        }

        /** {@code schedule.warmup} (null = none). */
        public Builder warmup(Warmup v) {
            this.warmup = v;
            return this;
        }

        /** {@code schedule.warmup: {steps, startFactor}}, placement Prefix. */
        public Builder warmupSteps(long steps, double startFactor) {
            this.warmup = Warmup.steps(steps, startFactor);
            return this;
        }

        /** {@code schedule.minLearningRate}. */
        public Builder minLearningRate(Double v) {
            this.minLearningRate = v;
            return this;
        }

        /** {@code schedule.horizon} (Cosine). */
        public Builder horizon(Duration v) {
            this.horizon = v;
            return this;
        }

        /** {@code schedule.horizon: {steps}} (Cosine). */
        public Builder horizonSteps(double steps) {
            this.horizon = Duration.steps(steps);
            return this;
        }

        /** {@code schedule.afterHorizon} (Cosine). */
        public Builder afterHorizon(AfterHorizon v) {
            this.afterHorizon = v;
            return this;
        }

        /** {@code schedule.period} (CosineWarmRestarts). */
        public Builder period(Duration v) {
            this.period = v;
            return this;
        }

        /** {@code schedule.period: {steps}} (CosineWarmRestarts). */
        public Builder periodSteps(double steps) {
            this.period = Duration.steps(steps);
            return this;
        }

        /** {@code schedule.period: {epochs}} (CosineWarmRestarts). */
        public Builder periodEpochs(double epochs) {
            this.period = Duration.epochs(epochs);
            return this;
        }

        /** {@code schedule.periodMultiplier}. */
        public Builder periodMultiplier(Double v) {
            this.periodMultiplier = v;
            return this;
        }

        /** {@code schedule.peakDecay}. */
        public Builder peakDecay(Double v) {
            this.peakDecay = v;
            return this;
        }

        /** {@code schedule.maxCycles} (null = unlimited). */
        public Builder maxCycles(Long v) {
            this.maxCycles = v;
            return this;
        }

        /** {@code schedule.maxCycles}. */
        public Builder maxCycles(long v) {
            this.maxCycles = v;
            return this;
        }

        /** {@code schedule.cycles}: an explicit cycle list (CosineWarmRestarts). */
        public Builder cycles(List<Cycle> v) {
            this.cycles = v == null ? null : new ArrayList<>(v);
            return this;
        }

        /** {@code schedule.cycleIndexArithmetic}. */
        public Builder cycleIndexArithmetic(CycleIndexArithmetic v) {
            this.cycleIndexArithmetic = v;
            return this;
        }

        /** {@code schedule.restartOnPlateau} (null = off). */
        public Builder restartOnPlateau(RestartOnPlateau v) {
            this.restartOnPlateau = v;
            return this;
        }

        /** {@code schedule.cosineWaves}. */
        public Builder cosineWaves(Double v) {
            this.cosineWaves = v;
            return this;
        }

        /** {@code schedule.kDecay}. */
        public Builder kDecay(Double v) {
            this.kDecay = v;
            return this;
        }

        /** {@code schedule.cosineExponent}. */
        public Builder cosineExponent(Double v) {
            this.cosineExponent = v;
            return this;
        }

        /** The training budget and epoch size this schedule is resolved against. */
        public Builder context(TrainingContext v) {
            this.context = v;
            return this;
        }

        /** Validates and builds. @throws ScheduleValidationException naming the first bad field */
        public ScheduleConfig build() {
            return new ScheduleConfig(this);
        }
    }

    // ---------------------------------------------------------------------------------------------- manifest

    /**
     * Reads {@code {optimizer: {learningRate: ...}, schedule: {...}}} (plain Maps/Lists/Numbers/Strings, as
     * Jackson's {@code convertValue(node, Map.class)} gives; numbers written as strings such as {@code "1e-6"} are
     * accepted because YAML 1.1 reads exponent-only floats as strings). Other optimizer keys are ignored; unknown
     * schedule keys are rejected with the list of accepted ones. A missing {@code schedule} means Constant.
     *
     * @throws ScheduleValidationException naming the first bad field
     */
    public static ScheduleConfig fromManifest(Map<String, Object> optimizerAndSchedule, TrainingContext ctx) {
        return ManifestCodec.read(optimizerAndSchedule, ctx);
    }

    /**
     * Writes {@code {optimizer: {learningRate}, schedule: {...}}} with the keys in the canonical order of the class
     * Javadoc, as spelled (epochs stay epochs; omitted defaults stay omitted). {@code fromManifest(toManifest())}
     * with the same context gives an equal config.
     */
    public Map<String, Object> toManifest() {
        return ManifestCodec.write(this);
    }

    // ---------------------------------------------------------------------------------------------- accessors

    /** {@code optimizer.learningRate}. */
    public double learningRate() {
        return learningRate;
    }

    /** {@code schedule.type}. */
    public Type type() {
        return type;
    }

    /** {@code schedule.warmup}, or null. */
    public Warmup warmup() {
        return warmup;
    }

    /** {@code schedule.minLearningRate} as written, or null (= 0). */
    public Double minLearningRate() {
        return minLearningRate;
    }

    /** {@code schedule.horizon} as written, or null. */
    public Duration horizon() {
        return horizon;
    }

    /** {@code schedule.afterHorizon} as written, or null (= Hold). */
    public AfterHorizon afterHorizon() {
        return afterHorizon;
    }

    /** {@code schedule.period} as written, or null. */
    public Duration period() {
        return period;
    }

    /** {@code schedule.periodMultiplier} as written, or null (= 1). */
    public Double periodMultiplier() {
        return periodMultiplier;
    }

    /** {@code schedule.peakDecay} as written, or null (= 1). */
    public Double peakDecay() {
        return peakDecay;
    }

    /** {@code schedule.maxCycles} as written, or null (= unlimited). */
    public Long maxCycles() {
        return maxCycles;
    }

    /** {@code schedule.cycles} as written, or null. */
    public List<Cycle> cycles() {
        return cycles == null ? null : Collections.unmodifiableList(cycles);
    }

    /** {@code schedule.cycleIndexArithmetic} as written, or null (= Exact). */
    public CycleIndexArithmetic cycleIndexArithmetic() {
        return cycleIndexArithmetic;
    }

    /** {@code schedule.restartOnPlateau}, or null. */
    public RestartOnPlateau restartOnPlateau() {
        return restartOnPlateau;
    }

    /** {@code schedule.cosineWaves} as written, or null (= 0.5). */
    public Double cosineWaves() {
        return cosineWaves;
    }

    /** {@code schedule.kDecay} as written, or null (= 1). */
    public Double kDecay() {
        return kDecay;
    }

    /** {@code schedule.cosineExponent} as written, or null (= 1). */
    public Double cosineExponent() {
        return cosineExponent;
    }

    /** The training context the durations and defaults were resolved against. */
    public TrainingContext context() {
        return context;
    }

    /** The resolved, canonical plan (package-private: Schedule evaluates it). */
    Plan plan() {
        return plan;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ScheduleConfig c)) {
            return false;
        }
        return Double.compare(learningRate, c.learningRate) == 0 && type == c.type && Objects.equals(warmup, c.warmup)
                && Objects.equals(minLearningRate, c.minLearningRate) && Objects.equals(horizon, c.horizon)
                && afterHorizon == c.afterHorizon && Objects.equals(period, c.period)
                && Objects.equals(periodMultiplier, c.periodMultiplier) && Objects.equals(peakDecay, c.peakDecay)
                && Objects.equals(maxCycles, c.maxCycles) && Objects.equals(cycles, c.cycles)
                && cycleIndexArithmetic == c.cycleIndexArithmetic
                && Objects.equals(restartOnPlateau, c.restartOnPlateau) && Objects.equals(cosineWaves, c.cosineWaves)
                && Objects.equals(kDecay, c.kDecay) && Objects.equals(cosineExponent, c.cosineExponent)
                && Objects.equals(context, c.context);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, type, warmup, minLearningRate, horizon, afterHorizon, period,
                periodMultiplier, peakDecay, maxCycles, cycles, cycleIndexArithmetic, restartOnPlateau, cosineWaves,
                kDecay, cosineExponent, context);
    }

    @Override
    public String toString() {
        Map<String, Object> m = new LinkedHashMap<>(toManifest());
        return "ScheduleConfig" + m + " in " + context;
    }
}
