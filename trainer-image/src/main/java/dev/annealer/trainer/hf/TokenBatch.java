package dev.annealer.trainer.hf;

import ai.djl.ndarray.NDArray;

/**
 * One batch of tokenized records as tensors on the model's device.
 *
 * @param inputIds int64 {@code [B, T]}, right-padded with the pad token
 * @param attentionMask int64 {@code [B, T]}, 1 on tokens, 0 on padding
 * @param labels causal LM: int64 {@code [B, T]}, the token at each position or -100 where no loss is taken (prompt,
 *     padding); classification: int64 {@code [B]} class indices; regression: float32 {@code [B]} targets
 * @param examples B
 */
public record TokenBatch(NDArray inputIds, NDArray attentionMask, NDArray labels, int examples) implements AutoCloseable {
  @Override
  public void close() {
    inputIds.close();
    attentionMask.close();
    labels.close();
  }
}
