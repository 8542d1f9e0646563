package dev.annealer.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Global-norm gradient clipping on libtorch tensors, as {@code torch.nn.utils.clip_grad_norm_} with the 2-norm on
 * CPU tensors: {@code total = ||(||g_1||, …, ||g_n||)||} in float32, {@code coef = min(maxNorm / (total + 1e-6), 1)},
 * every gradient multiplied in place by {@code coef}.
 */
public final class TensorClipping {
  private TensorClipping() {}

  /** @return the total norm before clipping */
  public static double clip(List<TensorSlot> params, double maxNorm, NDManager scratch) {
    try (NDManager scope = scratch.newSubManager()) {
      NDList norms = new NDList(params.size());
      for (TensorSlot p : params) {
        NDArray n = p.grad().norm();
        n.attach(scope);
        norms.add(n.toDevice(scope.getDevice(), false));
      }
      NDArray total = NDArrays.stack(norms).norm();
      total.attach(scope);
      NDArray coef = scope.create((float) maxNorm).div(total.add(1e-6f)).minimum(1f);
      float totalValue = total.getFloat();
      if (coef.getFloat() < 1f) {
        for (TensorSlot p : params) {
          p.grad().muli(coef.toDevice(p.grad().getDevice(), false));
        }
      }
      return totalValue;
    }
  }

  /** The total norm alone (NaN or infinite when a gradient is); changes nothing. */
  public static double norm(List<TensorSlot> params, NDManager scratch) {
    try (NDManager scope = scratch.newSubManager()) {
      NDList norms = new NDList(params.size());
      for (TensorSlot p : params) {
        NDArray n = p.grad().norm();
        n.attach(scope);
        norms.add(n.toDevice(scope.getDevice(), false));
      }
      NDArray total = NDArrays.stack(norms).norm();
      total.attach(scope);
      return total.getFloat();
    }
  }
}
