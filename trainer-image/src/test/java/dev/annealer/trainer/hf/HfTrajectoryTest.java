package dev.annealer.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.trainer.hf.data.TextEncoder;
import dev.annealer.trainer.hf.data.TokenBatcher;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import dev.annealer.trainer.hf.family.HfModel;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model side of the step check: the reference's 12 optimizer steps replayed with a test-only libtorch AdamW
 * (torch's single-tensor update, global-norm clipping, the warmup + warm-restart schedule of reference.json). The loss
 * of every step within 1e-4 relative and the exported weights within 1e-4 absolute of {@code expected/} show that
 * the forward and the gradients are the ones transformers/peft compute. (The product's own loop is checked through
 * {@code bin/annealer train}.)
 */
class HfTrajectoryTest {
  @TempDir
  Path tmp;

  static double lr(JsonNode job, int step) {
    JsonNode s = job.get("schedule");
    double base = job.get("learningRate").asDouble();
    int warm = s.get("warmupSteps").asInt();
    if (step < warm) {
      double f = s.get("warmupStartFactor").asDouble();
      return base * (f + (1 - f) * step / warm);
    }
    long t = step - warm;
    long period = s.get("period").asLong();
    while (t >= period) {
      t -= period;
      period *= s.get("periodMultiplier").asLong();
    }
    double min = s.get("minLearningRate").asDouble();
    return min + (base - min) * (1 + Math.cos(Math.PI * t / period)) / 2;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "llama-lora", "gpt2-full", "bert-cls-full"})
  void twelveStepsMatchTheReference(String name) throws Exception {
    HfCase c = new HfCase(name);
    HfLoadOptions opts = HfConformanceTest.options(c);
    JsonNode job = c.ref.get("job");
    int batchSize = job.get("batchSize").asInt();
    double wd = job.get("weightDecay").asDouble();
    double clip = job.get("gradientClipNorm").asDouble();
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    JsonNode losses = c.ref.get("losses");
    Path out = tmp.resolve("final");
    try (NDManager m = NDManager.newBaseManager();
        HfModel model = HfModels.load(c.model(), opts, m);
        TextEncoder enc = HfModels.encoder(c.model(), opts, c.maxLength())) {
      TokenBatcher batcher = HfModels.batcher(enc, opts);
      LinkedHashMap<String, NDArray> params = model.trainableParameters();
      Map<String, NDArray> mom = new LinkedHashMap<>();
      Map<String, NDArray> vel = new LinkedHashMap<>();
      params.forEach((k, p) -> {
        mom.put(k, p.zerosLike());
        vel.put(k, p.zerosLike());
      });
      for (int step = 0; step < losses.size(); step++) {
        List<TokenizedRecord> records = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
          records.add(c.encode(enc, (step * batchSize + i) % c.records.size()));
        }
        try (NDManager scope = m.newSubManager(); TokenBatch b = batcher.batch(records, scope)) {
          model.zeroGradients();
          double loss;
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = model.loss(b);
            loss = l.getFloat();
            gc.backward(l);
          }
          double want = losses.get(step).asDouble();
          assertThat(loss).as("%s loss of step %d", name, step + 1)
              .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * Math.abs(want)));
          Map<String, NDArray> grads = new LinkedHashMap<>();
          NDArray sq = scope.zeros(new ai.djl.ndarray.types.Shape());
          for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(scope);
            grads.put(e.getKey(), g);
            sq = sq.add(g.norm().square());
          }
          double total = Math.sqrt(sq.getFloat());
          double coef = Math.min(1.0, clip / (total + 1e-6));
          double lr = lr(job, step);
          int t = step + 1;
          double bc1 = 1 - Math.pow(b1, t);
          double bc2sqrt = Math.sqrt(1 - Math.pow(b2, t));
          for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = grads.get(e.getKey()).mul(coef);
            NDArray mm = mom.get(e.getKey());
            NDArray vv = vel.get(e.getKey());
            p.muli(1 - lr * wd);
            mm.muli(b1).addi(g.mul(1 - b1));
            vv.muli(b2).addi(g.mul(g).mul(1 - b2));
            NDArray denom = vv.sqrt().div(bc2sqrt).add(eps);
            p.subi(mm.div(denom).mul(lr / bc1));
          }
        }
      }
      model.export(out, false);
    }
    String file = opts.lora() == null ? "model.safetensors" : "adapter_model.safetensors";
    try (NDManager m = NDManager.newBaseManager();
        SafetensorsReader got = SafetensorsReader.open(out.resolve(file));
        SafetensorsReader want = SafetensorsReader.open(c.dir.resolve("expected").resolve(file))) {
      assertThat(got.names()).containsExactlyElementsOf(want.names());
      double worst = 0;
      for (String n : want.names()) {
        worst = Math.max(worst, got.load(n, m, Device.cpu()).sub(want.load(n, m, Device.cpu())).abs().max()
            .getFloat());
      }
      assertThat(worst).as("%s largest weight difference after the steps", name).isLessThanOrEqualTo(1e-4);
      System.out.println(name + " worst weight difference " + worst);
    }
  }
}
