package dev.annealer.trainer.optim;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD with momentum, dampening, Nesterov and (coupled) weight decay, exactly {@code torch.optim.SGD}
 * (single-tensor path, maximize off):
 *
 * <pre>
 *   g = g + λ·θ                                  (weight decay, if λ ≠ 0)
 *   b = g                       on the first step  (if μ ≠ 0)
 *   b = μ·b + (1 − τ)·g         afterwards
 *   g = g + μ·b  (Nesterov)  or  g = b
 *   θ = θ − lr·g
 * </pre>
 *
 * {@code a.add(b, alpha)} is a fused multiply-add in PyTorch's vectorized CPU kernel, so it is {@link Math#fma} here.
 * State per parameter: {@code momentum_buffer} (absent until the first step, as in PyTorch).
 */
public final class Sgd implements Optimizer {
  public static final String TYPE = "SGD";

  private final double momentum;
  private final double dampening;
  private final boolean nesterov;
  private final double weightDecay;
  private final Map<String, float[]> buffers = new HashMap<>();

  public Sgd(double momentum, double dampening, boolean nesterov, double weightDecay) {
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new IllegalArgumentException(
          "spec.optimizer.nesterov requires momentum > 0 and dampening = 0 (got momentum " + momentum + ", dampening " + dampening + ")");
    }
    this.momentum = momentum;
    this.dampening = dampening;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public void step(List<ParamSlot> params, double baseLr) {
    float wd = (float) weightDecay;
    float mu = (float) momentum;
    float keep = (float) (1 - dampening);
    for (ParamSlot p : params) {
      float lrNeg = (float) -(baseLr * p.lrMultiplier());
      float[] theta = p.values();
      float[] g = p.grad().clone();
      if (weightDecay != 0) {
        for (int i = 0; i < g.length; i++) {
          g[i] = Math.fma(wd, theta[i], g[i]);
        }
      }
      if (momentum != 0) {
        float[] buf = buffers.get(p.name());
        if (buf == null) {
          buf = g.clone();
          buffers.put(p.name(), buf);
        } else {
          for (int i = 0; i < g.length; i++) {
            buf[i] = Math.fma(keep, g[i], buf[i] * mu);
          }
        }
        if (nesterov) {
          for (int i = 0; i < g.length; i++) {
            g[i] = Math.fma(mu, buf[i], g[i]);
          }
        } else {
          g = buf;
        }
      }
      for (int i = 0; i < theta.length; i++) {
        theta[i] = Math.fma(lrNeg, g[i], theta[i]);
      }
    }
  }

  @Override
  public OptimizerState state() {
    Map<String, float[]> out = new HashMap<>();
    buffers.forEach((k, v) -> out.put(k + "/momentum_buffer", v.clone()));
    return new OptimizerState(TYPE, out, Map.of());
  }

  @Override
  public void restore(OptimizerState state) {
    buffers.clear();
    state.buffers().forEach((key, value) -> {
      if (key.endsWith("/momentum_buffer")) {
        buffers.put(key.substring(0, key.lastIndexOf('/')), value.clone());
      }
    });
  }
}
