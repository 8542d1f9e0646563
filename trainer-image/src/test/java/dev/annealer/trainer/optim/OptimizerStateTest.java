package dev.annealer.trainer.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Save the state mid-run, restore it into a fresh optimizer: the continuation is bit-identical. */
class OptimizerStateTest {

  static float[] grad(int step, int n) {
    SplittableRandom r = new SplittableRandom(step);
    float[] g = new float[n];
    for (int i = 0; i < n; i++) {
      g[i] = (float) (r.nextDouble() - 0.5);
    }
    return g;
  }

  static void check(Supplier<Optimizer> factory) {
    float[] straight = {0.5f, -0.25f, 1f};
    Optimizer a = factory.get();
    for (int s = 0; s < 20; s++) {
      a.step(List.of(new ParamSlot("w", straight, grad(s, 3), 1.0)), 0.01 * (1 + s % 3));
    }
    float[] resumed = {0.5f, -0.25f, 1f};
    Optimizer b = factory.get();
    for (int s = 0; s < 9; s++) {
      b.step(List.of(new ParamSlot("w", resumed, grad(s, 3), 1.0)), 0.01 * (1 + s % 3));
    }
    OptimizerState saved = b.state();
    Optimizer c = factory.get();
    c.restore(new OptimizerState(saved.type(), saved.buffers(), saved.counters()));
    for (int s = 9; s < 20; s++) {
      c.step(List.of(new ParamSlot("w", resumed, grad(s, 3), 1.0)), 0.01 * (1 + s % 3));
    }
    assertThat(resumed).containsExactly(straight);
  }

  @Test
  void adamWResumesBitIdentically() {
    check(() -> new AdamW(0.9, 0.999, 1e-8, 0.01));
    assertThat(new AdamW(0.9, 0.999, 1e-8, 0.01).state().buffers()).isEmpty();
  }

  @Test
  void sgdNesterovResumesBitIdentically() {
    check(() -> new Sgd(0.9, 0.0, true, 1e-4));
    check(() -> new Sgd(0.8, 0.1, false, 0.0));
  }

  @Test
  void adamWStateIsKeyedByParameterName() {
    AdamW a = new AdamW(0.9, 0.999, 1e-8, 0.0);
    a.step(List.of(new ParamSlot("2.bias", new float[] {1}, new float[] {0.5f}, 1.0)), 0.1);
    OptimizerState s = a.state();
    assertThat(s.buffers()).containsOnlyKeys("2.bias/exp_avg", "2.bias/exp_avg_sq");
    assertThat(s.counters()).containsEntry("2.bias/step", 1L);
  }

  @Test
  void learningRateMultiplierScalesTheStep() {
    float[] p1 = {1f};
    float[] p2 = {1f};
    new Sgd(0, 0, false, 0).step(List.of(new ParamSlot("a", p1, new float[] {1f}, 1.0),
        new ParamSlot("b", p2, new float[] {1f}, 10.0)), 0.01);
    assertThat(p1[0]).isEqualTo(0.99f);
    assertThat(p2[0]).isEqualTo(0.9f);
  }

  @Test
  void globalNormClippingScalesAllGradients() {
    ParamSlot a = new ParamSlot("a", new float[2], new float[] {3f, 0f}, 1.0);
    ParamSlot b = new ParamSlot("b", new float[1], new float[] {4f}, 1.0);
    double norm = GradientClipping.clip(List.of(a, b), 1.0);
    assertThat(norm).isEqualTo(5.0);
    assertThat(a.grad()[0]).isCloseTo(0.6f, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(b.grad()[0]).isCloseTo(0.8f, org.assertj.core.data.Offset.offset(1e-6f));
    ParamSlot c = new ParamSlot("c", new float[1], new float[] {0.5f}, 1.0);
    GradientClipping.clip(List.of(c), 1.0);
    assertThat(c.grad()[0]).isEqualTo(0.5f);
  }
}
