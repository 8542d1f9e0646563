package dev.annealer.trainer.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD with momentum, dampening, Nesterov and (coupled) weight decay on libtorch tensors, the update of
 * {@code torch.optim.SGD} (single-tensor path, maximize off), see {@link Sgd} for the formulas. {@code a.add(b, α)} is
 * {@code a + α·b} with two rounded ops here (a fused multiply-add in torch's CPU kernel). State per parameter:
 * {@code momentum_buffer}, absent until the first step.
 */
public final class TensorSgd implements TensorOptimizer {
  private final double momentum;
  private final double dampening;
  private final boolean nesterov;
  private final double weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> buffers = new LinkedHashMap<>();

  public TensorSgd(double momentum, double dampening, boolean nesterov, double weightDecay, Device device) {
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new IllegalArgumentException(
          "spec.optimizer.nesterov requires momentum > 0 and dampening = 0 (got momentum " + momentum + ", dampening " + dampening + ")");
    }
    this.momentum = momentum;
    this.dampening = dampening;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
    this.manager = NDManager.newBaseManager(device, "PyTorch");
  }

  @Override
  public String type() {
    return Sgd.TYPE;
  }

  @Override
  public void step(List<TensorSlot> params, double baseLr) {
    float wd = (float) weightDecay;
    float mu = (float) momentum;
    float keep = (float) (1 - dampening);
    for (TensorSlot p : params) {
      float lrNeg = (float) -(baseLr * p.lrMultiplier());
      NDArray theta = p.values();
      try (NDManager scope = manager.newSubManager()) {
        NDArray g = p.grad().duplicate();
        g.attach(scope);
        if (weightDecay != 0) {
          NDArray decay = theta.mul(wd);
          decay.attach(scope);
          g.addi(decay);
        }
        if (momentum != 0) {
          NDArray buf = buffers.get(p.name());
          if (buf == null) {
            buf = TensorOptimizer.keep(g.duplicate());
            buf.attach(manager);
            buffers.put(p.name(), buf);
          } else {
            buf.muli(mu).addi(g.mul(keep));
          }
          if (nesterov) {
            NDArray look = buf.mul(mu);
            look.attach(scope);
            g.addi(look);
          } else {
            g = buf;
          }
        }
        NDArray update = g.mul(lrNeg);
        update.attach(scope);
        theta.addi(update);
      }
    }
  }

  @Override
  public Map<String, NDArray> stateTensors() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    buffers.forEach((k, v) -> out.put(k + "/momentum_buffer", v));
    return out;
  }

  @Override
  public Map<String, Long> counters() {
    return Map.of();
  }

  @Override
  public OptimizerState state() {
    Map<String, float[]> out = new HashMap<>();
    buffers.forEach((k, v) -> out.put(k + "/momentum_buffer", v.toFloatArray()));
    return new OptimizerState(Sgd.TYPE, out, Map.of());
  }

  @Override
  public void restore(OptimizerState state, Map<String, NDArray> params) {
    clear();
    state.buffers().forEach((key, value) -> {
      if (key.endsWith("/momentum_buffer")) {
        String name = key.substring(0, key.lastIndexOf('/'));
        NDArray like = params.get(name);
        if (like == null) {
          throw new IllegalArgumentException("optimizer state " + key + " names no trainable parameter");
        }
        buffers.put(name, TensorOptimizer.fromFloats(manager, value, like, key));
      }
    });
  }

  private void clear() {
    buffers.values().forEach(NDArray::close);
    buffers.clear();
  }

  @Override
  public void close() {
    clear();
    manager.close();
  }
}
