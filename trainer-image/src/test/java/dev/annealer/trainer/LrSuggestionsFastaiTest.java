package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Holds each rule to fastai 2.8.12's own output on recorded curves ({@code src/test/resources/lr-range}, written by
 * {@code src/test/python/fastai_lr_suggestions.py}): the same point, to the index, and its learning rate.
 */
class LrSuggestionsFastaiTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Curve(String csv, int plannedSteps, JsonNode expected, double[] lrs, double[] smoothed) {
    @Override
    public String toString() {
      return csv;
    }
  }

  static Stream<Curve> curves() throws IOException {
    JsonNode root;
    try (InputStream in = resource("expected.json")) {
      root = JSON.readTree(in);
    }
    assertThat(root.get("fastai").asText()).isEqualTo("2.8.12");
    List<Curve> out = new ArrayList<>();
    for (JsonNode c : root.get("curves")) {
      List<double[]> rows = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(resource(c.get("csv").asText()),
          StandardCharsets.UTF_8))) {
        r.readLine();
        for (String line; (line = r.readLine()) != null; ) {
          String[] f = line.split(",");
          rows.add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[3])});
        }
      }
      assertThat(rows).hasSize(c.get("points").asInt());
      out.add(new Curve(c.get("csv").asText(), c.get("plannedSteps").asInt(), c,
          rows.stream().mapToDouble(x -> x[0]).toArray(), rows.stream().mapToDouble(x -> x[1]).toArray()));
    }
    assertThat(out).hasSizeGreaterThanOrEqualTo(6);
    return out.stream();
  }

  private static InputStream resource(String name) {
    InputStream in = LrSuggestionsFastaiTest.class.getResourceAsStream("/lr-range/" + name);
    assertThat(in).as("test resource lr-range/" + name).isNotNull();
    return in;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("curves")
  void eachRulePicksFastaisPoint(Curve c) {
    LrSuggestions got = LrSuggestions.of(c.lrs(), c.smoothed(), c.plannedSteps());
    assertThat(got.windowFrom()).isEqualTo(c.plannedSteps() / 10);
    assertThat(got.windowTo()).isEqualTo(c.lrs().length - 5);
    for (String rule : LrSuggestions.RULES) {
      JsonNode want = c.expected().get(rule);
      LrSuggestions.Suggestion x = got.byRule(rule);
      if (want.has("error")) {
        // fastai raises (slide on a window under 16 points); we report no suggestion for that rule
        assertThat(rule).isEqualTo(LrSuggestions.SLIDE);
        assertThat(x).as(rule).isNull();
        continue;
      }
      assertThat(x).as(rule).isNotNull();
      assertThat(x.step()).as(c.csv() + " " + rule + " step").isEqualTo(want.get("step").asInt());
      // fastai returns the float32 rate; ours is the recorded double
      assertThat(x.learningRate()).as(c.csv() + " " + rule + " learningRate")
          .isCloseTo(want.get("learningRate").asDouble(), within(1e-6 * want.get("learningRate").asDouble()));
    }
  }

  @Test
  void quickstartSuggestsTheFallingPartNotTheNoise() throws IOException {
    Curve qs = curves().filter(c -> c.csv().equals("quickstart-mlp64.csv")).findFirst().orElseThrow();
    LrSuggestions got = LrSuggestions.of(qs.lrs(), qs.smoothed(), qs.plannedSteps());
    // the figures: valley 2.41e-3, minimum 2.70e-2, slide 6.75e-2, steep 7.66e-7 (the old answer)
    assertThat(got.valley().learningRate()).isCloseTo(2.41e-3, within(0.005e-3));
    assertThat(got.minimum().learningRate()).isCloseTo(2.70e-2, within(0.005e-2));
    assertThat(got.slide().learningRate()).isCloseTo(6.75e-2, within(0.005e-2));
    assertThat(got.steep().learningRate()).isCloseTo(7.66e-7, within(0.005e-7));
    // the valley lies where the smoothed loss falls: well below its value 20 steps earlier
    int v = got.valley().step();
    assertThat(qs.smoothed()[v]).isLessThan(qs.smoothed()[v - 20]);
  }

  /** fastai's valley, line by line: the O(n²) dynamic program the fast version must agree with. */
  static int valleyAsFastaiWritesIt(float[] losses) {
    int n = losses.length;
    int maxStart = 0;
    int maxEnd = 0;
    int[] lds = new int[n];
    java.util.Arrays.fill(lds, 1);
    for (int i = 1; i < n; i++) {
      for (int j = 0; j < i; j++) {
        if (losses[i] < losses[j] && lds[i] < lds[j] + 1) {
          lds[i] = lds[j] + 1;
        }
        if (lds[maxEnd] < lds[i]) {
          maxEnd = i;
          maxStart = maxEnd - lds[maxEnd];
        }
      }
    }
    double sections = (maxEnd - maxStart) / 3.0;
    int idx = maxStart + (int) sections + (int) (sections / 2);
    return idx < 0 ? idx + n : idx;
  }

  @Test
  void fastValleyAgreesWithFastaisDynamicProgram() {
    Random rnd = new Random(14);
    for (int t = 0; t < 3000; t++) {
      int n = 1 + rnd.nextInt(60);
      float[] w = new float[n];
      for (int i = 0; i < n; i++) {
        // few distinct values: many ties, which strictly-decreasing must not count
        w[i] = t % 2 == 0 ? rnd.nextInt(6) : (float) (1 - i * 0.01 + 0.05 * rnd.nextGaussian());
      }
      assertThat(LrSuggestions.valleyIndex(w)).as("trial %d %s", t, java.util.Arrays.toString(w))
          .isEqualTo(valleyAsFastaiWritesIt(w));
    }
  }

  @Test
  void valleyOfAPairFallingFromTheFirstPointIsTheLastPointAsInPython() {
    // longest decreasing run 2, starting at index 0: fastai's index is -1, which Python reads as the last point
    assertThat(LrSuggestions.valleyIndex(new float[] {2f, 1f, 3f, 4f})).isEqualTo(3);
    assertThat(valleyAsFastaiWritesIt(new float[] {2f, 1f, 3f, 4f})).isEqualTo(3);
  }

  @Test
  void aWindowTooShortIsRefusedWithTheCountsAndTheFix() {
    double[] lrs = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};
    double[] loss = {1, 0.9, 0.8, 0.7, 0.6, 5, 9};
    assertThatThrownBy(() -> LrSuggestions.of(lrs, loss, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recorded 7 points")
        .hasMessageContaining("leaves 0 (at least 2 needed)")
        .hasMessageContaining("spec.training.maxSteps");
  }

  @Test
  void slideIsAbsentBelowSixteenPointsAndTheOthersStillAnswer() {
    int n = 20; // window 2 .. 15: 13 points
    double[] lrs = new double[n];
    double[] loss = new double[n];
    for (int i = 0; i < n; i++) {
      lrs[i] = 1e-6 * Math.pow(10, i * 0.3);
      loss[i] = 2 - Math.sin(i / 6.0);
    }
    LrSuggestions s = LrSuggestions.of(lrs, loss, n);
    assertThat(s.slide()).isNull();
    assertThat(s.all()).extracting(LrSuggestions.Suggestion::rule).containsExactly("valley", "steep", "minimum");
  }
}
