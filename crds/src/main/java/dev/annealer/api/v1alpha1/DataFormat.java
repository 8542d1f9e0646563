package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** File format of the training and validation data. */
public enum DataFormat {
    @JsonProperty("csv")
    CSV,
    @JsonProperty("jsonl")
    JSONL;
}
