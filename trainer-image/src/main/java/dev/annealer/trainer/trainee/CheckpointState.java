package dev.annealer.trainer.trainee;

import dev.annealer.trainer.checkpoint.TensorFile;
import java.util.Map;

/**
 * What a checkpoint writes from a {@link Trainee}: parameters and optimizer buffers as {@link TensorFile.Source}s
 * (views of libtorch memory or {@code float[]}s), the optimizer's type and counters. A snapshot
 * ({@link Trainee#checkpointState(boolean) copy = true}) stays valid while training goes on; {@link #close()} frees
 * what it copied.
 *
 * @param frozen names of parameters that do not train (not written: referenced by digest, see
 *     {@link Trainee#frozenDigest()})
 */
public record CheckpointState(Map<String, TensorFile.Source> params, Map<String, TensorFile.Source> optimizer,
    String optimizerType, Map<String, Long> counters, Runnable release) implements AutoCloseable {

  /** Bytes the tensors take (payload, without file headers). */
  public long tensorBytes() {
    long n = 0;
    for (TensorFile.Source s : params.values()) {
      n += 4 * s.count();
    }
    for (TensorFile.Source s : optimizer.values()) {
      n += 4 * s.count();
    }
    return n;
  }

  @Override
  public void close() {
    release.run();
  }
}
