package dev.annealer.trainer.optim;

/**
 * One trainable tensor as the optimizer sees it: a stable name, the float32 master values (updated in place), the
 * gradient of the current step and the learning-rate multiplier of its group.
 *
 * @param name stable parameter name (e.g. {@code 0.weight}); optimizer state is keyed by it
 * @param values parameter values, row-major, updated in place
 * @param grad gradient for this step, same length as {@code values}; may be modified (clipping)
 * @param lrMultiplier factor applied to the scheduled learning rate for this parameter (1 = none)
 */
public record ParamSlot(String name, float[] values, float[] grad, double lrMultiplier) {
  public ParamSlot {
    if (values.length != grad.length) {
      throw new IllegalArgumentException("parameter " + name + ": " + values.length + " values but " + grad.length + " gradients");
    }
  }
}
