package dev.annealer.trainer.hf;

import ai.djl.Device;
import dev.annealer.trainer.hf.lora.LoraSpec;
import java.nio.file.Path;

/**
 * How to load a Hugging Face model directory ({@link HfModels#load}).
 *
 * @param task causal LM for the decoders (llama, mistral, qwen2, gpt2), classification/regression for bert
 * @param numLabels classification: the number of classes, or null to take config.json's ({@code id2label}); must
 *     agree with a classifier stored in the checkpoint. Ignored for causal LM; regression is 1.
 * @param lora LoRA adapters, or null for a full fine-tune
 * @param loraInitFrom a PEFT adapter directory to start the adapters from, or null for PEFT's default init
 * @param seed the job seed: LoRA's {@code lora_A} and a new classifier head are drawn from it
 * @param device where parameters and batches live
 */
public record HfLoadOptions(HfTask task, Integer numLabels, LoraSpec lora, Path loraInitFrom, long seed,
    Device device) {

  public HfLoadOptions {
    if (task == null) {
      throw new IllegalArgumentException("task");
    }
    if (device == null) {
      device = Device.cpu();
    }
    if (loraInitFrom != null && lora == null) {
      throw new IllegalArgumentException("loraInitFrom needs a LoraSpec");
    }
  }

  /** Full fine-tune of a causal LM on the CPU. */
  public static HfLoadOptions causalLM(long seed) {
    return new HfLoadOptions(HfTask.CAUSAL_LM, null, null, null, seed, Device.cpu());
  }

  /** Full fine-tune of a classifier on the CPU; {@code numLabels} null = config.json's. */
  public static HfLoadOptions classification(Integer numLabels, long seed) {
    return new HfLoadOptions(HfTask.CLASSIFICATION, numLabels, null, null, seed, Device.cpu());
  }

  public HfLoadOptions withLora(LoraSpec spec, Path initFrom) {
    return new HfLoadOptions(task, numLabels, spec, initFrom, seed, device);
  }

  public HfLoadOptions withDevice(Device d) {
    return new HfLoadOptions(task, numLabels, lora, loraInitFrom, seed, d);
  }
}
