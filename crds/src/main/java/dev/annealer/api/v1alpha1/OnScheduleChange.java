package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a resumed attempt does when the checkpoint's schedule fingerprint differs from the spec's. */
public enum OnScheduleChange {
    @JsonProperty("Refuse")
    REFUSE,
    @JsonProperty("Continue")
    CONTINUE;
}
