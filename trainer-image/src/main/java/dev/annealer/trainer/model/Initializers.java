package dev.annealer.trainer.model;

import java.util.SplittableRandom;

/** Deterministic parameter initialization, independent of the engine and the device. */
public final class Initializers {
  private Initializers() {}

  /**
   * PyTorch's default {@code nn.Linear} / {@code nn.Conv2d} initialization: weight and bias uniform in {@code ±1/sqrt(fan_in)}, drawn
   * from a {@link SplittableRandom} seeded with {@code seed} mixed with the parameter name, so adding a layer does
   * not change the others.
   */
  public static void linearDefault(TrainableModel model, long seed) {
    for (String name : model.parameterNames()) {
      long[] shape = model.shape(name);
      String layer = name.substring(0, name.lastIndexOf('.'));
      long[] weightShape = model.shape(layer + ".weight");
      // fan_in = everything but the output dimension (in·kh·kw for a convolution), as torch's init does
      long fanIn = 1;
      for (int d = 1; d < weightShape.length; d++) {
        fanIn *= weightShape[d];
      }
      double bound = 1.0 / Math.sqrt(fanIn);
      int n = 1;
      for (long d : shape) {
        n *= (int) d;
      }
      SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
      }
      model.write(name, values);
    }
  }
}
