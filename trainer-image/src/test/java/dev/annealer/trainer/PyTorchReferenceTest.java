package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.model.DjlModel;
import dev.annealer.trainer.model.Task;
import dev.annealer.trainer.model.TrainableModel;
import dev.annealer.trainer.optim.AdamW;
import dev.annealer.trainer.optim.Optimizer;
import dev.annealer.trainer.optim.Sgd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: the trainer's step (DJL forward/backward + Annealer's AdamW/SGD) reproduces PyTorch's own run in
 * train-reference.json: the loss before every step and all parameters after steps 60 and 120, within 1e-5 relative.
 */
class PyTorchReferenceTest {
  static final double REL = 1e-5;

  @Test
  void adamWWithWarmRestartsMatchesPyTorch() throws Exception {
    ReferenceFixture f = new ReferenceFixture();
    try (TrainableModel model = DjlModel.mlp(4, new int[] {16}, 1, "tanh", Device.cpu())) {
      check(f, f.json.get("runs").get(0), model);
    }
  }

  @Test
  void sgdMomentumWithCosineMatchesPyTorch() throws Exception {
    ReferenceFixture f = new ReferenceFixture();
    try (TrainableModel model = DjlModel.mlp(4, new int[] {16}, 1, "tanh", Device.cpu())) {
      check(f, f.json.get("runs").get(1), model);
    }
  }

  @Test
  void torchScriptModelMatchesPyTorch() throws Exception {
    ReferenceFixture f = new ReferenceFixture();
    java.nio.file.Path pt = java.nio.file.Files.createTempDirectory("ts").resolve("reference-mlp-traced.pt");
    try (var in = getClass().getResourceAsStream("/reference-mlp-traced.pt")) {
      java.nio.file.Files.copy(in, pt);
    }
    try (TrainableModel model = DjlModel.torchScript(pt, 4, Device.cpu())) {
      assertThat(model.parameterNames()).containsExactlyInAnyOrder("0.weight", "0.bias", "2.weight", "2.bias");
      // the saved module carries the reference's initial weights: no re-initialization
      Map<String, float[]> init = ReferenceFixture.initialParams();
      for (String name : init.keySet()) {
        assertClose(name + " initial", model.read(name), init.get(name));
      }
      check(f, f.json.get("runs").get(0), model);
    }
  }

  static Optimizer optimizerOf(JsonNode run) {
    JsonNode a = run.get("optimizer_args");
    return switch (run.get("optimizer").asText()) {
      case "AdamW" -> new AdamW(a.get("betas").get(0).asDouble(), a.get("betas").get(1).asDouble(), a.get("eps").asDouble(),
          a.get("weight_decay").asDouble());
      case "SGD" -> new Sgd(a.get("momentum").asDouble(), a.get("dampening").asDouble(), a.get("nesterov").asBoolean(),
          a.get("weight_decay").asDouble());
      default -> throw new IllegalArgumentException(run.get("optimizer").asText());
    };
  }

  private void check(ReferenceFixture f, JsonNode run, TrainableModel model) {
    Map<String, float[]> init = ReferenceFixture.initialParams();
    ReferenceFixture.writeAll(model, init);
    StepRunner runner = new StepRunner(model, optimizerOf(run), Task.REGRESSION, null, model.parameterNames(), Map.of());
    int steps = run.get("steps").asInt();
    List<String> failures = new ArrayList<>();
    // the LR comes from the schedule engine, imported from the same torch scheduler and arguments
    Map<String, Object> args = new java.util.LinkedHashMap<>(
        new com.fasterxml.jackson.databind.ObjectMapper().convertValue(run.get("scheduler_args"), Map.class));
    args.put("lr", run.get("optimizer_args").get("lr").asDouble());
    dev.annealer.schedule.Schedule schedule = dev.annealer.schedule.Schedule.of(
        dev.annealer.schedule.PeerImporter.fromPeer("torch:" + run.get("scheduler").asText(), args, null));
    for (int s = 0; s < steps; s++) {
      double lr = schedule.lr(s);
      double expectedLr = run.get("lr").get(s).asDouble();
      if (Math.abs(lr - expectedLr) > 1e-12 * Math.abs(expectedLr)) {
        failures.add("step " + s + " lr " + lr + " != " + expectedLr);
      }
      double loss = runner.step(List.of(f.batch(s)), lr).loss();
      double expected = run.get("loss_before_step").get(s).asDouble();
      if (Math.abs(loss - expected) > REL * Math.abs(expected)) {
        failures.add("step " + s + " loss " + loss + " != " + expected);
      }
      JsonNode after = run.get("params_after_step").get(String.valueOf(s + 1));
      if (after != null) {
        for (var it = after.fields(); it.hasNext(); ) {
          var e = it.next();
          float[] expectedP = ReferenceFixture.flatten(e.getValue());
          float[] actual = runner.parameters().get(e.getKey());
          failures.addAll(compare("after step " + (s + 1) + " " + e.getKey(), actual, expectedP));
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  static List<String> compare(String what, float[] actual, float[] expected) {
    List<String> out = new ArrayList<>();
    if (actual.length != expected.length) {
      out.add(what + ": " + actual.length + " values, expected " + expected.length);
      return out;
    }
    // relative to the tensor's magnitude: after 120 float32 steps an entry that crosses zero keeps the absolute
    // rounding of its tensor, so a per-entry relative bound would test noise, not the optimizer
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < actual.length; i++) {
      double tol = REL * Math.max(Math.abs(expected[i]), scale);
      if (Math.abs(actual[i] - expected[i]) > tol) {
        out.add(what + "[" + i + "] " + actual[i] + " != " + expected[i]);
      }
    }
    return out;
  }

  static void assertClose(String what, float[] actual, float[] expected) {
    assertThat(compare(what, actual, expected)).isEmpty();
  }
}
