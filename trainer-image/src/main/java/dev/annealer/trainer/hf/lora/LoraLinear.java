package dev.annealer.trainer.hf.lora;

import ai.djl.ndarray.NDArray;
import dev.annealer.trainer.hf.nn.Dense;
import dev.annealer.trainer.hf.nn.LinearOp;
import dev.annealer.trainer.hf.ops.Ops;

/**
 * PEFT's {@code lora.Linear}: the frozen base plus {@code lora_B(lora_A(x)) * scaling}, with {@code lora_A [r, in]}
 * and {@code lora_B [out, r]} as {@code nn.Linear} weights without bias, for {@code nn.Linear} and GPT-2's
 * {@code Conv1D} alike (PEFT's {@code fan_in_fan_out} only changes how the delta is merged).
 */
public final class LoraLinear implements LinearOp {
  private final Dense base;
  private final NDArray loraA;
  private final NDArray loraB;
  private final double scaling;
  private final NDArray scalingTensor;

  public LoraLinear(Dense base, NDArray loraA, NDArray loraB, double scaling) {
    this.base = base;
    this.loraA = loraA;
    this.loraB = loraB;
    this.scaling = scaling;
    this.scalingTensor = dev.annealer.trainer.hf.ops.Scalars.owned(loraA.getManager(), scaling);
  }

  @Override
  public NDArray forward(NDArray x) {
    // peft/tuners/lora/layer.py Linear.forward: result = base_layer(x); result = result + lora_B(lora_A(x)) * scaling
    NDArray result = base.forward(x);
    return result.add(Ops.linear(Ops.linear(x, loraA, null), loraB, null).mul(scalingTensor));
  }

  @Override
  public String module() {
    return base.module();
  }

  public Dense base() {
    return base;
  }

  public NDArray loraA() {
    return loraA;
  }

  public NDArray loraB() {
    return loraB;
  }

  /**
   * The merged weight, as {@code merge_and_unload} computes it: {@code W + transpose(B·A, fan_in_fan_out) * scaling}
   * (GPT-2's Conv1D stores W as {@code [in, out]}, hence the transpose). A new array; the caller closes it.
   */
  public NDArray mergedWeight() {
    NDArray delta = loraB.matMul(loraA).mul(scaling);
    NDArray merged = base.conv1d() ? base.weight().add(delta.transpose()) : base.weight().add(delta);
    delta.close();
    return merged;
  }
}
