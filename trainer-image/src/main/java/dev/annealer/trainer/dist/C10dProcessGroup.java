package dev.annealer.trainer.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import java.util.List;
import java.util.Map;

/**
 * A process group of PyTorch's c10d: rendezvous through a {@code TCPStore} served by rank 0 at
 * {@code MASTER_ADDR:MASTER_PORT}, then {@code ProcessGroupGloo} (CPU tensors) or {@code ProcessGroupNCCL} (CUDA
 * tensors, one process per GPU). The Gloo path is tested on this machine; the NCCL path is compiled only into a bridge
 * built against a CUDA libtorch ({@code -DANNEALER_WITH_NCCL}) and has not been run here (no GPU).
 */
public final class C10dProcessGroup implements ProcessGroup {
  private final long handle;
  private final WorkerEnv worker;
  private final String backend;
  private boolean closed;
  private long calls;
  private long bytes;

  private C10dProcessGroup(long handle, WorkerEnv worker, String backend) {
    this.handle = handle;
    this.worker = worker;
    this.backend = backend;
  }

  /**
   * Joins the group (blocks until all {@code WORLD_SIZE} ranks arrived or the timeout passed).
   *
   * @param backend {@code gloo} or {@code nccl}
   * @param iface network interface for Gloo ({@code GLOO_SOCKET_IFNAME}); null = the one the host name resolves to
   */
  public static C10dProcessGroup join(WorkerEnv worker, String backend, int timeoutSeconds, String iface,
      Map<String, String> env) {
    C10dBridge.load(env);
    long h = C10dBridge.create(backend, worker.masterAddr(), worker.masterPort(), worker.rank(), worker.worldSize(),
        Math.multiplyExact(timeoutSeconds, 1000), iface == null ? "" : iface);
    return new C10dProcessGroup(h, worker, backend);
  }

  @Override
  public int rank() {
    return worker.rank();
  }

  @Override
  public int worldSize() {
    return worker.worldSize();
  }

  @Override
  public String backend() {
    return backend;
  }

  @Override
  public void allreduce(List<NDArray> tensors, Op op) {
    C10dBridge.allreduce(open(), handles(tensors), op.code);
  }

  @Override
  public void broadcast(List<NDArray> tensors, int root) {
    C10dBridge.broadcast(open(), handles(tensors), root);
  }

  /** Collective calls so far and their payload in bytes (the buffer each rank contributes, not the wire traffic). */
  public long[] traffic() {
    return new long[] {calls, bytes};
  }

  @Override
  public void barrier() {
    C10dBridge.barrier(open());
  }

  private long open() {
    if (closed) {
      throw new IllegalStateException("process group closed");
    }
    return handle;
  }

  private long[] handles(List<NDArray> tensors) {
    long[] h = new long[tensors.size()];
    for (int i = 0; i < h.length; i++) {
      NDArray t = tensors.get(i);
      h[i] = ((PtNDArray) t).getHandle();
      bytes += t.getShape().size() * t.getDataType().getNumOfBytes();
    }
    calls++;
    return h;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      C10dBridge.destroy(handle);
    }
  }
}
