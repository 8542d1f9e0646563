package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Shape of the learning-rate schedule. */
public enum ScheduleType {
    @JsonProperty("Constant")
    CONSTANT,
    @JsonProperty("Cosine")
    COSINE,
    @JsonProperty("CosineWarmRestarts")
    COSINE_WARM_RESTARTS;
}
