package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.trainer.hf.weights.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conformance through the command line: for each case of {@code src/test/resources/hf/} (produced by transformers,
 * peft and torch), a FineTuneJob is written from {@code reference.json}'s {@code job}, the trainer runs as its own
 * process with {@code --log-every 1}, and every logged step loss 1..12 must be within 1e-4 relative of the reference
 * and the exported weights in {@code <checkpoint-dir>/final/} within 1e-4 absolute of {@code expected/}.
 *
 * <p>The reference schedule (torch {@code SequentialLR(LinearLR(start_factor, total_iters=warmupSteps),
 * CosineAnnealingWarmRestarts(T_0=period, T_mult=periodMultiplier, eta_min=minLearningRate))}) is Annealer's
 * {@code CosineWarmRestarts} with a prefix warmup from {@code startFactor}: the first cycle starts at the full LR
 * when the warmup ends.
 */
class HfConformanceCliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern STEP = Pattern.compile("event=step step=(\\d+) .* lr=(\\S+) loss=(\\S+)");

  @TempDir
  Path dir;

  static Path caseDir(String name) throws Exception {
    return Path.of(HfConformanceCliTest.class.getResource("/hf/" + name).toURI());
  }

  /** The FineTuneJob of a conformance case. */
  static String job(String name, Path caseDir, long steps, long checkpointEvery) throws Exception {
    JsonNode ref = JSON.readTree(Files.readString(caseDir.resolve("reference.json")));
    JsonNode j = ref.get("job");
    JsonNode s = j.get("schedule");
    boolean classification = ref.has("numLabels");
    String lora = "";
    if (ref.has("lora")) {
      JsonNode l = ref.get("lora");
      List<String> targets = new ArrayList<>();
      l.get("targetModules").forEach(t -> targets.add(t.asText()));
      lora = "\n    lora: {rank: %d, alpha: %s, targetModules: [%s], initFrom: %s}".formatted(l.get("rank").asInt(),
          l.get("alpha").asText(), String.join(", ", targets), caseDir.resolve("adapter-init"));
    }
    String data = classification ? "task: classification\n    text: text\n    label: label"
        : "task: causalLM\n    prompt: prompt\n    completion: completion";
    return """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: %s, namespace: conformance, uid: u-%s}
        spec:
          model:
            source: %s
            format: huggingface%s
          data:
            train: %s
            format: jsonl
            %s
            maxLength: %d
            shuffle: false
          training: {maxSteps: %d, batchSize: %d, seed: 0}
          optimizer: {type: AdamW, learningRate: %s, weightDecay: %s, gradientClipNorm: %s}
          schedule:
            type: CosineWarmRestarts
            warmup: {steps: %d, startFactor: %s}
            period: {steps: %d}
            periodMultiplier: %s
            minLearningRate: %s
          checkpoint: {everySteps: %d, keepLast: 2}
        """.formatted(name, name, caseDir.resolve("model"), lora,
        caseDir.resolve("train.jsonl"), data, j.get("maxLength").asInt(), steps,
        j.get("batchSize").asInt(), j.get("learningRate").asText(), j.get("weightDecay").asText(),
        j.get("gradientClipNorm").asText(), s.get("warmupSteps").asInt(), s.get("warmupStartFactor").asText(),
        s.get("period").asInt(), s.get("periodMultiplier").asText(), s.get("minLearningRate").asText(), checkpointEvery);
  }

  static Map<Long, Double> losses(List<String> lines) {
    Map<Long, Double> out = new TreeMap<>();
    synchronized (lines) {
      for (String l : lines) {
        Matcher m = STEP.matcher(l);
        if (m.find()) {
          out.put(Long.parseLong(m.group(1)), Double.parseDouble(m.group(3)));
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "llama-lora", "gpt2-full", "bert-cls-full"})
  void lossesAndExportedWeightsMatchTheReference(String name) throws Exception {
    conforms(name);
  }

  /**
   * The same cases with two data-parallel workers (c10d Gloo, two processes): each takes half of every global batch,
   * the gradients are averaged, and the losses and weights stay within the same bounds of transformers.
   */
  @ParameterizedTest
  @ValueSource(strings = {"llama-full", "llama-lora", "gpt2-full", "bert-cls-full"})
  void twoWorkersMatchTheReferenceToo(String name) throws Exception {
    conforms(name, "--workers", "2");
  }

  private void conforms(String name, String... extraArgs) throws Exception {
    Path caseDir = caseDir(name);
    JsonNode ref = JSON.readTree(Files.readString(caseDir.resolve("reference.json")));
    int steps = ref.get("job").get("steps").asInt();
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, job(name, caseDir, steps, steps));
    Path ck = dir.resolve("ck");
    List<String> args = new ArrayList<>(List.of("--log-every", "1"));
    args.addAll(List.of(extraArgs));
    TrainerProcess p = TrainerProcess.start(job, ck, dir.resolve("term"), dir.resolve("stderr"), args.toArray(String[]::new));
    assertThat(p.waitFor(300)).as("%s exit code; tail:%n%s%nstderr: %s", name, p.tail(), dir.resolve("stderr")).isZero();

    Map<Long, Double> losses = losses(p.lines);
    assertThat(losses).hasSize(steps);
    if (args.contains("--workers")) {
      synchronized (p.lines) {
        assertThat(String.join("\n", p.lines)).as("rank 0 trained in a group of two").contains("worldSize=2");
      }
    }
    List<String> off = new ArrayList<>();
    for (int s = 1; s <= steps; s++) {
      double want = ref.get("losses").get(s - 1).asDouble();
      double got = losses.get((long) s);
      if (Math.abs(got - want) > 1e-4 * Math.abs(want)) {
        off.add("step " + s + ": " + got + " vs " + want);
      }
    }
    assertThat(off).as("%s: step losses beyond 1e-4 relative of reference.json", name).isEmpty();

    assertThat(Files.readString(dir.resolve("term"))).endsWith(" finalModel=final");
    String file = ref.has("lora") ? "adapter_model.safetensors" : "model.safetensors";
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        SafetensorsReader got = SafetensorsReader.open(ck.resolve("final").resolve(file));
        SafetensorsReader want = SafetensorsReader.open(caseDir.resolve("expected").resolve(file))) {
      assertThat(got.names()).containsExactlyInAnyOrderElementsOf(want.names());
      double worst = 0;
      for (String n : want.names()) {
        worst = Math.max(worst, got.load(n, m, Device.cpu()).sub(want.load(n, m, Device.cpu())).abs().max().getFloat());
      }
      assertThat(worst).as("%s: largest exported weight difference from expected/", name).isLessThanOrEqualTo(1e-4);
    }
    if (ref.has("lora")) {
      assertThat(ck.resolve("final/adapter_config.json")).exists();
    } else {
      assertThat(ck.resolve("final/config.json")).exists();
      assertThat(ck.resolve("final/tokenizer.json")).exists();
    }
  }

  /** A finished full fine-tune's final/ is the next job's spec.model.source; its first loss is the last model's. */
  @ParameterizedTest
  @ValueSource(strings = {"llama-full"})
  void finalDirectoryIsTheNextJobsModel(String name) throws Exception {
    Path caseDir = caseDir(name);
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, job(name, caseDir, 3, 3));
    Path first = dir.resolve("first");
    TrainerProcess a = TrainerProcess.start(job, first, dir.resolve("term1"), dir.resolve("stderr"), "--log-every", "1");
    assertThat(a.waitFor(300)).as(a.tail()).isZero();
    // the next job starts from final/ and trains on the same records: its step 1 sees the model after 3 updates,
    // whose loss on batch 0 is below the base model's step-1 loss
    String next = job(name, caseDir, 3, 3).replace("source: " + caseDir.resolve("model"), "source: " + first.resolve("final"))
        .replace("name: " + name, "name: " + name + "-next");
    Path nextJob = dir.resolve("next.yaml");
    Files.writeString(nextJob, next);
    TrainerProcess b = TrainerProcess.start(nextJob, dir.resolve("second"), dir.resolve("term2"), dir.resolve("stderr"),
        "--log-every", "1");
    assertThat(b.waitFor(300)).as(b.tail()).isZero();
    double base = losses(a.lines).get(1L);
    double continued = losses(b.lines).get(1L);
    assertThat(continued).isLessThan(base);
    assertThat(dir.resolve("second/final/model.safetensors")).exists();
  }
}
