package dev.annealer.trainer.hf;

import dev.annealer.trainer.TrainerFailure;

/** What the model is trained to do ({@code spec.data.task}). */
public enum HfTask {
  /** Next-token prediction (llama, mistral, qwen2, gpt2). */
  CAUSAL_LM("causalLM"),
  /** Sequence classification: cross-entropy over {@code numLabels} classes (bert). */
  CLASSIFICATION("classification"),
  /** Sequence regression: one output, mean squared error (bert with {@code num_labels = 1}). */
  REGRESSION("regression");

  public final String specName;

  HfTask(String specName) {
    this.specName = specName;
  }

  /** Parses {@code spec.data.task}. */
  public static HfTask parse(String s) {
    for (HfTask t : values()) {
      if (t.specName.equals(s)) {
        return t;
      }
    }
    throw TrainerFailure.invalid("spec.data.task", s, "must be one of causalLM, classification, regression");
  }
}
