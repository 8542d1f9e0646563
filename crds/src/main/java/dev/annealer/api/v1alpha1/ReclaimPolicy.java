package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What happens to the checkpoint PVC when the FineTuneJob is deleted. */
public enum ReclaimPolicy {
    @JsonProperty("Retain")
    RETAIN,
    @JsonProperty("Delete")
    DELETE;
}
