package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a Cosine schedule does after its horizon (engine: ScheduleConfig.AfterHorizon). */
public enum AfterHorizon {
    @JsonProperty("Hold")
    HOLD,
    @JsonProperty("Continue")
    CONTINUE;
}
