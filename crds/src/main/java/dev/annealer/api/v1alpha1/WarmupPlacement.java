package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where the warmup sits relative to cycle 0 (engine: ScheduleConfig.WarmupPlacement). */
public enum WarmupPlacement {
    @JsonProperty("Prefix")
    PREFIX,
    @JsonProperty("Overlap")
    OVERLAP;
}
