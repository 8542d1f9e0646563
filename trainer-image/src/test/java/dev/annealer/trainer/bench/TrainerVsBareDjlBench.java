package dev.annealer.trainer.bench;

import dev.annealer.trainer.Preemption;
import dev.annealer.trainer.TrainingRun;
import dev.annealer.trainer.data.BatchPlan;
import dev.annealer.trainer.data.DataReader;
import dev.annealer.trainer.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark (not a test): the whole trainer loop (TrainingRun: schedule, batch plan, step, logging, progress file,
 * metrics; checkpoints at the default interval) against a bare DJL loop (DJL Trainer + DJL AdamW) on the same MLP
 * 8→64→64→1, batch 32, quickstart data. Steps/s between the logged steps 200 and N, rounds alternate.
 *
 * <p>Usage: {@code java -cp <test classpath> dev.annealer.trainer.bench.TrainerVsBareDjlBench <quickstart-train.csv> [steps] [rounds]}
 */
public final class TrainerVsBareDjlBench {
  static final Pattern STEP = Pattern.compile("^(\\S+) event=step step=(\\d+) ");

  public static void main(String[] args) throws Exception {
    Path csv = Path.of(args.length > 0 ? args[0] : "examples/data/quickstart-train.csv").toAbsolutePath();
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Dataset data = new DataReader(List.of("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"), "y", false, l -> { })
        .read(csv, "csv", "bench");
    BatchPlan plan = new BatchPlan(data, 32, 1, 42, true);
    Path dir = Files.createTempDirectory("annealer-bench");
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: bench}
        spec:
          model: {source: "builtin:mlp?hidden=64,64&activation=tanh"}
          data: {train: %s, label: "y"}
          training: {maxSteps: %d, batchSize: 32, seed: 42}
          optimizer: {type: AdamW, learningRate: 1.0e-3}
          schedule: {type: CosineWarmRestarts, period: {steps: 500}, minLearningRate: 1.0e-5}
        """.formatted(csv, steps));
    for (int r = 0; r < rounds; r++) {
      double trainer = trainer(job, dir.resolve("ck-" + r), steps);
      double bare = StepThroughputBench.bareDjl(plan, steps);
      System.out.printf("round %d: trainer %.1f steps/s, bare DJL %.1f steps/s, ratio %.3f%n", r, trainer, bare, trainer / bare);
    }
  }

  static double trainer(Path job, Path ck, int steps) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    int code = new TrainingRun(new TrainingRun.Options(job, ck, "cpu", 200, null, Map.of(), ps, ps, false),
        new Preemption()).run();
    if (code != 0) {
      throw new IllegalStateException("trainer exit " + code + ": " + out);
    }
    Instant first = null;
    Instant last = null;
    long firstStep = 0;
    long lastStep = 0;
    for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
      Matcher m = STEP.matcher(line);
      if (m.find()) {
        if (first == null) {
          first = Instant.parse(m.group(1));
          firstStep = Long.parseLong(m.group(2));
        }
        last = Instant.parse(m.group(1));
        lastStep = Long.parseLong(m.group(2));
      }
    }
    return (lastStep - firstStep) / (Duration.between(first, last).toNanos() / 1e9);
  }
}
