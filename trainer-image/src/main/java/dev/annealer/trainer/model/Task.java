package dev.annealer.trainer.model;

/** What the label means, and so which loss is minimized. */
public enum Task {
  /** Mean squared error {@code mean((ŷ − y)²)} over the batch (no ½ factor, as {@code torch.nn.MSELoss}). */
  REGRESSION,
  /** Softmax cross-entropy {@code −mean(log softmax(z)[y])}, labels are class indices 0..C−1. */
  CLASSIFICATION
}
