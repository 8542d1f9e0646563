package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Objects;

/** Low-rank adapters (LoRA, as PEFT's {@code LoraConfig}) for a {@code huggingface} model: the base is frozen. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LoraSpec {

    @JsonPropertyDescription("Rank r of each adapter (PEFT's r): lora_A is [r, in], lora_B is [out, r]. Must be >= 1.")
    @Default("8")
    @ValidationRule(value = "self >= 1", message = "spec.model.lora.rank must be >= 1, e.g. 8")
    private Integer rank;

    @JsonPropertyDescription("Scaling numerator (PEFT's lora_alpha): the adapter output is multiplied by alpha / rank. "
            + "Must be > 0.")
    @Default("8")
    @ValidationRule(value = "self > 0.0", message = "spec.model.lora.alpha must be > 0, e.g. 16")
    private Double alpha;

    @JsonPropertyDescription("Dropout probability on the adapter input (PEFT's lora_dropout), in [0, 1). 0: none.")
    @Default("0")
    @ValidationRule(value = "self >= 0.0 && self < 1.0", message = "spec.model.lora.dropout must be in [0, 1), e.g. 0.05")
    private Double dropout;

    @JsonPropertyDescription("Module names the adapters wrap (PEFT's target_modules, matched against the last part of "
            + "the module name), e.g. [q_proj, v_proj] for llama, mistral and qwen2, [c_attn] for gpt2, [query, value] "
            + "for bert. Absent: PEFT's default for the model family (those examples).")
    @Size(max = 64)
    @ValidationRule(value = "size(self) >= 1",
            message = "spec.model.lora.targetModules must name at least one module, e.g. [q_proj, v_proj]; "
                    + "leave it out for the family's default")
    private List<String> targetModules;

    @JsonPropertyDescription("A PEFT adapter directory (adapter_config.json + adapter_model.safetensors; pvc://, "
            + "file:// or a relative path) to start from instead of fresh adapters. Its r, lora_alpha and "
            + "target_modules must equal this spec's. Absent: lora_A Kaiming-uniform from the job seed, lora_B zero.")
    @Size(min = 1, max = 1024)
    @ValidationRule(value = Sources.DATA_RULE, message = "spec.model.lora.initFrom" + Sources.DATA_MESSAGE_SUFFIX)
    private String initFrom;

    @JsonPropertyDescription("Also export the base model with the adapters merged in (W + alpha/r * B A) as an HF "
            + "model directory in <checkpoint-dir>/final/merged/, next to the adapter.")
    @Default("false")
    private Boolean exportMerged;

    public Integer getRank() {
        return rank;
    }

    public void setRank(Integer rank) {
        this.rank = rank;
    }

    public Double getAlpha() {
        return alpha;
    }

    public void setAlpha(Double alpha) {
        this.alpha = alpha;
    }

    public Double getDropout() {
        return dropout;
    }

    public void setDropout(Double dropout) {
        this.dropout = dropout;
    }

    public List<String> getTargetModules() {
        return targetModules;
    }

    public void setTargetModules(List<String> targetModules) {
        this.targetModules = targetModules;
    }

    public String getInitFrom() {
        return initFrom;
    }

    public void setInitFrom(String initFrom) {
        this.initFrom = initFrom;
    }

    public Boolean getExportMerged() {
        return exportMerged;
    }

    public void setExportMerged(Boolean exportMerged) {
        this.exportMerged = exportMerged;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof LoraSpec that)) return false;
        return Objects.equals(rank, that.rank) && Objects.equals(alpha, that.alpha) && Objects.equals(dropout, that.dropout) && Objects.equals(targetModules, that.targetModules) && Objects.equals(initFrom, that.initFrom) && Objects.equals(exportMerged, that.exportMerged);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rank, alpha, dropout, targetModules, initFrom, exportMerged);
    }

    @Override
    public String toString() {
        return "LoraSpec{" + "rank=" + rank + ", " + "alpha=" + alpha + ", " + "dropout=" + dropout + ", " + "targetModules=" + targetModules + ", " + "initFrom=" + initFrom + ", " + "exportMerged=" + exportMerged + "}";
    }
}
