package dev.annealer.trainer.hf.nn;

import ai.djl.ndarray.NDArray;

/**
 * Builds every linear module of a family, so that LoRA is injected by wrapping the modules it targets instead of by a
 * second copy of the builder ({@link dev.annealer.trainer.hf.lora.LoraInjector}).
 */
@FunctionalInterface
public interface LinearFactory {
  /**
   * @param module HF module path, e.g. {@code model.layers.0.self_attn.q_proj}
   * @param weight {@code [out, in]}, or {@code [in, out]} when {@code conv1d} (GPT-2's {@code Conv1D})
   * @param bias {@code [out]} or null
   */
  LinearOp linear(String module, NDArray weight, NDArray bias, boolean conv1d);

  /** Plain {@code nn.Linear} / {@code Conv1D}. */
  LinearFactory PLAIN = Dense::new;
}
