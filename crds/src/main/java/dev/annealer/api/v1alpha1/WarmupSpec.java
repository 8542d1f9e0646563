package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/**
 * Linear warmup: {@code lr(s) = start + (learningRate - start) * s / W} for {@code s < W} warmup steps, with
 * {@code start = startFactor * learningRate} or {@code startLearningRate}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.steps) != has(self.epochs)",
        message = "spec.schedule.warmup must set exactly one of steps and epochs")
@ValidationRule(value = "!(has(self.startFactor) && has(self.startLearningRate))",
        message = "spec.schedule.warmup must set at most one of startFactor and startLearningRate")
public class WarmupSpec {

    @JsonPropertyDescription("Warmup length in optimizer steps (>= 1). Exactly one of steps and epochs.")
    @Min(1)
    private Long steps;

    @JsonPropertyDescription("Warmup length in (fractional) epochs (> 0). Exactly one of steps and epochs.")
    @ValidationRule(value = "self > 0.0", message = "spec.schedule.warmup.epochs must be > 0")
    private Double epochs;

    @JsonPropertyDescription("Learning rate of step 0 as a fraction of optimizer.learningRate, in [0, 1). "
            + "Absent (and no startLearningRate): 0.")
    @ValidationRule(value = "self >= 0.0 && self < 1.0", message = "spec.schedule.warmup.startFactor must be in [0, 1)")
    private Double startFactor;

    @JsonPropertyDescription("Learning rate of step 0, absolute (>= 0, < optimizer.learningRate). "
            + "Alternative to startFactor.")
    @ValidationRule(value = "self >= 0.0", message = "spec.schedule.warmup.startLearningRate must be >= 0")
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
        if (!(o instanceof WarmupSpec that)) return false;
        return Objects.equals(steps, that.steps) && Objects.equals(epochs, that.epochs) && Objects.equals(startFactor, that.startFactor) && Objects.equals(startLearningRate, that.startLearningRate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs, startFactor, startLearningRate);
    }

    @Override
    public String toString() {
        return "WarmupSpec{" + "steps=" + steps + ", " + "epochs=" + epochs + ", " + "startFactor=" + startFactor + ", " + "startLearningRate=" + startLearningRate + "}";
    }
}
