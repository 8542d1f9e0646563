package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What is learned: a real-number label (regression, MSE loss), a class index (classification, cross-entropy loss), or
 * the next token of a text (causalLM, Hugging Face models only).
 */
public enum TaskType {
    @JsonProperty("regression")
    REGRESSION,
    @JsonProperty("classification")
    CLASSIFICATION,
    @JsonProperty("causalLM")
    CAUSAL_LM;
}
