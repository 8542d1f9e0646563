package dev.annealer.trainer.optim;

import java.util.List;

/**
 * An optimizer whose state Annealer owns: {@link #state()} returns everything needed to continue bit-identically
 * in another process, {@link #restore(OptimizerState)} loads it. Updates use float32 arithmetic in the same order
 * as PyTorch's single-tensor CPU implementation, so results match {@code torch.optim} to float32 rounding.
 */
public interface Optimizer {

  /** Applies one update to every slot, with learning rate {@code lr * slot.lrMultiplier()}. */
  void step(List<ParamSlot> params, double lr);

  /** A deep copy of the current state. */
  OptimizerState state();

  /** Replaces the current state (after a resume). */
  void restore(OptimizerState state);

  /** The type name written in checkpoints ({@code AdamW}, {@code SGD}). */
  String type();
}
