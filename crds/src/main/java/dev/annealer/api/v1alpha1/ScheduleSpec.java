package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Objects;

/**
 * The learning-rate schedule. This class mirrors, field by field and in the same order, the {@code schedule:} shape of
 * the schedule engine ({@code dev.annealer.schedule.ScheduleConfig}, whose Javadoc is the single source of truth of
 * what each field means); {@code dev.annealer.api.JobSchedules} maps it onto the engine.
 *
 * <p>No field here has a CRD default: the engine's defaults (written in each description) apply when a field is
 * absent, and the engine rejects fields that do not apply to the type (e.g. periodMultiplier on a Cosine schedule),
 * so an API-server default would turn a valid spec into an invalid one.
 *
 * <p>Cycle i (0-based) of CosineWarmRestarts lasts {@code T_i = period * periodMultiplier^i} steps, peaks at
 * {@code P_i = learningRate * peakDecay^i}, and inside it
 * {@code lr = min + (P_i - min) * cos^2(pi * cosineWaves * (t/T_i)^kDecay)^cosineExponent}
 * (for the defaults: {@code min + (P_i - min) * (1 + cos(pi t / T_i)) / 2}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.type) || self.type != 'CosineWarmRestarts' || has(self.period) || has(self.horizon) "
        + "|| has(self.cycles)",
        message = "spec.schedule.period is required for type CosineWarmRestarts: it is the length of the first cycle "
                + "(T_0); alternatively give horizon with maxCycles, or an explicit cycles list")
@ValidationRule(value = "!has(self.cycles) || !(has(self.period) || has(self.periodMultiplier) || has(self.peakDecay) "
        + "|| has(self.maxCycles) || has(self.horizon))",
        message = "spec.schedule.cycles replaces period, periodMultiplier, peakDecay, maxCycles and horizon: "
                + "give either the list or those fields")
public class ScheduleSpec {

    @JsonPropertyDescription("Constant: the learning rate stays at optimizer.learningRate (after the warmup). "
            + "Cosine: one cosine decay from learningRate to minLearningRate over horizon (absent: the rest of "
            + "training). CosineWarmRestarts (SGDR, Loshchilov & Hutter 2017): repeated cosine cycles whose length grows "
            + "by periodMultiplier and whose peak decays by peakDecay, up to maxCycles. Absent: Constant.")
    private ScheduleType type;

    @JsonPropertyDescription("Linear warmup to optimizer.learningRate before (or over the start of) the first cycle. "
            + "Absent: no warmup.")
    @ValidationRule(value = "has(self.steps) != has(self.epochs)",
            message = "spec.schedule.warmup must set exactly one of steps and epochs")
    @ValidationRule(value = "!(has(self.startFactor) && has(self.startLearningRate))",
            message = "spec.schedule.warmup must set at most one of startFactor and startLearningRate")
    private WarmupSpec warmup;

    @JsonPropertyDescription("Floor of every cosine (eta_min), >= 0 and < optimizer.learningRate; the learning rate "
            + "holds here after maxCycles. Cosine and CosineWarmRestarts only. Absent: 0.")
    @ValidationRule(value = "self >= 0.0", message = "spec.schedule.minLearningRate must be >= 0")
    private Double minLearningRate;

    @JsonPropertyDescription("Cosine: the decay length, in steps or epochs (absent: the rest of training after a Prefix "
            + "warmup). CosineWarmRestarts: the total length of maxCycles cycles, instead of period.")
    @ValidationRule(value = "has(self.steps) != has(self.epochs)",
            message = "spec.schedule.horizon must set exactly one of steps and epochs")
    private DurationSpec horizon;

    @JsonPropertyDescription("Cosine only. Hold: keep the learning rate reached at the end of the horizon "
            + "(minLearningRate). Continue: keep following the cosine periodically, back up and down again (torch "
            + "CosineAnnealingLR past T_max, transformers past num_training_steps). Absent: Hold.")
    private AfterHorizon afterHorizon;

    @JsonPropertyDescription("CosineWarmRestarts: the length of the first cycle (T_0), in steps (may be fractional) "
            + "or epochs.")
    @ValidationRule(value = "has(self.steps) != has(self.epochs)",
            message = "spec.schedule.period must set exactly one of steps and epochs")
    private DurationSpec period;

    @JsonPropertyDescription("CosineWarmRestarts: cycle i lasts period x periodMultiplier^i (T_mult). Any real >= 1; "
            + "1 = equal cycles. Absent: 1.")
    @ValidationRule(value = "self >= 1.0",
            message = "spec.schedule.periodMultiplier must be >= 1: a multiplier below 1 would shrink cycles forever")
    private Double periodMultiplier;

    @JsonPropertyDescription("CosineWarmRestarts: cycle i peaks at optimizer.learningRate x peakDecay^i (gamma), "
            + "0 < peakDecay <= 1. Absent: 1 (every cycle peaks at learningRate).")
    @ValidationRule(value = "self > 0.0 && self <= 1.0",
            message = "spec.schedule.peakDecay must be in (0, 1]: cycle i peaks at learningRate * peakDecay^i")
    private Double peakDecay;

    @JsonPropertyDescription("CosineWarmRestarts: number of cycles; after the last one the learning rate holds at "
            + "minLearningRate. Absent: cycles repeat until training ends.")
    @Min(1)
    private Long maxCycles;

    @JsonPropertyDescription("CosineWarmRestarts: an explicit list of cycles, each with its own length, warmup, peak, "
            + "floor and exponent, instead of period/periodMultiplier/peakDecay/maxCycles (optax sgdr_schedule). "
            + "After the last cycle the learning rate holds at its end value.")
    @Size(min = 1, max = 1000)
    private List<CycleSpec> cycles;

    @JsonPropertyDescription("CosineWarmRestarts with periodMultiplier > 1. Exact: cycle boundaries are computed "
            + "exactly (integer arithmetic for whole periods). Float64Log: the cycle index is "
            + "floor(ln(1 + t(m-1)/T_0) / ln m) in double precision, as torch CosineAnnealingWarmRestarts and timm do "
            + "(at some exact boundaries it lands on the previous cycle's end); use it only to reproduce those peers "
            + "bit for bit. Absent: Exact.")
    private CycleIndexArithmetic cycleIndexArithmetic;

    @JsonPropertyDescription("CosineWarmRestarts: start the next cycle early when the validation loss has not improved "
            + "by minDelta for patience evaluations in a row. Deterministic: it depends only on the reported losses, "
            + "and its state is saved in checkpoints. Needs data.validation and training.evalEverySteps.")
    private RestartOnPlateauSpec restartOnPlateau;

    @JsonPropertyDescription("Full cosine periods per cycle (or per Cosine horizon), > 0 (transformers num_cycles); "
            + "0.5 = one decay from the peak to the floor. Absent: 0.5.")
    @ValidationRule(value = "self > 0.0", message = "spec.schedule.cosineWaves must be > 0")
    private Double cosineWaves;

    @JsonPropertyDescription("k-decay exponent (timm k_decay), > 0: the cosine argument is pi x (t/T)^kDecay; "
            + "> 1 keeps the learning rate high for longer. Absent: 1.")
    @ValidationRule(value = "self > 0.0", message = "spec.schedule.kDecay must be > 0")
    @JsonProperty("kDecay") // the getter getKDecay() alone would make Jackson call it "kdecay"
    private Double kDecay;

    @JsonPropertyDescription("Exponent applied to the cosine factor (optax exponent), > 0. Absent: 1.")
    @ValidationRule(value = "self > 0.0", message = "spec.schedule.cosineExponent must be > 0")
    private Double cosineExponent;

    public ScheduleType getType() {
        return type;
    }

    public void setType(ScheduleType type) {
        this.type = type;
    }

    public WarmupSpec getWarmup() {
        return warmup;
    }

    public void setWarmup(WarmupSpec warmup) {
        this.warmup = warmup;
    }

    public Double getMinLearningRate() {
        return minLearningRate;
    }

    public void setMinLearningRate(Double minLearningRate) {
        this.minLearningRate = minLearningRate;
    }

    public DurationSpec getHorizon() {
        return horizon;
    }

    public void setHorizon(DurationSpec horizon) {
        this.horizon = horizon;
    }

    public AfterHorizon getAfterHorizon() {
        return afterHorizon;
    }

    public void setAfterHorizon(AfterHorizon afterHorizon) {
        this.afterHorizon = afterHorizon;
    }

    public DurationSpec getPeriod() {
        return period;
    }

    public void setPeriod(DurationSpec period) {
        this.period = period;
    }

    public Double getPeriodMultiplier() {
        return periodMultiplier;
    }

    public void setPeriodMultiplier(Double periodMultiplier) {
        this.periodMultiplier = periodMultiplier;
    }

    public Double getPeakDecay() {
        return peakDecay;
    }

    public void setPeakDecay(Double peakDecay) {
        this.peakDecay = peakDecay;
    }

    public Long getMaxCycles() {
        return maxCycles;
    }

    public void setMaxCycles(Long maxCycles) {
        this.maxCycles = maxCycles;
    }

    public List<CycleSpec> getCycles() {
        return cycles;
    }

    public void setCycles(List<CycleSpec> cycles) {
        this.cycles = cycles;
    }

    public CycleIndexArithmetic getCycleIndexArithmetic() {
        return cycleIndexArithmetic;
    }

    public void setCycleIndexArithmetic(CycleIndexArithmetic cycleIndexArithmetic) {
        this.cycleIndexArithmetic = cycleIndexArithmetic;
    }

    public RestartOnPlateauSpec getRestartOnPlateau() {
        return restartOnPlateau;
    }

    public void setRestartOnPlateau(RestartOnPlateauSpec restartOnPlateau) {
        this.restartOnPlateau = restartOnPlateau;
    }

    public Double getCosineWaves() {
        return cosineWaves;
    }

    public void setCosineWaves(Double cosineWaves) {
        this.cosineWaves = cosineWaves;
    }

    @JsonProperty("kDecay")
    public Double getKDecay() {
        return kDecay;
    }

    @JsonProperty("kDecay")
    public void setKDecay(Double kDecay) {
        this.kDecay = kDecay;
    }

    public Double getCosineExponent() {
        return cosineExponent;
    }

    public void setCosineExponent(Double cosineExponent) {
        this.cosineExponent = cosineExponent;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ScheduleSpec that)) return false;
        return Objects.equals(type, that.type) && Objects.equals(warmup, that.warmup) && Objects.equals(minLearningRate, that.minLearningRate) && Objects.equals(horizon, that.horizon) && Objects.equals(afterHorizon, that.afterHorizon) && Objects.equals(period, that.period) && Objects.equals(periodMultiplier, that.periodMultiplier) && Objects.equals(peakDecay, that.peakDecay) && Objects.equals(maxCycles, that.maxCycles) && Objects.equals(cycles, that.cycles) && Objects.equals(cycleIndexArithmetic, that.cycleIndexArithmetic) && Objects.equals(restartOnPlateau, that.restartOnPlateau) && Objects.equals(cosineWaves, that.cosineWaves) && Objects.equals(kDecay, that.kDecay) && Objects.equals(cosineExponent, that.cosineExponent);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, warmup, minLearningRate, horizon, afterHorizon, period, periodMultiplier, peakDecay, maxCycles, cycles, cycleIndexArithmetic, restartOnPlateau, cosineWaves, kDecay, cosineExponent);
    }

    @Override
    public String toString() {
        return "ScheduleSpec{" + "type=" + type + ", " + "warmup=" + warmup + ", " + "minLearningRate=" + minLearningRate + ", " + "horizon=" + horizon + ", " + "afterHorizon=" + afterHorizon + ", " + "period=" + period + ", " + "periodMultiplier=" + periodMultiplier + ", " + "peakDecay=" + peakDecay + ", " + "maxCycles=" + maxCycles + ", " + "cycles=" + cycles + ", " + "cycleIndexArithmetic=" + cycleIndexArithmetic + ", " + "restartOnPlateau=" + restartOnPlateau + ", " + "cosineWaves=" + cosineWaves + ", " + "kDecay=" + kDecay + ", " + "cosineExponent=" + cosineExponent + "}";
    }
}
