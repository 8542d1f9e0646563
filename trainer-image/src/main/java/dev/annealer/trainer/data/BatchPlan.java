package dev.annealer.trainer.data;

import dev.annealer.trainer.StepRunner.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which rows each optimizer step reads, as a pure function of (seed, step): a resumed run reads exactly the rows an
 * uninterrupted one would.
 *
 * <pre>
 *   stepsPerEpoch = ceil(N / (B·A))                   (every record once per epoch)
 *   epoch(s)      = floor(s / stepsPerEpoch)
 *   shuffle on:  micro-batch j of step s = rows perm(seed, epoch)[((s mod stepsPerEpoch)·A + j)·B + 0 .. B−1], cut at N
 *                (the last step of an epoch may have fewer or smaller micro-batches; empty ones are left out)
 *   shuffle off: micro-batch j of step s = rows ((s·A + j)·B + 0 .. B−1) mod N, in file order, wrapping around the
 *                file (every micro-batch is full: the convention of the Hugging Face conformance cases)
 * </pre>
 *
 * {@code perm(seed, epoch)} is a Fisher–Yates shuffle driven by a {@link SplittableRandom} seeded with
 * {@code mix(seed, epoch)} (identity when shuffling is off), so it depends only on (seed, epoch).
 */
public final class BatchPlan {
  private final Dataset data;
  private final int rows;
  private final int batchSize;
  private final int accumulation;
  private final long seed;
  private final boolean shuffle;
  private final long stepsPerEpoch;
  private long cachedEpoch = -1;
  private int[] cachedPerm;

  public BatchPlan(Dataset data, int batchSize, int accumulation, long seed, boolean shuffle) {
    this(data, data.rows(), batchSize, accumulation, seed, shuffle);
  }

  /** A plan over {@code rows} records that only hands out row indices ({@link #rows(long)}). */
  public BatchPlan(int rows, int batchSize, int accumulation, long seed, boolean shuffle) {
    this(null, rows, batchSize, accumulation, seed, shuffle);
  }

  private BatchPlan(Dataset data, int rows, int batchSize, int accumulation, long seed, boolean shuffle) {
    if (rows < 1) {
      throw new IllegalArgumentException("no records to train on");
    }
    this.data = data;
    this.rows = rows;
    this.batchSize = Math.min(batchSize, rows);
    this.accumulation = accumulation;
    this.seed = seed;
    this.shuffle = shuffle;
    long perStep = (long) this.batchSize * accumulation;
    this.stepsPerEpoch = (rows + perStep - 1) / perStep;
  }

  public long stepsPerEpoch() {
    return stepsPerEpoch;
  }

  /** Records the plan draws from. */
  public int records() {
    return rows;
  }

  public long seed() {
    return seed;
  }

  public boolean shuffle() {
    return shuffle;
  }

  public int accumulation() {
    return accumulation;
  }

  public int batchSize() {
    return batchSize;
  }

  public long epochOf(long step) {
    return step / stepsPerEpoch;
  }

  /** Row offset inside the epoch's permutation where step {@code step} starts (the data cursor). */
  public long offsetOf(long step) {
    return (step % stepsPerEpoch) * batchSize * accumulation;
  }

  /** The row indices of each micro-batch of optimizer step {@code step} (see the class comment). */
  public List<int[]> rows(long step) {
    List<int[]> out = new ArrayList<>(accumulation);
    if (!shuffle) {
      for (int j = 0; j < accumulation; j++) {
        int[] idx = new int[batchSize];
        long from = (step * accumulation + j) * batchSize;
        for (int i = 0; i < batchSize; i++) {
          idx[i] = (int) ((from + i) % rows);
        }
        out.add(idx);
      }
      return out;
    }
    int[] perm = permutation(epochOf(step));
    long start = offsetOf(step);
    for (int j = 0; j < accumulation; j++) {
      long from = start + (long) j * batchSize;
      int n = (int) Math.min(batchSize, rows - from);
      if (n <= 0) {
        break;
      }
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = perm[(int) (from + i)];
      }
      out.add(idx);
    }
    return out;
  }

  /** The micro-batches of optimizer step {@code step} (float feature plans only). */
  public List<Batch> batches(long step) {
    int f = data.featureCount();
    List<Batch> out = new ArrayList<>(accumulation);
    for (int[] idx : rows(step)) {
      int n = idx.length;
      float[] x = new float[n * f];
      float[] y = new float[n];
      for (int i = 0; i < n; i++) {
        data.copyRow(idx[i], x, i * f);
        y[i] = data.labels()[idx[i]];
      }
      out.add(new Batch(x, y, n));
    }
    return out;
  }

  /** The permutation of epoch {@code epoch}; only (seed, epoch) go in. */
  public int[] permutation(long epoch) {
    if (epoch != cachedEpoch) {
      cachedPerm = permutation(rows, seed, epoch, shuffle);
      cachedEpoch = epoch;
    }
    return cachedPerm;
  }

  static int[] permutation(int n, long seed, long epoch, boolean shuffle) {
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    if (shuffle) {
      SplittableRandom rnd = new SplittableRandom(mix(seed, epoch));
      for (int i = n - 1; i > 0; i--) {
        int k = rnd.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[k];
        perm[k] = t;
      }
    }
    return perm;
  }

  static long mix(long seed, long epoch) {
    long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Validation batches: the whole set in order, in chunks of the batch size. */
  public static List<Batch> sequential(Dataset data, int batchSize) {
    List<Batch> out = new ArrayList<>();
    int f = data.featureCount();
    for (int start = 0; start < data.rows(); start += batchSize) {
      int n = Math.min(batchSize, data.rows() - start);
      float[] x = new float[n * f];
      float[] y = new float[n];
      for (int i = 0; i < n; i++) {
        data.copyRow(start + i, x, i * f);
        y[i] = data.labels()[start + i];
      }
      out.add(new Batch(x, y, n));
    }
    return out;
  }
}
