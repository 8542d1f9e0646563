package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Optimizer, with the semantics of torch.optim. */
public enum OptimizerType {
    @JsonProperty("AdamW")
    ADAMW,
    @JsonProperty("SGD")
    SGD;
}
