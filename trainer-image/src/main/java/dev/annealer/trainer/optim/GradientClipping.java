package dev.annealer.trainer.optim;

import java.util.List;

/** Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_} with the 2-norm. */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Total norm {@code N = sqrt(Σ_p ||g_p||²)} over all slots; if {@code maxNorm / (N + 1e-6) < 1}, every gradient is
   * multiplied by that coefficient.
   *
   * @return the total norm before clipping
   */
  public static double clip(List<ParamSlot> params, double maxNorm) {
    float total = (float) norm(params);
    float coef = (float) (maxNorm / (total + 1e-6));
    if (coef < 1f) {
      for (ParamSlot p : params) {
        float[] g = p.grad();
        for (int i = 0; i < g.length; i++) {
          g[i] = g[i] * coef;
        }
      }
    }
    return total;
  }

  /** The total norm {@code N} alone (NaN or infinite when a gradient is); changes nothing. */
  public static double norm(List<ParamSlot> params) {
    double sumSq = 0;
    for (ParamSlot p : params) {
      double s = 0;
      for (float g : p.grad()) {
        s += (double) g * g;
      }
      // PyTorch takes the norm of per-tensor float32 norms
      float n = (float) Math.sqrt(s);
      sumSq += (double) n * n;
    }
    return (float) Math.sqrt(sumSq);
  }
}
