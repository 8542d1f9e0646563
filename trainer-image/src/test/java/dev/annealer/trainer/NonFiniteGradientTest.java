package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annealer.trainer.model.Task;
import dev.annealer.trainer.model.TrainableModel;
import dev.annealer.trainer.optim.AdamW;
import dev.annealer.trainer.optim.Sgd;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A NaN in the gradient while the loss is finite (an overflow in backward, a bad op) must not reach the weights:
 * with a NaN norm clipping's {@code coef < 1} is false, so clipping alone lets it through.
 */
class NonFiniteGradientTest {

  /** One parameter "w" of 3 values; the gradient of the next forwardBackward is {@link #nextGrad}. */
  static final class FakeModel implements TrainableModel {
    final Map<String, float[]> weights = new HashMap<>(Map.of("w", new float[] {1f, 2f, 3f}));
    float[] nextGrad = {0.1f, 0.1f, 0.1f};

    public List<String> parameterNames() {
      return List.of("w");
    }

    public long[] shape(String name) {
      return new long[] {3};
    }

    public float[] read(String name) {
      return weights.get(name).clone();
    }

    public void write(String name, float[] values) {
      weights.put(name, values.clone());
    }

    public int inputSize() {
      return 1;
    }

    public double forwardBackward(float[] f, float[] l, int batch, Task task, double scale, Map<String, float[]> acc) {
      float[] g = acc.get("w");
      for (int i = 0; i < g.length; i++) {
        g[i] += (float) (nextGrad[i] * scale);
      }
      return 0.5; // finite loss
    }

    public double loss(float[] f, float[] l, int batch, Task task) {
      return 0.5;
    }

    public String device() {
      return "cpu";
    }

    public void close() {}
  }

  static final List<StepRunner.Batch> BATCH = List.of(new StepRunner.Batch(new float[] {1f}, new float[] {1f}, 1));

  @Test
  void aNanGradientWithAFiniteLossIsNotAppliedWithOrWithoutClipping() {
    for (Double clip : new Double[] {null, 1.0}) {
      FakeModel model = new FakeModel();
      StepRunner runner = new StepRunner(model, new AdamW(0.9, 0.999, 1e-8, 0.0), Task.REGRESSION, clip, List.of("w"),
          Map.of());
      assertThat(Double.isFinite(runner.step(BATCH, 0.01).gradNorm())).as("clip " + clip).isTrue();
      float[] before = model.read("w");
      model.nextGrad = new float[] {0.1f, Float.NaN, 0.1f};
      StepRunner.StepResult r = runner.step(BATCH, 0.01);
      assertThat(r.loss()).isEqualTo(0.5);
      assertThat(r.gradNorm()).as("clip " + clip).isNaN();
      assertThat(model.read("w")).as("weights after a NaN gradient, clip " + clip).containsExactly(before);
      assertThat(runner.parameters().get("w")).containsExactly(before);
    }
  }

  @Test
  void anInfiniteGradientIsNotAppliedBySgdEither() {
    FakeModel model = new FakeModel();
    StepRunner runner = new StepRunner(model, new Sgd(0.9, 0.0, false, 0.0), Task.REGRESSION, null, List.of("w"),
        Map.of());
    model.nextGrad = new float[] {Float.POSITIVE_INFINITY, 0f, 0f};
    float[] before = model.read("w");
    assertThat(runner.step(BATCH, 0.01).gradNorm()).isInfinite();
    assertThat(model.read("w")).containsExactly(before);
  }

  @Test
  void theTrainingLoopFailsTheStepWithAClearReason() {
    assertThatThrownBy(() -> TrainingRun.checkStep(new StepRunner.StepResult(0.5, Double.NaN), 812, 0.01, null))
        .isInstanceOfSatisfying(TrainerFailure.class, f -> {
          assertThat(f.reason()).isEqualTo(TrainerFailure.Reason.NonFiniteGradient);
          assertThat(f.getMessage()).contains("gradient norm became NaN at step 812").contains("loss 0.5")
              .contains("not applied").contains("spec.optimizer.gradientClipNorm does not help")
              .contains("no checkpoint was written");
        });
    assertThatThrownBy(() -> TrainingRun.checkStep(new StepRunner.StepResult(Double.NaN, Double.NaN), 9, 0.01, null))
        .isInstanceOfSatisfying(TrainerFailure.class,
            f -> assertThat(f.reason()).isEqualTo(TrainerFailure.Reason.NonFiniteLoss));
    TrainingRun.checkStep(new StepRunner.StepResult(0.5, 3.0), 9, 0.01, null); // a good step passes
  }
}
