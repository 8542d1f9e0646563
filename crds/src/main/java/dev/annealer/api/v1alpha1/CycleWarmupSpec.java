package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Max;
import java.util.Objects;

/**
 * A listed cycle's own linear ramp to its peak (engine: {@code ScheduleConfig.Warmup} inside a
 * {@code ScheduleConfig.Cycle}): like {@link WarmupSpec} without placement, since it always starts its cycle.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CycleWarmupSpec {

    @JsonPropertyDescription("Warmup length in whole optimizer steps (>= 0). Exactly one of steps and epochs.")
    @Min(0)
    private Long steps;

    @JsonPropertyDescription("Warmup length in epochs (>= 0; must resolve to whole steps). Exactly one of steps and epochs.")
    @Min(0)
    private Double epochs;

    @JsonPropertyDescription("Learning rate of the first warmup step as a fraction of this cycle's peak, in [0, 1]. "
            + "Absent (and no startLearningRate): 0.")
    @Min(0)
    @Max(1)
    private Double startFactor;

    @JsonPropertyDescription("Learning rate of the first warmup step, absolute (>= 0). Alternative to startFactor.")
    @Min(0)
    private Double startLearningRate;


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

    public Double getStartFactor() {
        return startFactor;
    }

    public void setStartFactor(Double startFactor) {
        this.startFactor = startFactor;
    }

    public Double getStartLearningRate() {
        return startLearningRate;
    }

    public void setStartLearningRate(Double startLearningRate) {
        this.startLearningRate = startLearningRate;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof CycleWarmupSpec that)) return false;
        return Objects.equals(steps, that.steps) && Objects.equals(epochs, that.epochs) && Objects.equals(startFactor, that.startFactor) && Objects.equals(startLearningRate, that.startLearningRate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs, startFactor, startLearningRate);
    }

    @Override
    public String toString() {
        return "CycleWarmupSpec{" + "steps=" + steps + ", " + "epochs=" + epochs + ", " + "startFactor=" + startFactor + ", " + "startLearningRate=" + startLearningRate + "}";
    }
}
