package dev.annealer.trainer.dist;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The collectives a data-parallel worker needs, on the tensors DJL already holds, in place. One implementation per
 * world: {@link SingleProcess} (one worker: every call is the identity) and {@link C10dProcessGroup} (PyTorch's c10d:
 * Gloo on CPU, tested here; NCCL on GPUs, written but not runnable on these machines). Every rank must make the same
 * calls in the same order with tensors of the same shapes and dtypes, as with {@code torch.distributed}.
 */
public interface ProcessGroup extends AutoCloseable {

  /** A reduction: the element-wise sum, minimum, maximum or mean over the ranks. */
  enum Op {
    SUM(0), MIN(1), MAX(2), AVG(3);

    final int code;

    Op(int code) {
      this.code = code;
    }
  }

  int rank();

  int worldSize();

  /** {@code gloo}, {@code nccl} or {@code single}. */
  String backend();

  /** Replaces each tensor by the reduction of that tensor over all ranks (all tensors of one dtype and device). */
  void allreduce(List<NDArray> tensors, Op op);

  /** Replaces each tensor by rank {@code root}'s (all tensors of one dtype and device). */
  void broadcast(List<NDArray> tensors, int root);

  /** Returns when every rank has called it. */
  void barrier();

  @Override
  void close();
}
