package dev.annealer.trainer.hf.nn;

import ai.djl.ndarray.NDArray;

/** A linear map applied to the last axis of its input; built by a {@link LinearFactory}. */
public interface LinearOp {
  NDArray forward(NDArray x);

  /** The HF module path ({@code model.layers.0.self_attn.q_proj}). */
  String module();
}
