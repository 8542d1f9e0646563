package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/**
 * One cycle of an explicit cycle list (engine: {@code ScheduleConfig.Cycle}): its length, its own warmup, peak,
 * floor and exponent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.steps) != has(self.epochs)",
        message = "spec.schedule.cycles[*] must set exactly one of steps and epochs")
public class CycleSpec {

    @JsonPropertyDescription("Length of the cycle, its warmup included, in whole optimizer steps (>= 1). "
            + "Exactly one of steps and epochs.")
    @Min(1)
    private Long steps;

    @JsonPropertyDescription("Length of the cycle in epochs (> 0; must resolve to whole steps). "
            + "Exactly one of steps and epochs.")
    @Min(value = 0, inclusive = false)
    private Double epochs;

    @JsonPropertyDescription("The cycle's own linear ramp to its peak (startFactor is relative to this cycle's peak). "
            + "Absent: the cycle starts at its peak.")
    @ValidationRule(value = "has(self.steps) != has(self.epochs)",
            message = "spec.schedule.cycles[*].warmup must set exactly one of steps and epochs")
    @ValidationRule(value = "!(has(self.startFactor) && has(self.startLearningRate))",
            message = "spec.schedule.cycles[*].warmup must set at most one of startFactor and startLearningRate")
    private CycleWarmupSpec warmup;

    @JsonPropertyDescription("Peak learning rate of this cycle (> 0). Absent: optimizer.learningRate.")
    @Min(value = 0, inclusive = false)
    private Double peakLearningRate;

    @JsonPropertyDescription("Floor of this cycle's cosine (>= 0, <= its peak). Absent: schedule.minLearningRate.")
    @Min(0)
    private Double minLearningRate;

    @JsonPropertyDescription("Exponent of this cycle's cosine factor (> 0). Absent: schedule.cosineExponent.")
    @Min(value = 0, inclusive = false)
    private Double cosineExponent;

    public Long getSteps() {
        return steps;
    }

    public void setSteps(Long steps) {
        this.steps = steps;
    }

    public Double getEpochs() {
        return epochs;
    }

    public void setEpochs(Double epochs) {
        this.epochs = epochs;
    }

    public CycleWarmupSpec getWarmup() {
        return warmup;
    }

    public void setWarmup(CycleWarmupSpec warmup) {
        this.warmup = warmup;
    }

    public Double getPeakLearningRate() {
        return peakLearningRate;
    }

    public void setPeakLearningRate(Double peakLearningRate) {
        this.peakLearningRate = peakLearningRate;
    }

    public Double getMinLearningRate() {
        return minLearningRate;
    }

    public void setMinLearningRate(Double minLearningRate) {
        this.minLearningRate = minLearningRate;
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
        if (!(o instanceof CycleSpec that)) return false;
        return Objects.equals(steps, that.steps) && Objects.equals(epochs, that.epochs) && Objects.equals(warmup, that.warmup) && Objects.equals(peakLearningRate, that.peakLearningRate) && Objects.equals(minLearningRate, that.minLearningRate) && Objects.equals(cosineExponent, that.cosineExponent);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs, warmup, peakLearningRate, minLearningRate, cosineExponent);
    }

    @Override
    public String toString() {
        return "CycleSpec{" + "steps=" + steps + ", " + "epochs=" + epochs + ", " + "warmup=" + warmup + ", " + "peakLearningRate=" + peakLearningRate + ", " + "minLearningRate=" + minLearningRate + ", " + "cosineExponent=" + cosineExponent + "}";
    }
}
