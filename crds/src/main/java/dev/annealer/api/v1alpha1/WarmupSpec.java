package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Max;
import java.util.Objects;

/**
 * Linear warmup (engine: {@code ScheduleConfig.Warmup}): {@code lr(s) = S + (P - S) * s / W} for the first
 * {@code W} steps, with {@code S = startFactor * P} or {@code startLearningRate}, {@code P} the peak.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WarmupSpec {

    @JsonPropertyDescription("Warmup length in whole optimizer steps (>= 0). Exactly one of steps and epochs.")
    @Min(0)
    private Long steps;

    @JsonPropertyDescription("Warmup length in epochs (>= 0; must resolve to whole steps). Exactly one of steps and epochs.")
    @Min(0)
    private Double epochs;

    @JsonPropertyDescription("Learning rate of the first warmup step as a fraction of the peak, in [0, 1]. "
            + "Absent (and no startLearningRate): 0.")
    @Min(0)
    @Max(1)
    private Double startFactor;

    @JsonPropertyDescription("Learning rate of the first warmup step, absolute (>= 0). Alternative to startFactor.")
    @Min(0)
    private Double startLearningRate;

    @JsonPropertyDescription("Prefix: the warmup comes before cycle 0, which starts when it ends (Hugging Face, optax, "
            + "timm warmup_prefix=True). Overlap: the warmup replaces the first steps of cycle 0, whose clock starts at "
            + "step 0 (timm warmup_prefix=False). Schedule-level warmup only. Absent: Prefix.")
    private WarmupPlacement placement;

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

    public WarmupPlacement getPlacement() {
        return placement;
    }

    public void setPlacement(WarmupPlacement placement) {
        this.placement = placement;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof WarmupSpec that)) return false;
        return Objects.equals(steps, that.steps) && Objects.equals(epochs, that.epochs) && Objects.equals(startFactor, that.startFactor) && Objects.equals(startLearningRate, that.startLearningRate) && Objects.equals(placement, that.placement);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs, startFactor, startLearningRate, placement);
    }

    @Override
    public String toString() {
        return "WarmupSpec{" + "steps=" + steps + ", " + "epochs=" + epochs + ", " + "startFactor=" + startFactor + ", " + "startLearningRate=" + startLearningRate + ", " + "placement=" + placement + "}";
    }
}
