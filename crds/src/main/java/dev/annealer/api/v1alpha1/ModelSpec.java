package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The model to fine-tune. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.format) || (self.format == 'builtin') == self.source.startsWith('builtin:')",
        message = "spec.model.format must be builtin exactly when spec.model.source starts with builtin:")
@ValidationRule(value = "!has(self.lora) || (has(self.format) && self.format == 'huggingface')",
        message = "spec.model.lora needs spec.model.format: huggingface (adapters are for Hugging Face models)")
public class ModelSpec {

    @JsonPropertyDescription("Where the model is: pvc://CLAIM/path (a PersistentVolumeClaim, mounted read-only), "
            + "file:///absolute/path (inside the trainer image), a path relative to the trainer's working directory, "
            + "or builtin:NAME[?key=value,...] for a model the trainer builds itself, e.g. builtin:mlp?hidden=64,64. "
            + "For format huggingface: the model directory (config.json, model.safetensors or sharded "
            + "model-0000N-of-0000M.safetensors with model.safetensors.index.json, tokenizer.json), e.g. the final/ "
            + "directory of an earlier job.")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = Sources.MODEL_RULE, message = Sources.MODEL_MESSAGE)
    private String source;

    @JsonPropertyDescription("How the model is stored: torchscript (a TorchScript .pt file), djl (DJL .params), "
            + "builtin, or huggingface (a Hugging Face model directory: llama, mistral, qwen2, gpt2 or bert, chosen by "
            + "config.json's model_type; trains on text, see spec.data.task). Absent: builtin for builtin: sources, "
            + "torchscript for .pt/.pth files, djl otherwise (huggingface is never inferred).")
    private ModelFormat format;

    @JsonPropertyDescription("Low-rank adapters for a huggingface model (PEFT LoRA): the base weights are frozen and "
            + "only the adapters train; the result is a PEFT adapter directory. Absent: every weight trains "
            + "(subject to trainable).")
    private LoraSpec lora;

    @JsonPropertyDescription("Regular expressions (Java syntax, matched against the whole parameter name, e.g. 0.weight; "
            + "huggingface: the state-dict name, e.g. model.layers.0.self_attn.q_proj.weight, or with lora the PEFT "
            + "name of an adapter) of the parameters that train; all others are frozen. Absent or empty: every parameter trains.")
    @Size(max = 64)
    private List<String> trainable;

    @JsonPropertyDescription("Per-parameter-group learning-rate scaling: parameter-name regular expression -> factor "
            + "(> 0). A parameter's learning rate is the schedule's learning rate times the factor of the first "
            + "matching pattern (in key order), or 1. Typical use: a larger rate for a new head or adapter.")
    @Size(max = 64)
    @ValidationRule(value = "self.all(k, self[k] > 0.0)",
            message = "spec.model.learningRateMultipliers values must be > 0: a zero factor freezes the group, "
                    + "use spec.model.trainable for that")
    private Map<String, Double> learningRateMultipliers;

    /**
     * The format in effect: {@link #getFormat()} if set, else inferred from the source as the field description
     * says.
     */
    @JsonIgnore
    public ModelFormat effectiveFormat() {
        if (format != null) {
            return format;
        }
        if (source != null && source.startsWith("builtin:")) {
            return ModelFormat.BUILTIN;
        }
        if (source != null && (source.endsWith(".pt") || source.endsWith(".pth"))) {
            return ModelFormat.TORCHSCRIPT;
        }
        return ModelFormat.DJL;
    }

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public ModelFormat getFormat() {
        return format;
    }

    public void setFormat(ModelFormat format) {
        this.format = format;
    }

    public LoraSpec getLora() {
        return lora;
    }

    public void setLora(LoraSpec lora) {
        this.lora = lora;
    }

    public List<String> getTrainable() {
        return trainable;
    }

    public void setTrainable(List<String> trainable) {
        this.trainable = trainable;
    }

    public Map<String, Double> getLearningRateMultipliers() {
        return learningRateMultipliers;
    }

    public void setLearningRateMultipliers(Map<String, Double> learningRateMultipliers) {
        this.learningRateMultipliers = learningRateMultipliers;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ModelSpec that)) return false;
        return Objects.equals(source, that.source) && Objects.equals(format, that.format) && Objects.equals(trainable, that.trainable) && Objects.equals(learningRateMultipliers, that.learningRateMultipliers) && Objects.equals(lora, that.lora);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, format, lora, trainable, learningRateMultipliers);
    }

    @Override
    public String toString() {
        return "ModelSpec{" + "source=" + source + ", " + "format=" + format + ", " + "trainable=" + trainable + ", " + "learningRateMultipliers=" + learningRateMultipliers + ", " + "lora=" + lora + "}";
    }
}
