package dev.annealer.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** {@link ParameterValues#write}: an exact in-place copy into a parameter that keeps taking part in autograd. */
class ParameterValuesTest {

  @Test
  void writesTheExactBitsInPlaceAndTheParameterStillGetsGradients() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray p = m.zeros(new Shape(2, 3));
      p.setRequiresGradient(true);
      float[] values = {1.0f, -0.0f, Float.MIN_VALUE, 0.1f, -3.4028235e38f, 1e-7f};
      ParameterValues.write(p, values);
      float[] back = p.toFloatArray();
      for (int i = 0; i < values.length; i++) {
        assertThat(Float.floatToRawIntBits(back[i])).as("element %d", i)
            .isEqualTo(Float.floatToRawIntBits(values[i]));
      }
      assertThat(p.hasGradient()).isTrue();
      try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
        c.backward(p.mul(m.full(new Shape(2, 3), 2f)).sum());
      }
      assertThat(p.getGradient().toFloatArray()).containsOnly(2f);
      // a second write (what every MLP step does) replaces the values again
      ParameterValues.write(p, new float[] {6, 5, 4, 3, 2, 1});
      assertThat(p.toFloatArray()).containsExactly(6, 5, 4, 3, 2, 1);
    }
  }

  @Test
  void aScalarParameterIsWrittenToo() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray p = m.create(0f);
      p.setRequiresGradient(true);
      ParameterValues.write(p, new float[] {2.5f});
      assertThat(p.getShape().dimension()).isZero();
      assertThat(p.getFloat()).isEqualTo(2.5f);
    }
  }

  @Test
  void aWrongNumberOfValuesIsRefusedNamingBothSizes() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray p = m.zeros(new Shape(2, 2));
      p.setName("fc.weight");
      assertThatThrownBy(() -> ParameterValues.write(p, new float[3]))
          .hasMessageContaining("fc.weight").hasMessageContaining("4 values").hasMessageContaining("got 3");
    }
  }
}
