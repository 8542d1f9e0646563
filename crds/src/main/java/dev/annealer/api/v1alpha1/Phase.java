package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Lifecycle phase of a FineTuneJob, derived from its conditions. */
public enum Phase {
    @JsonProperty("Pending")
    PENDING,
    @JsonProperty("Running")
    RUNNING,
    @JsonProperty("Suspended")
    SUSPENDED,
    @JsonProperty("Succeeded")
    SUCCEEDED,
    @JsonProperty("Failed")
    FAILED;
}
