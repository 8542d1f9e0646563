package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** A length in optimizer steps or in (fractional) epochs; exactly one of the two. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.steps) != has(self.epochs)",
        message = "spec.schedule.period must set exactly one of steps and epochs")
public class PeriodSpec {

    @JsonPropertyDescription("Length in optimizer steps (>= 1). Exact: cycle boundaries fall on whole steps.")
    @Min(1)
    private Long steps;

    @JsonPropertyDescription("Length in epochs (> 0, may be fractional, e.g. 1.5); converted with the number of "
            + "optimizer steps per epoch that the trainer measures on the data.")
    @ValidationRule(value = "self > 0.0", message = "spec.schedule.period.epochs must be > 0")
    private Double epochs;

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

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof PeriodSpec that)) return false;
        return Objects.equals(steps, that.steps) && Objects.equals(epochs, that.epochs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs);
    }

    @Override
    public String toString() {
        return "PeriodSpec{" + "steps=" + steps + ", " + "epochs=" + epochs + "}";
    }
}
