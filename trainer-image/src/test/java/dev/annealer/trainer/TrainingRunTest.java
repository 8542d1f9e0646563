package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.tools.QuickstartData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input ends with a clear message, the contract's exit code and termination message, and loses nothing. */
class TrainingRunTest {
  @TempDir
  Path dir;
  Path term;
  String stdout;
  String stderr;

  @BeforeEach
  void data() throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(200, 1));
    Files.writeString(dir.resolve("val.csv"), QuickstartData.csv(50, 2));
    term = dir.resolve("termination-log");
  }

  String job(String extraSpec, String schedule, String learningRate, long maxSteps) {
    return """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: t, namespace: ns, uid: u}
        spec:
          model: {source: "builtin:mlp?hidden=8&activation=tanh"}
          data: {train: %s, validation: %s, label: "y"}
          training: {maxSteps: %d, batchSize: 16, seed: 3}
          optimizer: {type: AdamW, learningRate: %s}
          schedule: %s
          checkpoint: {everySteps: 10, keepLast: 2}
        %s""".formatted(dir.resolve("train.csv"), dir.resolve("val.csv"), maxSteps, learningRate, schedule, extraSpec);
  }

  String device = "cpu";

  int run(String yaml) throws Exception {
    Path f = dir.resolve("job.yaml");
    Files.writeString(f, yaml);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new TrainingRun(new TrainingRun.Options(f, dir.resolve("ck"), device, 10, null,
        Map.of("ANNEALER_TERMINATION_LOG", term.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false), new Preemption()).run();
    stdout = out.toString(StandardCharsets.UTF_8);
    stderr = err.toString(StandardCharsets.UTF_8);
    return code;
  }

  static final String COSINE = "{type: Cosine, minLearningRate: 1.0e-5}";

  @Test
  void succeedsWithDoneLineAndTerminationMessage() throws Exception {
    assertThat(run(job("", COSINE, "0.01", 30))).isZero();
    List<String> lines = stdout.lines().toList();
    assertThat(lines.get(lines.size() - 1)).matches("done step=30 paramsSha256=[0-9a-f]{64}");
    String digest = lines.get(lines.size() - 1).substring("done step=30 paramsSha256=".length());
    assertThat(Files.readString(term)).isEqualTo("succeeded: step=30 checkpoint=step-000000000030 paramsSha256=" + digest
        + " loss=" + stdout.replaceAll("(?s).*event=done step=30 checkpoint=step-000000000030 loss=(\\S+).*", "$1"));
    assertThat(dir.resolve("ck/progress.json")).content().contains("\"phase\" : \"Done\"", "\"step\" : 30");
    // a second run finds the final checkpoint and has nothing left to do
    assertThat(run(job("", COSINE, "0.01", 30))).isZero();
    assertThat(stdout).contains("event=resume checkpoint=step-000000000030");
    assertThat(stdout.lines().reduce((a, b) -> b).orElseThrow()).isEqualTo("done step=30 paramsSha256=" + digest);
  }

  @Test
  void missingDataFileNotOnAVolumeFailsWithMissingLocalFile() throws Exception {
    // an absolute path (in the image or on the node): a retry finds the same nothing, so the operator does not retry
    String yaml = job("", COSINE, "0.01", 30).replace(dir.resolve("train.csv").toString(), dir.resolve("nope.csv").toString());
    assertThat(run(yaml)).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=MissingLocalFile spec.data.train file ")
        .contains("nope.csv does not exist", "it is not on a PVC").doesNotContain("ANNEALER_PVC_ROOT");
    assertThat(stderr).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void missingDataFileOnAVolumeFailsWithMissingFile() throws Exception {
    // pvc://: the user can put the file on the volume before the next attempt
    Path pvcRoot = dir.resolve("pvc");
    Files.createDirectories(pvcRoot.resolve("data"));
    Path f = dir.resolve("job.yaml");
    Files.writeString(f, job("", COSINE, "0.01", 30).replace(dir.resolve("train.csv").toString(), "pvc://data/nope.csv"));
    int code = new TrainingRun(new TrainingRun.Options(f, dir.resolve("ck"), device, 10, null,
        Map.of("ANNEALER_TERMINATION_LOG", term.toString(), "ANNEALER_PVC_ROOT", pvcRoot.toString()),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false), new Preemption()).run();
    assertThat(code).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=MissingFile spec.data.train file ")
        .contains("the volume of PVC CLAIM").doesNotContain("ANNEALER_PVC_ROOT");
  }

  @Test
  void malformedRowFailsWithBadRecordNamingFileLineAndField() throws Exception {
    Files.writeString(dir.resolve("train.csv"), Files.readString(dir.resolve("train.csv")) + "1,2,3,x,5,6,7,8,9\n");
    assertThat(run(job("", COSINE, "0.01", 30))).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=BadRecord ").contains("train.csv:202: field 'f3' value 'x'");
  }

  @Test
  void malformedRowIsSkippedAndCountedWhenAsked() throws Exception {
    Files.writeString(dir.resolve("train.csv"), Files.readString(dir.resolve("train.csv")) + "1,2,3,x,5,6,7,8,9\n");
    String yaml = job("", COSINE, "0.01", 20).replace("label: \"y\"}", "label: \"y\", onBadRecord: skip}");
    assertThat(run(yaml)).isZero();
    assertThat(stdout).contains("rows=200 features=8 skippedBadRecords=1");
  }

  @Test
  void nonFiniteLossFailsAndKeepsTheLastCheckpoint() throws Exception {
    assertThat(run(job("", "{type: Constant}", "1.0e30", 30))).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=NonFiniteLoss loss became ")
        .contains("lower spec.optimizer.learningRate");
  }

  @Test
  void invalidSpecNamesTheField() throws Exception {
    assertThat(run(job("", COSINE, "0.01", 30).replace("type: AdamW", "type: Adam"))).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=InvalidSpec ").contains("spec.optimizer.type")
        .contains("Adam");
  }

  @Test
  void corruptOnlyCheckpointIsRefusedNotOverwritten() throws Exception {
    assertThat(run(job("", COSINE, "0.01", 30))).isZero();
    try (var s = Files.list(dir.resolve("ck"))) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("step-")).toList()) {
        Files.writeString(p.resolve("params.bin"), "garbage");
      }
    }
    assertThat(run(job("", COSINE, "0.01", 40))).isEqualTo(2);
    assertThat(stdout).contains("event=warning").contains("is corrupt or incomplete, skipping it");
    assertThat(Files.readString(term)).startsWith("failed: reason=CorruptCheckpoint ");
  }

  @Test
  void changedScheduleIsRefusedUnlessTheSpecSaysContinue() throws Exception {
    assertThat(run(job("", COSINE, "0.01", 30))).isZero();
    String changed = job("", "{type: Cosine, minLearningRate: 1.0e-4}", "0.01", 60);
    assertThat(run(changed)).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=ScheduleChanged checkpoint step-000000000030 was written "
        + "under schedule sha256:").contains("onScheduleChange: Continue");
    assertThat(run(changed.replace("keepLast: 2}", "keepLast: 2, onScheduleChange: Continue}"))).isZero();
    assertThat(stdout).contains("schedule changed since step-000000000030").contains("done step=60");
  }

  /** Issue 12 (8): spec.training stays editable and data files can change; the cursor in the checkpoint notices. */
  @Test
  void aResumeThatWouldReadTheDataInAnotherOrderFollowsOnScheduleChange() throws Exception {
    assertThat(run(job("", COSINE, "0.01", 30))).isZero();
    String reseeded = job("", COSINE, "0.01", 30).replace("seed: 3", "seed: 4");
    assertThat(run(reseeded)).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=DataOrderChanged checkpoint step-000000000030 was "
        + "written reading the data in another order").contains("seed 3 -> 4").contains("onScheduleChange: Continue");
    assertThat(run(reseeded.replace("keepLast: 2}", "keepLast: 2, onScheduleChange: Continue}"))).isZero();
    assertThat(stdout).contains("data order changed since step-000000000030 (seed 3 -> 4)");
    // the spec as before, but two records of the file swapped places
    Path train = dir.resolve("train.csv");
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(train));
    java.util.Collections.swap(lines, 1, 2);
    Files.write(train, lines);
    assertThat(run(job("", COSINE, "0.01", 30))).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=DataOrderChanged").contains("dataSha256 sha256:");
  }

  @Test
  void lrRangeTestWritesCsvPlotAndSuggestion() throws Exception {
    String yaml = job("", COSINE, "0.01", 60).replace("training: {maxSteps: 60,",
        "training: {mode: lrRangeTest, lrRangeTest: {startLearningRate: 1.0e-5, endLearningRate: 1.0}, maxSteps: 60,");
    assertThat(run(yaml)).isZero();
    assertThat(stdout).containsPattern("suggested learningRate=[0-9.e-]+");
    assertThat(Files.readString(term)).startsWith("succeeded: step=").contains("checkpoint=none")
        .containsPattern("suggestedLearningRate=[0-9.E-]+");
    List<String> csv = Files.readAllLines(dir.resolve("ck/lr-range-test.csv"));
    assertThat(csv.get(0)).isEqualTo("step,learningRate,loss,smoothedLoss");
    assertThat(Double.parseDouble(csv.get(1).split(",")[1])).isEqualTo(1.0e-5);
    assertThat(dir.resolve("ck/lr-range-test.png")).isNotEmptyFile();
    // the suggestions are fastai's rules over the CSV just written, everywhere they are reported
    double[] lrs = csv.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[1])).toArray();
    double[] smooth = csv.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[3])).toArray();
    LrSuggestions want = LrSuggestions.of(lrs, smooth, 60);
    @SuppressWarnings("unchecked")
    Map<String, Object> json = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
        dir.resolve("ck/lr-range-test.json").toFile(), Map.class);
    assertThat(json.get("suggested")).isEqualTo(want.valley().learningRate());
    assertThat(json.get("window")).isEqualTo(Map.of("from", 6, "to", lrs.length - 5));
    for (String rule : List.of("valley", "steep", "minimum", "slide")) {
      LrSuggestions.Suggestion x = want.byRule(rule);
      if (x == null) { // slide on a window under 16 points
        assertThat(json.get(rule)).as(rule).isNull();
        assertThat(Files.readString(term)).contains(" " + rule + "=none");
        continue;
      }
      assertThat(json.get(rule)).as(rule).isEqualTo(Map.of("learningRate", x.learningRate(), "step", x.step()));
      assertThat(Files.readString(term)).contains(" " + rule + "=" + x.learningRate());
      assertThat(stdout).containsPattern("\\s" + rule + "\\s+[0-9.e-]+ \\(step " + x.step() + "\\)");
    }
    assertThat(Files.readString(term)).contains("suggestedLearningRate=" + want.valley().learningRate() + " ");
  }

  @Test
  void torchScriptSourceWithFrozenLayerAndHeadMultiplier() throws Exception {
    Path pt = dir.resolve("m.pt");
    try (var in = getClass().getResourceAsStream("/reference-mlp-traced.pt")) {
      Files.copy(in, pt);
    }
    // the reference module takes 4 inputs
    String yaml = job("", COSINE, "0.01", 20)
        .replace("model: {source: \"builtin:mlp?hidden=8&activation=tanh\"}",
            "model: {source: \"" + pt + "\", format: torchscript, trainable: ['2\\..*'], "
                + "learningRateMultipliers: {'2\\..*': 10.0}}")
        .replace("label: \"y\"}", "label: \"y\", features: [f0, f1, f2, f3]}");
    assertThat(run(yaml)).as(stdout + stderr).isZero();
    var c = new dev.annealer.trainer.checkpoint.CheckpointStore(dir.resolve("ck"), w -> { }).latestValid().orElseThrow();
    // frozen first layer: not rewritten in the checkpoint, referenced by the digest of the saved module's values
    // (so it is unchanged); head trained
    assertThat(c.params()).doesNotContainKeys("0.weight", "0.bias");
    Map<String, float[]> init = ReferenceFixture.initialParams();
    @SuppressWarnings("unchecked")
    Map<String, Object> frozen = (Map<String, Object>) c.manifest().get("frozen");
    assertThat(frozen).containsEntry("kind", "parameters").containsEntry("tensors", 2)
        .containsEntry("sha256", ParamsDigest.sha256(Map.of("0.weight", init.get("0.weight"), "0.bias", init.get("0.bias"))));
    assertThat(c.params().get("2.weight")).isNotEqualTo(init.get("2.weight"));
    assertThat(c.optimizerBuffers()).containsOnlyKeys("2.weight/exp_avg", "2.weight/exp_avg_sq", "2.bias/exp_avg",
        "2.bias/exp_avg_sq");
  }

  @Test
  void classificationTrainsWithCrossEntropy() throws Exception {
    StringBuilder sb = new StringBuilder("a,b,label\n");
    for (int i = 0; i < 120; i++) {
      double a = Math.sin(i * 0.7);
      double b = Math.cos(i * 1.3);
      sb.append(a).append(',').append(b).append(',').append(a + b > 0.5 ? 2 : a > b ? 1 : 0).append('\n');
    }
    Files.writeString(dir.resolve("train.csv"), sb);
    Files.writeString(dir.resolve("val.csv"), sb);
    String yaml = job("", COSINE, "0.05", 40).replace("label: \"y\"}", "label: label, task: classification}");
    assertThat(run(yaml)).as(stdout + stderr).isZero();
    assertThat(stdout).contains("event=eval step=40 validationLoss=");
  }

  @Test
  void exportedDjlParametersFineTuneFromWhereTheFirstJobEnded() throws Exception {
    assertThat(run(job("", COSINE, "0.01", 30))).isZero();
    Path exported = dir.resolve("ck/model/model-0000.params");
    assertThat(exported).isNotEmptyFile();
    assertThat(dir.resolve("ck/model/architecture")).content().isEqualTo("builtin:mlp?hidden=8&activation=tanh\n");
    var first = new dev.annealer.trainer.checkpoint.CheckpointStore(dir.resolve("ck"), w -> { }).latestValid().orElseThrow();

    Path second = dir.resolve("second.yaml");
    String yaml = job("", COSINE, "0.001", 10)
        .replace("model: {source: \"builtin:mlp?hidden=8&activation=tanh\"}",
            "model: {source: \"" + exported + "\", format: djl}");
    Files.writeString(second, yaml);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = new TrainingRun(new TrainingRun.Options(second, dir.resolve("ck2"), "cpu", 1, null,
        Map.of("ANNEALER_TERMINATION_LOG", term.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false), new Preemption()).run();
    assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isZero();
    // the second job trained from the export, and the export holds exactly the first job's final parameters
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("event=step step=1 ");
    dev.annealer.trainer.model.DjlModel loaded = dev.annealer.trainer.model.DjlModel.mlpFromSaved(exported, 8,
        new int[] {8}, 1, "tanh", ai.djl.Device.cpu());
    try (loaded) {
      for (String name : first.params().keySet()) {
        assertThat(loaded.read(name)).as(name).containsExactly(first.params().get(name));
      }
    }
  }

  @Test
  void djlSourceWithoutArchitectureFileIsAClearError() throws Exception {
    Path params = dir.resolve("lonely-0000.params");
    Files.writeString(params, "x");
    String yaml = job("", COSINE, "0.01", 10).replace("model: {source: \"builtin:mlp?hidden=8&activation=tanh\"}",
        "model: {source: \"" + params + "\", format: djl}");
    assertThat(run(yaml)).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=MissingFile spec.model.source ")
        .contains(dir.resolve("architecture").toString());
  }

  @Test
  void builtinCnnTrainsOnImageShapedFeatures() throws Exception {
    // 1x4x4 "images": a bright left or right half is class 0 or 1
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      sb.append('p').append(i).append(',');
    }
    sb.append("label\n");
    for (int r = 0; r < 96; r++) {
      int cls = r % 2;
      for (int i = 0; i < 16; i++) {
        boolean left = i % 4 < 2;
        sb.append((left == (cls == 0) ? 1.0 : 0.0) + 0.01 * ((r * 7 + i) % 5)).append(',');
      }
      sb.append(cls).append('\n');
    }
    Files.writeString(dir.resolve("train.csv"), sb);
    Files.writeString(dir.resolve("val.csv"), sb);
    String yaml = job("", COSINE, "0.01", 30)
        .replace("model: {source: \"builtin:mlp?hidden=8&activation=tanh\"}",
            "model: {source: \"builtin:cnn?image=1x4x4&channels=4&hidden=8\"}")
        .replace("label: \"y\"}", "label: label, task: classification}");
    assertThat(run(yaml)).as(stdout + stderr).isZero();
    var c = new dev.annealer.trainer.checkpoint.CheckpointStore(dir.resolve("ck"), w -> { }).latestValid().orElseThrow();
    // reshape(0) conv(1) relu(2) pool(3) flatten(4) linear(5) relu(6) linear(7)
    assertThat(c.params()).containsOnlyKeys("1.weight", "1.bias", "5.weight", "5.bias", "7.weight", "7.bias");
    assertThat(c.params().get("1.weight")).hasSize(4 * 1 * 3 * 3);
    double loss = Double.parseDouble(stdout.replaceAll("(?s).*event=done step=30 \\S+ loss=(\\S+).*", "$1"));
    assertThat(loss).isLessThan(Math.log(2));
    assertThat(dir.resolve("ck/model/architecture")).content().startsWith("builtin:cnn?image=1x4x4");
  }

  @Test
  void gpuWithoutAGpuIsNoGpuNotASilentFallbackAndAnUnknownDeviceIsInvalid() throws Exception {
    // issue 13: a GPU job never trains on CPU unless the spec says so (NoGpuTest covers the process and the fallback)
    device = "gpu";
    assertThat(run(job("", COSINE, "0.01", 10))).isEqualTo(1);
    assertThat(Files.readString(term)).startsWith("failed: reason=NoGPU requested 1 GPU(s) (spec.resources.gpus=0, "
        + "--device gpu) but PyTorch");
    assertThat(stdout).doesNotContain("event=step");
    device = "tpu";
    assertThat(run(job("", COSINE, "0.01", 10))).isEqualTo(2);
    assertThat(Files.readString(term)).startsWith("failed: reason=InvalidSpec --device must be cpu or gpu (got tpu)");
  }

  @Test
  void restartOnPlateauWithoutValidationDataIsInvalid() throws Exception {
    String yaml = job("", "{type: CosineWarmRestarts, period: {steps: 10}, restartOnPlateau: {patience: 2}}", "0.01", 30)
        .replace(", validation: " + dir.resolve("val.csv"), "");
    assertThat(run(yaml)).isEqualTo(2);
    // the CRD's own rule, as the API server would say it (the trainer checks it again after reading the data)
    assertThat(Files.readString(term)).startsWith("failed: reason=InvalidSpec ")
        .contains("spec.data.validation must be set when spec.schedule.restartOnPlateau is");
  }
}
