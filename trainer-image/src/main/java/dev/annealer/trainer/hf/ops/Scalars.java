package dev.annealer.trainer.hf.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Float32 0-d constants for the autograd path, in libtorch-owned memory and alive as long as the model.
 *
 * <p>Why not {@code x.mul(0.5)}: DJL's scalar overloads ({@code mul/div/pow(Number)}) wrap the number in a temporary
 * tensor over a Java direct buffer and close it right away, but autograd saves that tensor for the backward pass
 * ({@code MulBackward} keeps {@code other}); once the garbage collector frees the buffer, backward reads freed memory
 * (seen as an occasional NaN gradient). Every scalar that meets a tensor needing a gradient goes through here.
 */
public final class Scalars {
  private final NDManager manager;
  private final Map<Double, NDArray> cache = new ConcurrentHashMap<>();

  public Scalars(NDManager manager) {
    this.manager = manager;
  }

  /** The constant {@code (float) v} on the model's device. */
  public NDArray of(double v) {
    return cache.computeIfAbsent(v, k -> owned(manager, k));
  }

  /**
   * {@code created} (an array DJL made from Java data, whose memory is a Java direct buffer) copied into memory libtorch
   * owns; closes {@code created}. Parameters and batches go through this so that autograd never holds Java memory.
   */
  public static NDArray ownedCopy(NDArray created) {
    NDArray owned = created.duplicate();
    created.close();
    return owned;
  }

  /** A 0-d float32 tensor holding {@code (float) v} in memory libtorch owns (not a Java buffer). */
  public static NDArray owned(NDManager manager, double v) {
    NDArray wrapped = manager.create((float) v);
    NDArray owned = wrapped.duplicate();
    wrapped.close();
    NDScope.unregister(owned);
    return owned;
  }
}
