package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/**
 * Early warm restart: after {@code patience} evaluations in a row whose validation loss is not below
 * {@code best - minDelta}, the next cycle starts at the next step.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestartOnPlateauSpec {

    @JsonPropertyDescription("Evaluations without improvement that trigger a restart (>= 1).")
    @Required
    @Min(1)
    private Integer patience;

    @JsonPropertyDescription("Smallest decrease of the validation loss that counts as an improvement (>= 0). Absent: 0.")
    @Min(0)
    private Double minDelta;

    public Integer getPatience() {
        return patience;
    }

    public void setPatience(Integer patience) {
        this.patience = patience;
    }

    public Double getMinDelta() {
        return minDelta;
    }

    public void setMinDelta(Double minDelta) {
        this.minDelta = minDelta;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof RestartOnPlateauSpec that)) return false;
        return Objects.equals(patience, that.patience) && Objects.equals(minDelta, that.minDelta);
    }

    @Override
    public int hashCode() {
        return Objects.hash(patience, minDelta);
    }

    @Override
    public String toString() {
        return "RestartOnPlateauSpec{" + "patience=" + patience + ", " + "minDelta=" + minDelta + "}";
    }
}
