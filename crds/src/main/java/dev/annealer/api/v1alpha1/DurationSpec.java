package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * A length in optimizer steps or in (fractional) epochs, exactly one of the two (engine:
 * {@code ScheduleConfig.Duration}). Epochs are converted with the steps per epoch the trainer measures on the data:
 * {@code steps = epochs * stepsPerEpoch}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DurationSpec {

    @JsonPropertyDescription("Length in optimizer steps (> 0; may be fractional, e.g. when imported from a peer that "
            + "steps in fractional epochs). Exactly one of steps and epochs.")
    @Min(value = 0, inclusive = false)
    private Double steps;

    @JsonPropertyDescription("Length in epochs (> 0, may be fractional, e.g. 1.5). Exactly one of steps and epochs.")
    @Min(value = 0, inclusive = false)
    private Double epochs;

    public DurationSpec() {
    }

    /** A length in steps. */
    public static DurationSpec ofSteps(double steps) {
        DurationSpec d = new DurationSpec();
        d.steps = steps;
        return d;
    }

    /** A length in epochs. */
    public static DurationSpec ofEpochs(double epochs) {
        DurationSpec d = new DurationSpec();
        d.epochs = epochs;
        return d;
    }

    public Double getSteps() {
        return steps;
    }

    public void setSteps(Double steps) {
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
        if (!(o instanceof DurationSpec that)) return false;
        return Objects.equals(steps, that.steps) && Objects.equals(epochs, that.epochs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs);
    }

    @Override
    public String toString() {
        return "DurationSpec{" + "steps=" + steps + ", " + "epochs=" + epochs + "}";
    }
}
