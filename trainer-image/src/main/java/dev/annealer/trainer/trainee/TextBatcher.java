package dev.annealer.trainer.trainee;

import ai.djl.ndarray.NDManager;
import dev.annealer.trainer.data.TextRecord;
import dev.annealer.trainer.hf.TokenBatch;
import java.util.List;

/** Tokenizes records into one {@link TokenBatch} (the data interface of the Hugging Face path). */
@FunctionalInterface
public interface TextBatcher extends AutoCloseable {

  /** The records, in order, as one right-padded batch; its arrays belong to {@code manager}. */
  TokenBatch encode(List<TextRecord> records, NDManager manager);

  /** Frees the tokenizer (default: nothing to free). */
  @Override
  default void close() {}
}
