package dev.annealer.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * An optimizer over live libtorch tensors: parameters, gradients and state stay on the device and are updated in
 * place with tensor ops (no Java loops over parameter values). State leaves the device only as an
 * {@link OptimizerState} for a checkpoint, with the same key names and type names as the {@code float[]}
 * {@link Optimizer}s, and comes back bit for bit with {@link #restore}.
 *
 * <p>Scalars (learning rate, bias corrections) are computed in double and rounded to float32 where
 * {@code torch.optim} rounds them (a Python float applied to a float32 tensor). Callers run {@link #step} with
 * autograd off.
 */
public interface TensorOptimizer extends AutoCloseable {

  /** Applies one update to every slot, with learning rate {@code lr * slot.lrMultiplier()}. */
  void step(List<TensorSlot> params, double lr);

  /** A float32 copy of the state (for a checkpoint). */
  OptimizerState state();

  /**
   * The live state tensors under the keys of {@link #state()}'s buffers (not copies: valid and unchanged until the
   * next {@link #step}); a checkpoint streams them from libtorch memory without converting to {@code float[]}.
   */
  Map<String, NDArray> stateTensors();

  /** The integer counters of {@link #state()} (step counts). */
  Map<String, Long> counters();

  /**
   * Replaces the state. {@code params} gives each buffer's shape and device (buffers of unknown names are an error:
   * the checkpoint belongs to another model).
   */
  void restore(OptimizerState state, Map<String, NDArray> params);

  /** {@code AdamW} or {@code SGD}, as in checkpoints. */
  String type();

  /** Frees the state tensors. */
  @Override
  void close();

  /** A float32 tensor holding {@code values} with the shape and device of {@code like}, owned by {@code manager}. */
  static NDArray fromFloats(NDManager manager, float[] values, NDArray like, String key) {
    long n = like.getShape().size();
    if (values.length != n) {
      throw new IllegalArgumentException("optimizer state " + key + " has " + values.length + " values, the parameter "
          + n + " (" + like.getShape() + ")");
    }
    NDArray out = manager.create(FloatBuffer.wrap(values), like.getShape(), DataType.FLOAT32);
    return keep(out.getDevice().equals(like.getDevice()) ? out : out.toDevice(like.getDevice(), false));
  }

  /** A new zero tensor shaped like {@code like}, kept beyond any open {@link NDScope} (it is optimizer state). */
  static NDArray zerosLike(NDManager manager, NDArray like) {
    return keep(manager.zeros(like.getShape(), DataType.FLOAT32, like.getDevice()));
  }

  /** Takes {@code array} out of any open {@link NDScope}: state lives until the optimizer is closed. */
  static NDArray keep(NDArray array) {
    NDScope.unregister(array);
    return array;
  }
}
