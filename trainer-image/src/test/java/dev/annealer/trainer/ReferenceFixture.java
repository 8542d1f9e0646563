package dev.annealer.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.model.TrainableModel;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** Rebuilds the train-reference.json fixture (model init and data given as formulas in its spec). */
final class ReferenceFixture {
  static final int ROWS = 64;
  static final int FEATURES = 4;
  static final int HIDDEN = 16;
  static final int BATCH = 16;

  final JsonNode json;
  final float[] x = new float[ROWS * FEATURES];
  final float[] y = new float[ROWS];

  ReferenceFixture() throws IOException {
    try (InputStream in = ReferenceFixture.class.getResourceAsStream("/train-reference.json")) {
      json = new ObjectMapper().readTree(in);
    }
    for (int k = 0; k < ROWS; k++) {
      double sum = 0;
      for (int c = 0; c < FEATURES; c++) {
        float v = (float) (Math.sin(0.37 * k + 0.91 * c) + 0.5 * Math.cos(0.13 * k * c));
        x[k * FEATURES + c] = v;
        sum += v * (c + 1) * 0.25;
      }
      y[k] = (float) (sum + 0.1 * Math.sin(k));
    }
  }

  static Map<String, float[]> initialParams() {
    Map<String, float[]> p = new LinkedHashMap<>();
    float[] w1 = new float[HIDDEN * FEATURES];
    float[] b1 = new float[HIDDEN];
    float[] w2 = new float[HIDDEN];
    for (int i = 0; i < HIDDEN; i++) {
      for (int j = 0; j < FEATURES; j++) {
        w1[i * FEATURES + j] = (float) (0.5 * Math.sin(0.7 * i + 1.3 * j + 0.1));
      }
      b1[i] = (float) (0.1 * Math.cos(0.9 * i));
      w2[i] = (float) (0.3 * Math.sin(1.1 * i + 0.5));
    }
    p.put("0.weight", w1);
    p.put("0.bias", b1);
    p.put("2.weight", w2);
    p.put("2.bias", new float[] {0.05f});
    return p;
  }

  StepRunner.Batch batch(int step) {
    int start = (BATCH * step) % ROWS;
    float[] bx = new float[BATCH * FEATURES];
    float[] by = new float[BATCH];
    System.arraycopy(x, start * FEATURES, bx, 0, bx.length);
    System.arraycopy(y, start, by, 0, BATCH);
    return new StepRunner.Batch(bx, by, BATCH);
  }

  static float[] flatten(JsonNode node) {
    if (!node.isArray()) {
      return new float[] {(float) node.asDouble()};
    }
    java.util.List<Float> out = new java.util.ArrayList<>();
    for (JsonNode n : node) {
      for (float f : flatten(n)) {
        out.add(f);
      }
    }
    float[] r = new float[out.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = out.get(i);
    }
    return r;
  }

  static void writeAll(TrainableModel model, Map<String, float[]> params) {
    params.forEach(model::write);
  }
}
