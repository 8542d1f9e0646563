package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/**
 * A learning-rate range test: {@code lr(step) = start * (end / start)^(step / (totalSteps - 1))}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.startLearningRate) || !has(self.endLearningRate) || self.startLearningRate < self.endLearningRate",
        message = "spec.training.lrRangeTest.startLearningRate must be < endLearningRate: the test sweeps upwards")
public class LrRangeTestSpec {

    @JsonPropertyDescription("Learning rate of the first step (> 0).")
    @Default("1.0E-7")
    @ValidationRule(value = "self > 0.0", message = "spec.training.lrRangeTest.startLearningRate must be > 0: the sweep is geometric")
    private Double startLearningRate;

    @JsonPropertyDescription("Learning rate of the last step.")
    @Default("10.0")
    private Double endLearningRate;

    public Double getStartLearningRate() {
        return startLearningRate;
    }

    public void setStartLearningRate(Double startLearningRate) {
        this.startLearningRate = startLearningRate;
    }

    public Double getEndLearningRate() {
        return endLearningRate;
    }

    public void setEndLearningRate(Double endLearningRate) {
        this.endLearningRate = endLearningRate;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof LrRangeTestSpec that)) return false;
        return Objects.equals(startLearningRate, that.startLearningRate) && Objects.equals(endLearningRate, that.endLearningRate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(startLearningRate, endLearningRate);
    }

    @Override
    public String toString() {
        return "LrRangeTestSpec{" + "startLearningRate=" + startLearningRate + ", " + "endLearningRate=" + endLearningRate + "}";
    }
}
