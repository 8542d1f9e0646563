package dev.annealer.trainer.optim;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, exactly {@code torch.optim.AdamW} (single-tensor path, amsgrad off):
 *
 * <pre>
 *   t      = t + 1
 *   θ      = θ · (1 − lr·λ)                         (decoupled decay, before the moments)
 *   m      = lerp(m, g, 1 − β1)                      (= β1·m + (1 − β1)·g)
 *   v      = β2·v + (1 − β2)·g²
 *   denom  = sqrt(v) / sqrt(1 − β2^t) + ε
 *   θ      = θ − (lr / (1 − β1^t)) · m / denom
 * </pre>
 *
 * Scalars are computed in double and rounded to float32 where PyTorch does, element math is float32.
 * State per parameter: {@code exp_avg}, {@code exp_avg_sq} and the counter {@code step}.
 */
public final class AdamW implements Optimizer {
  public static final String TYPE = "AdamW";

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Map<String, float[]> expAvg = new HashMap<>();
  private final Map<String, float[]> expAvgSq = new HashMap<>();
  private final Map<String, Long> steps = new HashMap<>();

  public AdamW(double beta1, double beta2, double eps, double weightDecay) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public void step(List<ParamSlot> params, double baseLr) {
    for (ParamSlot p : params) {
      double lr = baseLr * p.lrMultiplier();
      float[] theta = p.values();
      float[] g = p.grad();
      float[] m = expAvg.computeIfAbsent(p.name(), k -> new float[theta.length]);
      float[] v = expAvgSq.computeIfAbsent(p.name(), k -> new float[theta.length]);
      long t = steps.merge(p.name(), 1L, Long::sum);
      if (weightDecay != 0) {
        float decay = (float) (1 - lr * weightDecay);
        for (int i = 0; i < theta.length; i++) {
          theta[i] = theta[i] * decay;
        }
      }
      float w = (float) (1 - beta1);
      float b2 = (float) beta2;
      float oneMinusB2 = (float) (1 - beta2);
      double bc1 = 1 - Math.pow(beta1, t);
      double bc2 = 1 - Math.pow(beta2, t);
      float bc2Sqrt = (float) Math.sqrt(bc2);
      float stepSize = (float) -(lr / bc1);
      float epsF = (float) eps;
      for (int i = 0; i < theta.length; i++) {
        float gi = g[i];
        m[i] = lerp(m[i], gi, w);
        v[i] = v[i] * b2 + oneMinusB2 * gi * gi;
        float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + epsF;
        theta[i] = theta[i] + stepSize * m[i] / denom;
      }
    }
  }

  /** PyTorch's vectorized lerp: a fused multiply-add whose base switches at weight 0.5 to stay exact at both ends. */
  static float lerp(float self, float end, float weight) {
    float diff = end - self;
    return Math.abs(weight) < 0.5f ? Math.fma(weight, diff, self) : Math.fma(weight - 1f, diff, end);
  }

  @Override
  public OptimizerState state() {
    Map<String, float[]> buffers = new HashMap<>();
    expAvg.forEach((k, v) -> buffers.put(k + "/exp_avg", v.clone()));
    expAvgSq.forEach((k, v) -> buffers.put(k + "/exp_avg_sq", v.clone()));
    Map<String, Long> counters = new HashMap<>();
    steps.forEach((k, v) -> counters.put(k + "/step", v));
    return new OptimizerState(TYPE, buffers, counters);
  }

  @Override
  public void restore(OptimizerState state) {
    expAvg.clear();
    expAvgSq.clear();
    steps.clear();
    state.buffers().forEach((key, value) -> {
      String name = key.substring(0, key.lastIndexOf('/'));
      if (key.endsWith("/exp_avg")) {
        expAvg.put(name, value.clone());
      } else if (key.endsWith("/exp_avg_sq")) {
        expAvgSq.put(name, value.clone());
      }
    });
    state.counters().forEach((key, value) -> {
      if (key.endsWith("/step")) {
        steps.put(key.substring(0, key.lastIndexOf('/')), value);
      }
    });
  }
}
