package dev.annealer.trainer.hf.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.trainer.TrainerFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A PEFT {@code adapter_config.json}: read for {@code spec.model.lora.initFrom}, written on export in the format
 * PEFT 0.21 writes ({@code LoraConfig.save_pretrained}).
 */
public final class PeftAdapterConfig {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private PeftAdapterConfig() {}

  /** What {@code initFrom} says: rank, alpha, targets, task and the Conv1D flag. */
  public record Read(int rank, double alpha, double dropout, List<String> targetModules, String taskType,
      boolean fanInFanOut, List<String> modulesToSave) {
    public LoraSpec toSpec() {
      return new LoraSpec(rank, alpha, 0.0, targetModules);
    }
  }

  private static String field(String key) {
    return "spec.model.lora.initFrom adapter_config.json " + key;
  }

  /** Reads and validates {@code dir/adapter_config.json}; features PEFT has but this trainer does not are rejected. */
  public static Read read(Path dir) {
    Path p = dir.resolve("adapter_config.json");
    JsonNode n;
    try {
      n = JSON.readTree(Files.readString(p));
    } catch (NoSuchFileException e) {
      throw new TrainerFailure(TrainerFailure.Reason.MissingFile,
          "spec.model.lora.initFrom has no adapter_config.json: " + p + " does not exist");
    } catch (IOException e) {
      throw new TrainerFailure(TrainerFailure.Reason.InvalidSpec, field("") + "is not valid JSON: " + e.getMessage());
    }
    String peftType = text(n, "peft_type", "LORA");
    if (!"LORA".equals(peftType)) {
      throw TrainerFailure.invalid(field("peft_type"), peftType, "must be LORA");
    }
    requireFalse(n, "use_dora", "DoRA is not supported");
    requireFalse(n, "use_rslora", "rank-stabilized LoRA is not supported");
    requireFalse(n, "lora_bias", "LoRA bias is not supported");
    requireFalse(n, "use_qalora", "QA-LoRA is not supported");
    String bias = text(n, "bias", "none");
    if (!"none".equals(bias)) {
      throw TrainerFailure.invalid(field("bias"), bias, "must be none (bias training is not supported)");
    }
    for (String k : List.of("rank_pattern", "alpha_pattern")) {
      JsonNode v = n.get(k);
      if (v != null && !v.isNull() && v.size() > 0) {
        throw TrainerFailure.invalid(field(k), v, "must be empty (one rank and alpha for every module)");
      }
    }
    requireFalse(n, "use_bdlora", "this LoRA variant is not supported");
    for (String k : List.of("layers_to_transform", "layer_replication", "exclude_modules", "target_parameters",
        "trainable_token_indices", "alora_invocation_tokens")) {
      JsonNode v = n.get(k);
      if (v != null && !v.isNull() && !(v.isContainerNode() && v.size() == 0)) {
        throw TrainerFailure.invalid(field(k), v, "is not supported (must be null)");
      }
    }
    JsonNode r = n.get("r");
    JsonNode alpha = n.get("lora_alpha");
    if (r == null || !r.canConvertToInt() || alpha == null || !alpha.isNumber()) {
      throw TrainerFailure.invalid(field("r / lora_alpha"), n.get("r") + " / " + n.get("lora_alpha"),
          "must be numbers");
    }
    JsonNode targets = n.get("target_modules");
    List<String> list = new ArrayList<>();
    if (targets != null && targets.isTextual()) {
      if (!targets.asText().equals(LoraSpec.ALL_LINEAR)) {
        throw TrainerFailure.invalid(field("target_modules"), targets,
            "as a regular expression is not supported; use a list of module names or all-linear");
      }
      list.add(LoraSpec.ALL_LINEAR);
    } else if (targets != null && targets.isArray()) {
      targets.forEach(t -> list.add(t.asText()));
      list.sort(null);
    } else {
      throw TrainerFailure.invalid(field("target_modules"), targets, "must be a list of module names");
    }
    List<String> save = new ArrayList<>();
    JsonNode mts = n.get("modules_to_save");
    if (mts != null && mts.isArray()) {
      mts.forEach(t -> save.add(t.asText()));
    }
    JsonNode dropout = n.get("lora_dropout");
    JsonNode fan = n.get("fan_in_fan_out");
    return new Read(r.asInt(), alpha.asDouble(), dropout == null ? 0.0 : dropout.asDouble(), List.copyOf(list),
        text(n, "task_type", null), fan != null && fan.asBoolean(), List.copyOf(save));
  }

  private static String text(JsonNode n, String key, String dflt) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  private static void requireFalse(JsonNode n, String key, String why) {
    JsonNode v = n.get(key);
    if (v != null && v.asBoolean(false)) {
      throw TrainerFailure.invalid(field(key), v, why + " (must be false)");
    }
  }

  /**
   * Writes {@code dir/adapter_config.json} as PEFT does.
   *
   * @param targets {@code target_modules}: module names (what {@code all-linear} resolved to)
   * @param taskType {@code CAUSAL_LM} or {@code SEQ_CLS}
   * @param baseModel {@code base_model_name_or_path}
   * @param fanInFanOut true for GPT-2's Conv1D
   * @param modulesToSave fully trained modules saved with the adapter (the classifier), or empty
   */
  public static void write(Path dir, LoraSpec spec, List<String> targets, String taskType, String baseModel,
      boolean fanInFanOut, List<String> modulesToSave) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.putObject("alpha_pattern");
    o.putNull("auto_mapping");
    o.put("base_model_name_or_path", baseModel);
    o.put("bias", "none");
    o.put("fan_in_fan_out", fanInFanOut);
    o.put("inference_mode", true);
    o.put("init_lora_weights", true);
    o.putNull("layer_replication");
    o.putNull("layers_pattern");
    o.putNull("layers_to_transform");
    o.putObject("loftq_config");
    if (spec.alpha() == Math.rint(spec.alpha()) && Math.abs(spec.alpha()) < Integer.MAX_VALUE) {
      o.put("lora_alpha", (int) spec.alpha());
    } else {
      o.put("lora_alpha", spec.alpha());
    }
    o.put("lora_bias", false);
    o.put("lora_dropout", spec.dropout());
    o.putNull("megatron_config");
    o.put("megatron_core", "megatron.core");
    if (modulesToSave.isEmpty()) {
      o.putNull("modules_to_save");
    } else {
      modulesToSave.forEach(o.putArray("modules_to_save")::add);
    }
    o.put("peft_type", "LORA");
    o.put("r", spec.rank());
    o.putObject("rank_pattern");
    o.putNull("revision");
    List<String> t = new ArrayList<>(targets);
    t.sort(null);
    t.forEach(o.putArray("target_modules")::add);
    o.put("task_type", taskType);
    o.put("use_dora", false);
    o.put("use_rslora", false);
    Files.writeString(dir.resolve("adapter_config.json"), JSON.writeValueAsString(o) + "\n");
  }
}
