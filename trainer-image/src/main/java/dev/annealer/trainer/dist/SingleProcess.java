package dev.annealer.trainer.dist;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** The world of one worker: every collective is the identity, at no cost (the default, {@code spec.workers: 1}). */
public final class SingleProcess implements ProcessGroup {
  public static final SingleProcess INSTANCE = new SingleProcess();

  private SingleProcess() {}

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public int worldSize() {
    return 1;
  }

  @Override
  public String backend() {
    return "single";
  }

  @Override
  public void allreduce(List<NDArray> tensors, Op op) {}

  @Override
  public void broadcast(List<NDArray> tensors, int root) {}

  @Override
  public void barrier() {}

  @Override
  public void close() {}
}
