package dev.annealer.trainer.hf;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * A Hugging Face model as the training loop sees it (the contract between the model families in this package and the
 * tensor training path): live libtorch parameters under stable names, a differentiable loss on a {@link TokenBatch},
 * and an export a serving stack loads.
 *
 * <p>Names are canonical HF / PEFT names: a full fine-tune exposes the state-dict names of {@code model.safetensors}
 * ({@code model.layers.0.self_attn.q_proj.weight}; a tied head appears once, under the embedding's name); a LoRA
 * fine-tune exposes only the adapters, under PEFT's names
 * ({@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}). Checkpoints, optimizer state, digests and
 * {@code spec.model.trainable} patterns use these names.
 */
public interface LanguageModel extends AutoCloseable {

  /** {@code llama}, {@code mistral}, {@code qwen2}, {@code gpt2} or {@code bert}: the config's {@code model_type}. */
  String family();

  /**
   * The parameters the optimizer updates, in a stable order, as float32 arrays on the model's device with gradients
   * attached. Frozen base weights of a LoRA job are not in this map.
   */
  LinkedHashMap<String, NDArray> trainableParameters();

  /**
   * Mean loss of the batch (a float32 scalar), differentiable with respect to {@link #trainableParameters()} when
   * called inside a gradient collector. Causal LM: cross-entropy of position t's logits against token t+1 over every
   * label that is not -100 in the whole batch. Classification: class cross-entropy averaged over the batch.
   */
  NDArray loss(TokenBatch batch);

  /** Logits: causal LM {@code [B, T, vocab]}; classification {@code [B, numLabels]}. No gradient needed. */
  NDArray logits(TokenBatch batch);

  /**
   * Writes what {@code transformers}/{@code peft}/vLLM load as they are: full fine-tune = an HF model directory
   * ({@code config.json}, {@code model.safetensors}, tokenizer files); LoRA = a PEFT adapter directory
   * ({@code adapter_config.json}, {@code adapter_model.safetensors}) plus, when {@code exportMerged}, the merged model
   * in {@code dir/merged/}.
   */
  void export(Path dir, boolean exportMerged) throws IOException;

  @Override
  void close();
}
