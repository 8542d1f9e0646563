package dev.annealer.trainer.optim;

import ai.djl.ndarray.NDArray;

/**
 * One trainable libtorch tensor as a {@link TensorOptimizer} sees it: a stable name, the live parameter (updated in
 * place), its gradient of the current step (may be scaled in place by clipping) and the learning-rate multiplier of
 * its group.
 */
public record TensorSlot(String name, NDArray values, NDArray grad, double lrMultiplier) {}
