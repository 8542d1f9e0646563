package dev.annealer.trainer.dist;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * The decisions the training loop must make together across data-parallel workers, so that no rank enters a collective
 * the others skip: whether to stop (a SIGTERM seen by any rank stops every rank after the same step), whether a
 * time-based checkpoint is due (any rank's clock), and agreement on what a checkpoint or a resume stands for (step,
 * schedule fingerprint, data cursor, parameter digest). With one worker every call returns its argument at no cost.
 */
public final class Workers implements AutoCloseable {
  private final ProcessGroup group;
  private final NDManager manager;

  /**
   * @param device where this rank's tensors live: the small agreement tensors go there too (NCCL reduces CUDA tensors
   *     on the rank's own GPU, Gloo CPU tensors)
   */
  public Workers(ProcessGroup group, Device device) {
    this.group = group;
    this.manager = group.worldSize() > 1 ? NDManager.newBaseManager(device, "PyTorch") : null;
  }

  public static Workers single() {
    return new Workers(SingleProcess.INSTANCE, Device.cpu());
  }

  public ProcessGroup group() {
    return group;
  }

  public int rank() {
    return group.rank();
  }

  public int worldSize() {
    return group.worldSize();
  }

  /** Rank 0 writes checkpoints, progress files, the exported model. */
  public boolean writer() {
    return group.rank() == 0;
  }

  /** True on every rank when it is true on any rank. */
  public boolean any(boolean local) {
    if (manager == null) {
      return local;
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray flag = m.create(new long[] {local ? 1 : 0});
      group.allreduce(List.of(flag), ProcessGroup.Op.MAX);
      return flag.toLongArray()[0] != 0;
    }
  }

  /**
   * Checks that every rank holds the same values; returns null when they do, else a description of the spread
   * ({@code name=min..max} for each value that differs).
   */
  public String disagreement(String[] names, long[] values) {
    if (manager == null) {
      return null;
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray lo = m.create(values.clone());
      NDArray hi = m.create(values.clone());
      group.allreduce(List.of(lo), ProcessGroup.Op.MIN);
      group.allreduce(List.of(hi), ProcessGroup.Op.MAX);
      long[] min = lo.toLongArray();
      long[] max = hi.toLongArray();
      if (Arrays.equals(min, max)) {
        return null;
      }
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < values.length; i++) {
        if (min[i] != max[i]) {
          b.append(b.length() == 0 ? "" : ", ").append(names[i]).append('=').append(min[i]).append("..").append(max[i]);
        }
      }
      return b.toString();
    }
  }

  /** {@code calls=C payloadBytes=B} of the collectives so far, or null with one worker. */
  public String traffic() {
    if (group instanceof C10dProcessGroup c) {
      long[] t = c.traffic();
      return "calls=" + t[0] + " payloadBytes=" + t[1];
    }
    return null;
  }

  /** The first 8 bytes of SHA-256 of a string, for agreement on fingerprints and digests. */
  public static long hash64(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) {
        h = (h << 8) | (d[i] & 0xff);
      }
      return h;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (manager != null) {
      manager.close();
    }
    group.close();
  }
}
