package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the cycle index is computed when periodMultiplier > 1 (engine: ScheduleConfig.CycleIndexArithmetic). */
public enum CycleIndexArithmetic {
    @JsonProperty("Exact")
    EXACT,
    @JsonProperty("Float64Log")
    FLOAT64_LOG;
}
