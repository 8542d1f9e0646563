package dev.annealer.trainer.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * One rank of {@link C10dProcessGroupTest}: joins the Gloo group from torchrun's environment, runs each collective on
 * rank-dependent tensors and prints what it got, one {@code name=values} line each.
 */
public final class CollectiveWorker {
  public static void main(String[] args) {
    WorkerEnv w = WorkerEnv.of(System.getenv());
    try (C10dProcessGroup g = C10dProcessGroup.join(w, "gloo", 60, null, System.getenv());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      float r = w.rank() + 1;
      NDArray a = m.create(new float[] {1 * r, 2 * r, 3 * r});
      NDArray b = m.create(new float[] {r, r, r, r}, new Shape(2, 2));
      g.allreduce(List.of(a, b), ProcessGroup.Op.SUM);
      System.out.println("sum=" + Arrays.toString(a.toFloatArray()) + Arrays.toString(b.toFloatArray()));
      NDArray c = m.create(new float[] {r, 10 * r});
      g.allreduce(List.of(c), ProcessGroup.Op.AVG);
      System.out.println("avg=" + Arrays.toString(c.toFloatArray()));
      NDArray lo = m.create(new long[] {w.rank(), 100 - w.rank()});
      NDArray hi = m.create(new long[] {w.rank(), 100 - w.rank()});
      g.allreduce(List.of(lo), ProcessGroup.Op.MIN);
      g.allreduce(List.of(hi), ProcessGroup.Op.MAX);
      System.out.println("min=" + Arrays.toString(lo.toLongArray()) + " max=" + Arrays.toString(hi.toLongArray()));
      NDArray x = m.create(new float[] {w.rank(), w.rank() + 0.5f});
      NDArray y = m.create(new float[] {7 * w.rank()});
      g.broadcast(List.of(x, y), 1);
      System.out.println("broadcast=" + Arrays.toString(x.toFloatArray()) + Arrays.toString(y.toFloatArray()));
      g.barrier();
      System.out.println("barrier rank=" + g.rank() + " world=" + g.worldSize());
    }
    System.out.flush();
    System.exit(0);
  }
}
