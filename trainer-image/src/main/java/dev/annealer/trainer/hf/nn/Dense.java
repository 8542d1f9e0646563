package dev.annealer.trainer.hf.nn;

import ai.djl.ndarray.NDArray;
import dev.annealer.trainer.hf.ops.Ops;

/** {@code nn.Linear} (weight {@code [out, in]}) or GPT-2's {@code Conv1D} (weight {@code [in, out]}). */
public record Dense(String module, NDArray weight, NDArray bias, boolean conv1d) implements LinearOp {
  @Override
  public NDArray forward(NDArray x) {
    return conv1d ? Ops.conv1d(x, weight, bias) : Ops.linear(x, weight, bias);
  }

  public long inFeatures() {
    return weight.getShape().get(conv1d ? 0 : 1);
  }

  public long outFeatures() {
    return weight.getShape().get(conv1d ? 1 : 0);
  }
}
