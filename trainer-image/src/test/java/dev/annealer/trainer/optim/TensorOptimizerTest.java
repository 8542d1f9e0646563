package dev.annealer.trainer.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tensor optimizers against hand-computed torch.optim updates and against the float[] optimizers (which
 * PyTorchReferenceTest ties to PyTorch); clipping as clip_grad_norm_; state round trips bit for bit.
 */
class TensorOptimizerTest {
  NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  @AfterEach
  void close() {
    manager.close();
  }

  static float[] values(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return v;
  }

  @Test
  void adamWFirstStepIsTorchsByHand() {
    // torch.optim.AdamW(lr=0.1, weight_decay=0.01), one step from θ = [1, -2], g = [0.5, 0.25]:
    // θ·(1 − 0.001) − 0.1 · ((0.1·g)/0.1) / (sqrt(0.001·g²)/sqrt(0.001) + 1e-8) = 0.999·θ − 0.1·g/(|g| + 1e-8)
    NDArray theta = manager.create(new float[] {1f, -2f});
    NDArray grad = manager.create(new float[] {0.5f, 0.25f});
    try (TensorAdamW adam = new TensorAdamW(0.9, 0.999, 1e-8, 0.01, Device.cpu())) {
      adam.step(List.of(new TensorSlot("w", theta, grad, 1.0)), 0.1);
      float[] t = theta.toFloatArray();
      assertThat((double) t[0]).isCloseTo(0.999 - 0.1 * 0.5 / (0.5 + 1e-8), within(1e-6));
      assertThat((double) t[1]).isCloseTo(-1.998 - 0.1 * 0.25 / (0.25 + 1e-8), within(1e-6));
      // second step, g = [-0.5, 0.25]: m = 0.9·m1 + 0.1·g, v = 0.999·v1 + 0.001·g², bias corrections at t = 2
      grad.set(new float[] {-0.5f, 0.25f});
      double[] g1 = {0.5, 0.25};
      double[] g2 = {-0.5, 0.25};
      double[] expected = new double[2];
      for (int i = 0; i < 2; i++) {
        double m = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
        double v = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2[i] * g2[i];
        double denom = Math.sqrt(v) / Math.sqrt(1 - 0.999 * 0.999) + 1e-8;
        expected[i] = t[i] * (1 - 0.1 * 0.01) - 0.1 / (1 - 0.9 * 0.9) * m / denom;
      }
      adam.step(List.of(new TensorSlot("w", theta, grad, 1.0)), 0.1);
      assertThat((double) theta.toFloatArray()[0]).isCloseTo(expected[0], within(1e-6));
      assertThat((double) theta.toFloatArray()[1]).isCloseTo(expected[1], within(1e-6));
      assertThat(adam.state().counters()).containsEntry("w/step", 2L);
    }
  }

  /** Runs both optimizers on the same parameters (|θ| ~ 1) and gradients; returns the max absolute difference. */
  double compare(Supplier<Optimizer> reference, Supplier<TensorOptimizer> tensor, double multiplier) {
    Optimizer ref = reference.get();
    int n = 257;
    float[] host = values(1, n);
    NDArray live = manager.create(host.clone(), new Shape(n));
    double worst = 0;
    try (TensorOptimizer t = tensor.get()) {
      for (int s = 0; s < 30; s++) {
        float[] g = values(100 + s, n);
        double lr = 0.01 * (1 + s % 4);
        ref.step(List.of(new ParamSlot("w", host, g.clone(), multiplier)), lr);
        t.step(List.of(new TensorSlot("w", live, manager.create(g), multiplier)), lr);
      }
      float[] got = live.toFloatArray();
      for (int i = 0; i < n; i++) {
        worst = Math.max(worst, Math.abs(got[i] - host[i]));
      }
      assertThat(t.state().buffers().keySet()).isEqualTo(ref.state().buffers().keySet());
      assertThat(t.state().counters()).isEqualTo(ref.state().counters());
    }
    return worst;
  }

  @Test
  void adamWTracksTheFloatImplementation() {
    assertThat(compare(() -> new AdamW(0.9, 0.999, 1e-8, 0.01),
        () -> new TensorAdamW(0.9, 0.999, 1e-8, 0.01, Device.cpu()), 2.0)).isLessThan(1e-6);
  }

  @Test
  void sgdTracksTheFloatImplementation() {
    assertThat(compare(() -> new Sgd(0.9, 0.0, true, 1e-3), () -> new TensorSgd(0.9, 0.0, true, 1e-3, Device.cpu()), 1.0))
        .isLessThan(1e-6);
    assertThat(compare(() -> new Sgd(0.8, 0.1, false, 0.0), () -> new TensorSgd(0.8, 0.1, false, 0.0, Device.cpu()), 0.5))
        .isLessThan(1e-6);
    assertThat(compare(() -> new Sgd(0.0, 0.0, false, 0.0), () -> new TensorSgd(0.0, 0.0, false, 0.0, Device.cpu()), 1.0))
        .isLessThan(1e-6);
  }

  @Test
  void learningRateMultiplierScalesTheStep() {
    NDArray a = manager.create(new float[] {1f});
    NDArray b = manager.create(new float[] {1f});
    try (TensorSgd sgd = new TensorSgd(0, 0, false, 0, Device.cpu())) {
      sgd.step(List.of(new TensorSlot("a", a, manager.create(new float[] {1f}), 1.0),
          new TensorSlot("b", b, manager.create(new float[] {1f}), 3.0)), 0.1);
    }
    assertThat(a.getFloat(0)).isEqualTo(0.9f);
    assertThat((double) b.getFloat(0)).isCloseTo(0.7, within(1e-7));
  }

  @Test
  void stateRoundTripsBitForBit() {
    for (Supplier<TensorOptimizer> factory : List.<Supplier<TensorOptimizer>>of(
        () -> new TensorAdamW(0.9, 0.999, 1e-8, 0.01, Device.cpu()),
        () -> new TensorSgd(0.9, 0.0, true, 1e-4, Device.cpu()))) {
      int n = 33;
      NDArray straight = manager.create(values(2, n));
      NDArray resumed = manager.create(values(2, n));
      try (TensorOptimizer a = factory.get(); TensorOptimizer b = factory.get(); TensorOptimizer c = factory.get()) {
        for (int s = 0; s < 20; s++) {
          a.step(List.of(new TensorSlot("w", straight, manager.create(values(50 + s, n)), 1.0)), 0.01 * (1 + s % 3));
        }
        for (int s = 0; s < 9; s++) {
          b.step(List.of(new TensorSlot("w", resumed, manager.create(values(50 + s, n)), 1.0)), 0.01 * (1 + s % 3));
        }
        OptimizerState saved = b.state().copy();
        float[] params = resumed.toFloatArray();
        NDArray fresh = manager.create(params);
        c.restore(saved, Map.of("w", fresh));
        for (int s = 9; s < 20; s++) {
          c.step(List.of(new TensorSlot("w", fresh, manager.create(values(50 + s, n)), 1.0)), 0.01 * (1 + s % 3));
        }
        assertThat(fresh.toFloatArray()).containsExactly(straight.toFloatArray());
      }
    }
  }

  @Test
  void clippingIsClipGradNorm() {
    float[] g1 = values(7, 40);
    float[] g2 = values(8, 9);
    List<ParamSlot> host = List.of(new ParamSlot("a", new float[40], g1.clone(), 1), new ParamSlot("b", new float[9], g2.clone(), 1));
    double hostNorm = GradientClipping.clip(host, 0.5);
    List<TensorSlot> slots = new ArrayList<>();
    slots.add(new TensorSlot("a", manager.zeros(new Shape(40)), manager.create(g1), 1));
    slots.add(new TensorSlot("b", manager.zeros(new Shape(9)), manager.create(g2), 1));
    double norm = TensorClipping.clip(slots, 0.5, manager);
    double expected = 0;
    for (float g : g1) {
      expected += g * g;
    }
    for (float g : g2) {
      expected += g * g;
    }
    expected = Math.sqrt(expected);
    assertThat(norm).isCloseTo(expected, within(1e-5));
    assertThat(norm).isCloseTo(hostNorm, within(1e-5));
    // the clipped gradients have total norm maxNorm (up to the 1e-6 of clip_grad_norm_)
    double after = 0;
    Map<String, float[]> clipped = new LinkedHashMap<>();
    for (TensorSlot s : slots) {
      clipped.put(s.name(), s.grad().toFloatArray());
      for (float g : s.grad().toFloatArray()) {
        after += g * g;
      }
    }
    assertThat(Math.sqrt(after)).isCloseTo(0.5, within(1e-5));
    for (int i = 0; i < 40; i++) {
      assertThat(clipped.get("a")[i]).isCloseTo(host.get(0).grad()[i], within(1e-7f));
    }
    // below the threshold nothing changes
    float[] before = slots.get(1).grad().toFloatArray();
    TensorClipping.clip(slots, 100, manager);
    assertThat(slots.get(1).grad().toFloatArray()).containsExactly(before);
  }
}
