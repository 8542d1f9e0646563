package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Train for real, or run a learning-rate range test. */
public enum TrainingMode {
    @JsonProperty("train")
    TRAIN,
    @JsonProperty("lrRangeTest")
    LR_RANGE_TEST;
}
