package dev.annealer.trainer.model;

import java.util.List;
import java.util.Map;

/**
 * A model as the training loop sees it: named float32 parameters plus forward/backward on a batch.
 * Parameter names are stable across processes (PyTorch-style {@code 0.weight}); checkpoints, optimizer state and
 * the parameter digest are keyed by them.
 */
public interface TrainableModel extends AutoCloseable {

  /** Parameter names in the model's own order. */
  List<String> parameterNames();

  /** Shape of a parameter, PyTorch convention ({@code [out][in]} for linear weights). */
  long[] shape(String name);

  /** A copy of the parameter's values, row-major. */
  float[] read(String name);

  /** Overwrites a parameter's values. */
  void write(String name, float[] values);

  /** Number of input features per example. */
  int inputSize();

  /**
   * Forward and backward on one micro-batch. The loss is multiplied by {@code lossScale} before backward (gradient
   * accumulation uses 1/A), and the resulting gradients are added to {@code gradAccumulator} for every name in it.
   *
   * @param features row-major {@code [batch][inputSize]}
   * @param labels one label per row
   * @return the unscaled mean loss of the micro-batch
   */
  double forwardBackward(float[] features, float[] labels, int batch, Task task, double lossScale,
      Map<String, float[]> gradAccumulator);

  /** Mean loss on a batch without gradients. */
  double loss(float[] features, float[] labels, int batch, Task task);

  /** Human-readable device name ({@code cpu()}, {@code gpu(0)}). */
  String device();

  @Override
  void close();
}
