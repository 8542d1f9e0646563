package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the model at {@code spec.model.source} is stored. */
public enum ModelFormat {
    @JsonProperty("torchscript")
    TORCHSCRIPT,
    @JsonProperty("djl")
    DJL,
    @JsonProperty("builtin")
    BUILTIN,
    /** A Hugging Face model directory (config.json, *.safetensors, tokenizer.json). */
    @JsonProperty("huggingface")
    HUGGINGFACE;
}
