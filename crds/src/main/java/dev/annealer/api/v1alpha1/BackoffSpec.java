package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** Capped exponential backoff: delay after failure n (1-based) = min(maxSeconds, initialSeconds * 2^(n-1)). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.initialSeconds) || !has(self.maxSeconds) || self.initialSeconds <= self.maxSeconds",
        message = "spec.failurePolicy.backoff.initialSeconds must be <= maxSeconds")
public class BackoffSpec {

    @JsonPropertyDescription("Delay after the first failure, in seconds (>= 0).")
    @Default("10")
    @Min(0)
    private Long initialSeconds;

    @JsonPropertyDescription("Upper bound of the delay, in seconds (>= 0).")
    @Default("300")
    @Min(0)
    private Long maxSeconds;

    public Long getInitialSeconds() {
        return initialSeconds;
    }

    public void setInitialSeconds(Long initialSeconds) {
        this.initialSeconds = initialSeconds;
    }

    public Long getMaxSeconds() {
        return maxSeconds;
    }

    public void setMaxSeconds(Long maxSeconds) {
        this.maxSeconds = maxSeconds;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof BackoffSpec that)) return false;
        return Objects.equals(initialSeconds, that.initialSeconds) && Objects.equals(maxSeconds, that.maxSeconds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(initialSeconds, maxSeconds);
    }

    @Override
    public String toString() {
        return "BackoffSpec{" + "initialSeconds=" + initialSeconds + ", " + "maxSeconds=" + maxSeconds + "}";
    }
}
