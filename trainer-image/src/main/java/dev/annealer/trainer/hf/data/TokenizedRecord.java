package dev.annealer.trainer.hf.data;

/**
 * One record as token ids.
 *
 * @param inputIds the tokens, at most maxLength
 * @param labels causal LM: per token, the token itself or -100 where no loss is taken (the prompt); null otherwise
 * @param target classification: the class index ({@code Long}); regression: the value ({@code Float}); null for
 *     causal LM
 */
public record TokenizedRecord(long[] inputIds, long[] labels, Number target) {
  /** Tokens whose prediction counts in the loss (causal LM: labels not -100 after the first position). */
  public int lossTokens() {
    if (labels == null) {
      return 1;
    }
    int n = 0;
    for (int i = 1; i < labels.length; i++) {
      if (labels[i] != -100) {
        n++;
      }
    }
    return n;
  }
}
