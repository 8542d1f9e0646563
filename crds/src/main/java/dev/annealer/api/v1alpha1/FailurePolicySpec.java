package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/**
 * How many attempts may end badly. A <em>preemption</em> (DisruptionTarget condition, pod deleted by someone else,
 * node lost, trainer exit 75) never counts as a failure; a <em>failure</em> is a non-zero exit, OOMKilled, an image
 * that cannot be pulled, or a container config error.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FailurePolicySpec {

    @JsonPropertyDescription("Genuine failures (crash, OOMKilled, bad data, image pull) tolerated; the job fails at "
            + "failure maxFailures + 1. 0: the first failure fails the job.")
    @Default("3")
    @ValidationRule(value = "self >= 0", message = "spec.failurePolicy.maxFailures must be >= 0")
    private Integer maxFailures;

    @JsonPropertyDescription("Preemptions tolerated before the job fails with reason MaxPreemptionsExceeded; "
            + "-1: unlimited. Preemptions never count against maxFailures.")
    @Default("-1")
    @ValidationRule(value = "self >= -1", message = "spec.failurePolicy.maxPreemptions must be >= 0, or -1 for unlimited")
    private Integer maxPreemptions;

    @JsonPropertyDescription("Delay before the attempt that follows a failure (a preemption is replaced at once).")
    private BackoffSpec backoff;

    public Integer getMaxFailures() {
        return maxFailures;
    }

    public void setMaxFailures(Integer maxFailures) {
        this.maxFailures = maxFailures;
    }

    public Integer getMaxPreemptions() {
        return maxPreemptions;
    }

    public void setMaxPreemptions(Integer maxPreemptions) {
        this.maxPreemptions = maxPreemptions;
    }

    public BackoffSpec getBackoff() {
        return backoff;
    }

    public void setBackoff(BackoffSpec backoff) {
        this.backoff = backoff;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof FailurePolicySpec that)) return false;
        return Objects.equals(maxFailures, that.maxFailures) && Objects.equals(maxPreemptions, that.maxPreemptions) && Objects.equals(backoff, that.backoff);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxFailures, maxPreemptions, backoff);
    }

    @Override
    public String toString() {
        return "FailurePolicySpec{" + "maxFailures=" + maxFailures + ", " + "maxPreemptions=" + maxPreemptions + ", " + "backoff=" + backoff + "}";
    }
}
