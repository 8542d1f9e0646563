package dev.annealer.trainer.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW on libtorch tensors, the update of {@code torch.optim.AdamW} (single-tensor path, amsgrad off), in place:
 *
 * <pre>
 *   t      = t + 1
 *   θ.mul_(1 − lr·λ)                                  (decoupled decay, before the moments)
 *   m.lerp_(g, 1 − β1)                                (here: m += (1 − β1)·(g − m))
 *   v.mul_(β2).addcmul_(g, g, 1 − β2)                 (here: v = v·β2 + ((1 − β2)·g)·g)
 *   denom  = sqrt(v) / sqrt(1 − β2^t) + ε
 *   θ.addcdiv_(m, denom, −lr / (1 − β1^t))            (here: θ += (−lr/(1 − β1^t))·(m / denom))
 * </pre>
 *
 * The only departure from torch's kernels is that {@code lerp_} is a fused multiply-add there and two rounded ops
 * here (last-ulp differences in the first moment, deterministic, so a resume is still bit-exact). State per
 * parameter: {@code exp_avg}, {@code exp_avg_sq} and the counter {@code step}, keyed as in {@link AdamW}.
 */
public final class TensorAdamW implements TensorOptimizer {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
  private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
  private final Map<String, Long> steps = new HashMap<>();

  public TensorAdamW(double beta1, double beta2, double eps, double weightDecay, Device device) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.manager = NDManager.newBaseManager(device, "PyTorch");
  }

  @Override
  public String type() {
    return AdamW.TYPE;
  }

  @Override
  public void step(List<TensorSlot> params, double baseLr) {
    float w = (float) (1 - beta1);
    float b2 = (float) beta2;
    float oneMinusB2 = (float) (1 - beta2);
    float epsF = (float) eps;
    for (TensorSlot p : params) {
      double lr = baseLr * p.lrMultiplier();
      NDArray theta = p.values();
      NDArray g = p.grad();
      NDArray m = expAvg.computeIfAbsent(p.name(), k -> TensorOptimizer.zerosLike(manager, theta));
      NDArray v = expAvgSq.computeIfAbsent(p.name(), k -> TensorOptimizer.zerosLike(manager, theta));
      long t = steps.merge(p.name(), 1L, Long::sum);
      if (weightDecay != 0) {
        theta.muli((float) (1 - lr * weightDecay));
      }
      try (NDArray diff = g.sub(m)) {
        m.addi(diff.muli(w));
      }
      try (NDArray gg = g.mul(oneMinusB2)) {
        v.muli(b2).addi(gg.muli(g));
      }
      double bc1 = 1 - Math.pow(beta1, t);
      double bc2 = 1 - Math.pow(beta2, t);
      float bc2Sqrt = (float) Math.sqrt(bc2);
      float stepSize = (float) -(lr / bc1);
      try (NDArray denom = v.sqrt(); NDArray update = m.div(denom.divi(bc2Sqrt).addi(epsF))) {
        theta.addi(update.muli(stepSize));
      }
    }
  }

  @Override
  public Map<String, NDArray> stateTensors() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    expAvg.forEach((k, v) -> out.put(k + "/exp_avg", v));
    expAvgSq.forEach((k, v) -> out.put(k + "/exp_avg_sq", v));
    return out;
  }

  @Override
  public Map<String, Long> counters() {
    Map<String, Long> counters = new HashMap<>();
    steps.forEach((k, v) -> counters.put(k + "/step", v));
    return counters;
  }

  @Override
  public OptimizerState state() {
    Map<String, float[]> buffers = new HashMap<>();
    expAvg.forEach((k, v) -> buffers.put(k + "/exp_avg", v.toFloatArray()));
    expAvgSq.forEach((k, v) -> buffers.put(k + "/exp_avg_sq", v.toFloatArray()));
    Map<String, Long> counters = new HashMap<>();
    steps.forEach((k, v) -> counters.put(k + "/step", v));
    return new OptimizerState(AdamW.TYPE, buffers, counters);
  }

  @Override
  public void restore(OptimizerState state, Map<String, NDArray> params) {
    clear();
    state.buffers().forEach((key, value) -> {
      String name = key.substring(0, key.lastIndexOf('/'));
      NDArray like = params.get(name);
      if (like == null) {
        throw new IllegalArgumentException("optimizer state " + key + " names no trainable parameter");
      }
      if (key.endsWith("/exp_avg")) {
        expAvg.put(name, TensorOptimizer.fromFloats(manager, value, like, key));
      } else if (key.endsWith("/exp_avg_sq")) {
        expAvgSq.put(name, TensorOptimizer.fromFloats(manager, value, like, key));
      }
    });
    state.counters().forEach((key, value) -> {
      if (key.endsWith("/step")) {
        steps.put(key.substring(0, key.lastIndexOf('/')), value);
      }
    });
  }

  private void clear() {
    expAvg.values().forEach(NDArray::close);
    expAvgSq.values().forEach(NDArray::close);
    expAvg.clear();
    expAvgSq.clear();
    steps.clear();
  }

  @Override
  public void close() {
    clear();
    manager.close();
  }
}
