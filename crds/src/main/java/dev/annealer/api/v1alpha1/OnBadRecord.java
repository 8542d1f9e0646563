package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the trainer does with a record it cannot parse. */
public enum OnBadRecord {
    @JsonProperty("fail")
    FAIL,
    @JsonProperty("skip")
    SKIP;
}
