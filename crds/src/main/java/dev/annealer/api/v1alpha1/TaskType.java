package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the label is: a real number (regression, MSE loss) or a class index (classification, cross-entropy loss). */
public enum TaskType {
    @JsonProperty("regression")
    REGRESSION,
    @JsonProperty("classification")
    CLASSIFICATION;
}
