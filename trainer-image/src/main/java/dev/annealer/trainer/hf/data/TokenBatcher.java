package dev.annealer.trainer.hf.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.annealer.trainer.hf.HfTask;
import dev.annealer.trainer.hf.TokenBatch;
import dev.annealer.trainer.hf.ops.Scalars;
import java.util.Arrays;
import java.util.List;

/**
 * A list of {@link TokenizedRecord}s as one {@link TokenBatch}: right padding with the pad token to the longest record
 * of the batch (what HF's collators do), attention mask 1 on tokens and 0 on padding, causal labels -100 on padding.
 */
public final class TokenBatcher {
  private final HfTask task;
  private final long padId;

  public TokenBatcher(HfTask task, long padId) {
    this.task = task;
    this.padId = padId;
  }

  /** Creates the batch's arrays in {@code manager} (on its device). */
  public TokenBatch batch(List<TokenizedRecord> records, NDManager manager) {
    int b = records.size();
    if (b == 0) {
      throw new IllegalArgumentException("empty batch");
    }
    int t = 0;
    for (TokenizedRecord r : records) {
      t = Math.max(t, r.inputIds().length);
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    Arrays.fill(ids, padId);
    long[] labels = task == HfTask.CAUSAL_LM ? new long[b * t] : null;
    if (labels != null) {
      Arrays.fill(labels, -100L);
    }
    long[] classes = task == HfTask.CLASSIFICATION ? new long[b] : null;
    float[] targets = task == HfTask.REGRESSION ? new float[b] : null;
    for (int i = 0; i < b; i++) {
      TokenizedRecord r = records.get(i);
      int n = r.inputIds().length;
      System.arraycopy(r.inputIds(), 0, ids, i * t, n);
      Arrays.fill(mask, i * t, i * t + n, 1L);
      switch (task) {
        case CAUSAL_LM -> System.arraycopy(r.labels(), 0, labels, i * t, n);
        case CLASSIFICATION -> classes[i] = r.target().longValue();
        case REGRESSION -> targets[i] = r.target().floatValue();
      }
    }
    // copies in libtorch-owned memory: autograd keeps the ids (embedding backward) past the batch's Java side
    NDArray inputIds = Scalars.ownedCopy(manager.create(ids, new Shape(b, t)));
    NDArray attention = Scalars.ownedCopy(manager.create(mask, new Shape(b, t)));
    NDArray lab = Scalars.ownedCopy(switch (task) {
      case CAUSAL_LM -> manager.create(labels, new Shape(b, t));
      case CLASSIFICATION -> manager.create(classes, new Shape(b));
      case REGRESSION -> manager.create(targets, new Shape(b));
    });
    return new TokenBatch(inputIds, attention, lab, b);
  }
}
