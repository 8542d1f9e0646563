package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/**
 * The learning-rate schedule. This class mirrors, field by field, the {@code schedule:} shape of the schedule engine
 * ({@code dev.annealer.schedule.ScheduleConfig#fromManifest}), which is the single source of truth of its meaning;
 * {@code dev.annealer.api.JobSchedules} maps it onto the engine.
 *
 * <p>Cycle i (0-based) of CosineWarmRestarts lasts {@code T_i = period * periodMultiplier^i} steps, peaks at
 * {@code learningRate * peakDecay^i}, and anneals as
 * {@code lr = min + (peak_i - min) * (1 + cos(pi * t / T_i)) / 2}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type != 'CosineWarmRestarts' || has(self.period)",
        message = "spec.schedule.period is required for type CosineWarmRestarts: it is the length of the first cycle (T_0)")
public class ScheduleSpec {

    @JsonPropertyDescription("Constant: the learning rate stays at optimizer.learningRate (after the warmup). "
            + "Cosine: one half-cosine from learningRate down to minLearningRate over period (absent: the rest of "
            + "training). CosineWarmRestarts (SGDR): repeated cosine cycles whose length grows by periodMultiplier "
            + "and whose peak decays by peakDecay, up to maxCycles.")
    @Required
    private ScheduleType type;

    @JsonPropertyDescription("Linear warmup before the first cycle: from startFactor x learningRate "
            + "(or startLearningRate) up to learningRate. Absent: no warmup.")
    private WarmupSpec warmup;

    @JsonPropertyDescription("Floor of the cosine (eta_min), >= 0 and < optimizer.learningRate; "
            + "the learning rate holds here after maxCycles.")
    @Default("0.0")
    @ValidationRule(value = "self >= 0.0", message = "spec.schedule.minLearningRate must be >= 0")
    private Double minLearningRate;

    @JsonPropertyDescription("Cosine: the decay horizon; CosineWarmRestarts: the length of the first cycle (T_0). "
            + "In optimizer steps or in (fractional) epochs.")
    private PeriodSpec period;

    @JsonPropertyDescription("CosineWarmRestarts: each cycle is this many times longer than the previous one (T_mult). "
            + "Any real >= 1; 1 = equal cycles.")
    @Default("1.0")
    @ValidationRule(value = "self >= 1.0",
            message = "spec.schedule.periodMultiplier must be >= 1: a multiplier below 1 would shrink cycles forever")
    private Double periodMultiplier;

    @JsonPropertyDescription("CosineWarmRestarts: cycle i peaks at optimizer.learningRate x peakDecay^i "
            + "(gamma, 0 < peakDecay <= 1; 1 = every cycle peaks at learningRate).")
    @Default("1.0")
    @ValidationRule(value = "self > 0.0 && self <= 1.0",
            message = "spec.schedule.peakDecay must be in (0, 1]: cycle i peaks at learningRate * peakDecay^i")
    private Double peakDecay;

    @JsonPropertyDescription("CosineWarmRestarts: number of cycles; after the last one the learning rate holds at "
            + "minLearningRate. Absent: cycles repeat until training ends.")
    @Min(1)
    private Integer maxCycles;

    @JsonPropertyDescription("Restart the current cycle early when the validation loss has not improved by minDelta "
            + "for patience evaluations in a row. Deterministic: the decision depends only on the reported losses, "
            + "and its state is saved in checkpoints. Needs data.validation and training.evalEverySteps.")
    private RestartOnPlateauSpec restartOnPlateau;

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

    public PeriodSpec getPeriod() {
        return period;
    }

    public void setPeriod(PeriodSpec period) {
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

    public Integer getMaxCycles() {
        return maxCycles;
    }

    public void setMaxCycles(Integer maxCycles) {
        this.maxCycles = maxCycles;
    }

    public RestartOnPlateauSpec getRestartOnPlateau() {
        return restartOnPlateau;
    }

    public void setRestartOnPlateau(RestartOnPlateauSpec restartOnPlateau) {
        this.restartOnPlateau = restartOnPlateau;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ScheduleSpec that)) return false;
        return Objects.equals(type, that.type) && Objects.equals(warmup, that.warmup) && Objects.equals(minLearningRate, that.minLearningRate) && Objects.equals(period, that.period) && Objects.equals(periodMultiplier, that.periodMultiplier) && Objects.equals(peakDecay, that.peakDecay) && Objects.equals(maxCycles, that.maxCycles) && Objects.equals(restartOnPlateau, that.restartOnPlateau);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, warmup, minLearningRate, period, periodMultiplier, peakDecay, maxCycles, restartOnPlateau);
    }

    @Override
    public String toString() {
        return "ScheduleSpec{" + "type=" + type + ", " + "warmup=" + warmup + ", " + "minLearningRate=" + minLearningRate + ", " + "period=" + period + ", " + "periodMultiplier=" + periodMultiplier + ", " + "peakDecay=" + peakDecay + ", " + "maxCycles=" + maxCycles + ", " + "restartOnPlateau=" + restartOnPlateau + "}";
    }
}
