package dev.annealer.trainer.hf.config;

import dev.annealer.trainer.TrainerFailure;

/** The activation functions HF names in {@code hidden_act} / {@code activation_function} that are implemented. */
public enum Activation {
  /** {@code silu} / {@code swish}: x·sigmoid(x). */
  SILU,
  /** {@code gelu}: the exact erf GELU (torch's default {@code F.gelu}). */
  GELU_ERF,
  /** {@code gelu_new} / {@code gelu_pytorch_tanh}: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  GELU_TANH,
  /** {@code relu}. */
  RELU;

  public static final String SUPPORTED = "silu, swish, gelu, gelu_new, gelu_pytorch_tanh, relu";

  public static Activation parse(ConfigJson c, String key, String dflt) {
    String name = c.string(key, dflt);
    return switch (name) {
      case "silu", "swish" -> SILU;
      case "gelu" -> GELU_ERF;
      case "gelu_new", "gelu_pytorch_tanh" -> GELU_TANH;
      case "relu" -> RELU;
      default -> throw TrainerFailure.invalid(c.field(key), name, "is not a supported activation; supported: " + SUPPORTED);
    };
  }
}
