package dev.annealer.trainer.trainee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.annealer.trainer.Preemption;
import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.TrainingRun;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.optim.OptimizerState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hugging Face training path through {@link TrainingRun} with a fake {@link dev.annealer.trainer.hf.LanguageModel}
 * (the model families are tested on their own): steps, evaluation metrics, export to final/, the termination
 * message, and an exact resume after a preemption.
 */
class HfTrainingRunTest {
  static final Pattern STEP = Pattern.compile("event=step step=(\\d+) .* lr=(\\S+) loss=(\\S+)");

  @TempDir
  Path dir;
  Path term;
  String stdout;

  @BeforeEach
  void data() throws IOException {
    Files.createDirectories(dir.resolve("model"));
    StringBuilder train = new StringBuilder();
    String[] devices = {"phone", "laptop", "printer", "router", "tablet", "camera"};
    for (int i = 0; i < 24; i++) {
      String d = devices[i % devices.length];
      train.append("{\"prompt\": \"my ").append(d).append(" is broken\", \"completion\": \" restart the ").append(d)
          .append(" please\"}\n");
    }
    Files.writeString(dir.resolve("train.jsonl"), train);
    Files.writeString(dir.resolve("val.jsonl"), train.substring(0, train.indexOf("\n", 200) + 1));
    term = dir.resolve("termination-log");
  }

  String job(long steps, String extra) {
    return """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: hf, namespace: ns, uid: u}
        spec:
          model: {source: %s, format: huggingface}
          data:
            train: %s
            validation: %s
            format: jsonl
            task: causalLM
            prompt: prompt
            completion: completion
            maxLength: 40
            shuffle: false
          training: {maxSteps: %d, batchSize: 4, evalEverySteps: 5, seed: 5}
          optimizer: {type: AdamW, learningRate: 0.05, weightDecay: 0.01, gradientClipNorm: 1.0}
          schedule:
            type: CosineWarmRestarts
            warmup: {steps: 2, startFactor: 0.1}
            period: {steps: 4}
            periodMultiplier: 2
            minLearningRate: 1.0e-5
          checkpoint: {everySteps: 5, keepLast: 2}
        %s""".formatted(dir.resolve("model"), dir.resolve("train.jsonl"), dir.resolve("val.jsonl"), steps, extra);
  }

  int run(String yaml, Path checkpoints, TraineeFactory factory, Preemption preemption) throws Exception {
    Path f = dir.resolve("job.yaml");
    Files.writeString(f, yaml);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = new TrainingRun(new TrainingRun.Options(f, checkpoints, "cpu", 1, null,
        Map.of("ANNEALER_TERMINATION_LOG", term.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false), preemption, factory).run();
    stdout = out.toString(StandardCharsets.UTF_8);
    return code;
  }

  static Map<Long, String[]> steps(String stdout) {
    Map<Long, String[]> out = new TreeMap<>();
    stdout.lines().forEach(l -> {
      Matcher m = STEP.matcher(l);
      if (m.find()) {
        out.put(Long.parseLong(m.group(1)), new String[] {m.group(2), m.group(3)});
      }
    });
    return out;
  }

  @Test
  void trainsEvaluatesExportsAndReportsTheFinalModel() throws Exception {
    Path ck = dir.resolve("ck");
    assertThat(run(job(20, ""), ck, Trainees.byFormat(FakeLanguageModel.backend()), new Preemption()))
        .as(stdout).isZero();
    Map<Long, String[]> steps = steps(stdout);
    assertThat(steps).hasSize(20);
    assertThat(Double.parseDouble(steps.get(20L)[1])).isLessThan(Double.parseDouble(steps.get(1L)[1]));
    // the warmup starts at 0.1 x the peak: the LR of update s is the schedule at 0-based step s
    assertThat(Double.parseDouble(steps.get(1L)[0])).isCloseTo(0.005, within(1e-12));
    Matcher eval = Pattern.compile("event=eval step=20 validationLoss=(\\S+) validationPerplexity=(\\S+)").matcher(stdout);
    assertThat(eval.find()).as(stdout).isTrue();
    assertThat(Double.parseDouble(eval.group(2))).isCloseTo(Math.exp(Double.parseDouble(eval.group(1))), within(1e-9));
    assertThat(stdout).containsPattern("event=step step=20 .* validationLoss=\\S+ validationPerplexity=\\S+ examplesPerSecond=");
    assertThat(ck.resolve("final/model.bin")).exists();
    assertThat(ck.resolve(".tmp-final")).doesNotExist();
    String digest = stdout.lines().reduce((a, b) -> b).orElseThrow().replaceAll("done step=20 paramsSha256=", "");
    assertThat(Files.readString(term)).startsWith("succeeded: step=20 checkpoint=step-000000000020 paramsSha256=" + digest)
        .endsWith(" finalModel=final");
    assertThat(ck.resolve("progress.json")).content().contains("\"phase\" : \"Done\"")
        .containsPattern("\"validationPerplexity\" : [0-9.]+").contains("\"validationStep\" : 20");
  }

  @Test
  void preemptedRunResumesBitExactly() throws Exception {
    assertThat(run(job(20, ""), dir.resolve("straight"), Trainees.byFormat(FakeLanguageModel.backend()),
        new Preemption())).isZero();
    String straightDone = stdout.lines().reduce((a, b) -> b).orElseThrow();
    Map<Long, String[]> straight = steps(stdout);

    Path ck = dir.resolve("interrupted");
    Preemption preemption = new Preemption();
    TraineeFactory interrupting = ctx -> new PreemptAt(Trainees.byFormat(FakeLanguageModel.backend()).open(ctx), 7,
        preemption);
    assertThat(run(job(20, ""), ck, interrupting, preemption)).isEqualTo(TrainingRun.EXIT_PREEMPTED);
    Map<Long, String[]> seen = new TreeMap<>(steps(stdout));
    assertThat(seen.keySet()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(run(job(20, ""), ck, Trainees.byFormat(FakeLanguageModel.backend()), new Preemption())).isZero();
    assertThat(stdout).contains("event=resume checkpoint=step-000000000008");
    seen.putAll(steps(stdout));
    assertThat(stdout.lines().reduce((a, b) -> b).orElseThrow()).isEqualTo(straightDone);
    for (long s = 1; s <= 20; s++) {
      assertThat(seen.get(s)).as("step %d: lr and loss", s).containsExactly(straight.get(s));
    }
  }

  @Test
  void classificationReportsAccuracyAndMacroF1() throws Exception {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 18; i++) {
      data.append("{\"text\": \"").append(i % 3 == 0 ? "aaaa" : i % 3 == 1 ? "bbbb" : "cccc").append("\", \"label\": ")
          .append(i % 3).append("}\n");
    }
    Files.writeString(dir.resolve("cls.jsonl"), data);
    String yaml = job(30, "").replace("task: causalLM", "task: classification").replace("prompt: prompt", "text: text")
        .replace("completion: completion", "label: label").replace(dir.resolve("train.jsonl").toString(),
            dir.resolve("cls.jsonl").toString()).replace(dir.resolve("val.jsonl").toString(), dir.resolve("cls.jsonl").toString());
    assertThat(run(yaml, dir.resolve("cls"), Trainees.byFormat(FakeLanguageModel.backend()), new Preemption()))
        .as(stdout).isZero();
    Matcher eval = Pattern.compile("event=eval step=30 validationLoss=\\S+ validationAccuracy=(\\S+) validationMacroF1=(\\S+)")
        .matcher(stdout);
    assertThat(eval.find()).as(stdout).isTrue();
    assertThat(Double.parseDouble(eval.group(1))).isEqualTo(1.0);
    assertThat(Double.parseDouble(eval.group(2))).isEqualTo(1.0);
  }

  @Test
  void macroF1IsTheMeanOverClassesSeen() {
    // actual/predicted: class 0: tp 1, fn 1; class 1: tp 1, fp 1; class 2: fp 0, fn 0 but never seen -> absent
    Map<String, Double> m = HfTrainee.classificationMetrics(List.of(new long[] {0, 0}, new long[] {0, 1}, new long[] {1, 1}));
    assertThat(m.get("validationAccuracy")).isCloseTo(2.0 / 3, within(1e-12));
    // F1(0) = 2·1/(2·1 + 0 + 1) = 2/3, F1(1) = 2·1/(2·1 + 1 + 0) = 2/3
    assertThat(m.get("validationMacroF1")).isCloseTo(2.0 / 3, within(1e-12));
    Map<String, Double> skewed = HfTrainee.classificationMetrics(List.of(new long[] {0, 0}, new long[] {0, 0},
        new long[] {0, 0}, new long[] {1, 0}));
    // F1(0) = 6/7, F1(1) = 0
    assertThat(skewed.get("validationMacroF1")).isCloseTo(3.0 / 7, within(1e-12));
  }

  @Test
  void badSpecsNameTheFieldAndTheFix() throws Exception {
    String noText = job(5, "").replace("    prompt: prompt\n", "").replace("    completion: completion\n", "");
    assertThat(noText).doesNotContain("prompt:");
    assertThat(run(noText, dir.resolve("bad1"), Trainees.byFormat(FakeLanguageModel.backend()), new Preemption()))
        .isEqualTo(2);
    assertThat(Files.readString(term)).contains("reason=InvalidSpec").contains("spec.data")
        .contains("needs exactly one of spec.data.text");
    String loraOnMlp = """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: t}
        spec:
          model: {source: "builtin:mlp?hidden=4", lora: {rank: 4}}
          data: {train: x.csv, label: "y"}
          training: {maxSteps: 5}
          optimizer: {learningRate: 0.01}
        """;
    assertThat(run(loraOnMlp, dir.resolve("bad2"), Trainees.byFormat(FakeLanguageModel.backend()), new Preemption()))
        .isEqualTo(2);
    assertThat(Files.readString(term)).contains("spec.model.lora").contains("huggingface");
    String missingModel = job(5, "").replace("source: " + dir.resolve("model"), "source: " + dir.resolve("nope"));
    assertThat(run(missingModel, dir.resolve("bad3"), Trainees.byFormat(FakeLanguageModel.backend()), new Preemption()))
        .isEqualTo(2);
    assertThat(Files.readString(term)).contains("reason=MissingFile").contains("spec.model.source");
  }

  @Test
  void fileOrderBatchesWrapAroundTheFile() {
    BatchPlan plan = new BatchPlan(10, 4, 1, 0, false);
    assertThat(plan.rows(0).get(0)).containsExactly(0, 1, 2, 3);
    assertThat(plan.rows(2).get(0)).containsExactly(8, 9, 0, 1);
    assertThat(plan.rows(3).get(0)).containsExactly(2, 3, 4, 5);
    BatchPlan accumulated = new BatchPlan(10, 2, 2, 0, false);
    assertThat(accumulated.rows(1)).satisfiesExactly(r -> assertThat(r).containsExactly(4, 5),
        r -> assertThat(r).containsExactly(6, 7));
  }

  /** Delegates, and asks for preemption once step {@code at} (0-based) has been taken. */
  record PreemptAt(Trainee inner, long at, Preemption preemption) implements Trainee {
    @Override
    public BatchPlan plan() {
      return inner.plan();
    }

    @Override
    public StepResult step(long step, double lr) {
      StepResult r = inner.step(step, lr);
      if (step == at) {
        preemption.request("TEST");
      }
      return r;
    }

    @Override
    public boolean hasValidation() {
      return inner.hasValidation();
    }

    @Override
    public Map<String, Double> evaluate() {
      return inner.evaluate();
    }

    @Override
    public Map<String, float[]> parameters() {
      return inner.parameters();
    }

    @Override
    public OptimizerState optimizerState() {
      return inner.optimizerState();
    }

    @Override
    public String optimizerType() {
      return inner.optimizerType();
    }

    @Override
    public void load(Map<String, float[]> params, OptimizerState state) {
      inner.load(params, state);
    }

    @Override
    public String export(Path checkpointDir) throws IOException {
      return inner.export(checkpointDir);
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}
