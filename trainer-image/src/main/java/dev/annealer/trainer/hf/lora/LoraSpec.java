package dev.annealer.trainer.hf.lora;

import dev.annealer.trainer.TrainerFailure;
import java.util.List;

/**
 * LoRA settings ({@code spec.model.lora}): adapters of rank {@code rank} on the linear modules named in
 * {@code targetModules} (HF module names, matched as PEFT does: the module path equals the name or ends with
 * {@code "." + name}; {@code all-linear} = every linear module but the output head), scaled by {@code alpha / rank}.
 *
 * <p>Dropout: only 0 is implemented. PEFT's LoRA dropout draws from torch's global RNG on every forward; this trainer
 * keeps every step deterministic so a resumed job is bit-identical, and does not emulate it. A non-zero value is
 * rejected instead of being ignored.
 */
public record LoraSpec(int rank, double alpha, double dropout, List<String> targetModules) {

  public static final String ALL_LINEAR = "all-linear";

  public LoraSpec {
    if (rank <= 0) {
      throw TrainerFailure.invalid("spec.model.lora.rank", rank, "must be a positive integer");
    }
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw TrainerFailure.invalid("spec.model.lora.alpha", alpha, "must be a positive number");
    }
    if (dropout != 0.0) {
      throw TrainerFailure.invalid("spec.model.lora.dropout", dropout,
          "must be 0: LoRA dropout is not implemented (steps are deterministic so that a resumed job is bit-exact;"
              + " PEFT's dropout draws from torch's global random state)");
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw TrainerFailure.invalid("spec.model.lora.targetModules", targetModules,
          "must name at least one linear module (e.g. q_proj, v_proj; c_attn for gpt2; query, value for bert)");
    }
    for (String t : targetModules) {
      if (t == null || t.isBlank() || t.startsWith(".") || t.endsWith(".")) {
        throw TrainerFailure.invalid("spec.model.lora.targetModules", targetModules,
            "must hold module names such as q_proj or self_attn.q_proj");
      }
    }
    targetModules = List.copyOf(targetModules);
  }

  /** {@code lora_alpha / r}, the factor on {@code B·A·x}. */
  public double scaling() {
    return alpha / rank;
  }

  public boolean allLinear() {
    return targetModules.contains(ALL_LINEAR);
  }

  /** PEFT's suffix match of a module path against the target names ({@code all-linear} aside). */
  public String matchingTarget(String module) {
    for (String t : targetModules) {
      if (module.equals(t) || module.endsWith("." + t)) {
        return t;
      }
    }
    return null;
  }
}
