package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.tools.QuickstartData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance: the trainer runs as a separate process; it is SIGKILLed / SIGTERMed at random steps and resumed each
 * time. Every trial's final paramsSha256 and every learning rate it logged must equal the uninterrupted run's.
 * The job uses warmup, SGDR with a real multiplier, gradient accumulation, clipping, shuffling, evaluation and
 * restart-on-plateau, so the optimizer moments, the data order and the plateau state all have to survive.
 */
class KillResumeExactnessTest {
  static final long STEPS = 900;
  static final Pattern DONE = Pattern.compile("done step=(\\d+) paramsSha256=([0-9a-f]{64})");

  @TempDir
  static Path dir;
  static Path job;
  static String straightDigest;
  static Map<Long, String> straightLrs;

  @BeforeAll
  static void straightRun() throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(600, 7));
    Files.writeString(dir.resolve("val.csv"), QuickstartData.csv(200, 8));
    job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: exactness, namespace: test, uid: u-1}
        spec:
          model: {source: "builtin:mlp?hidden=32,16&activation=tanh", format: builtin}
          data:
            train: %s
            validation: %s
            features: [f0, f1, f2, f3, f4, f5, f6, f7]
            label: "y"
          training: {maxSteps: %d, batchSize: 32, gradientAccumulation: 2, evalEverySteps: 50, seed: 11}
          optimizer: {type: AdamW, learningRate: 0.005, weightDecay: 0.01, gradientClipNorm: 1.0}
          schedule:
            type: CosineWarmRestarts
            warmup: {steps: 30}
            minLearningRate: 1.0e-5
            period: {steps: 60}
            periodMultiplier: 2
            peakDecay: 0.9
            restartOnPlateau: {patience: 2, minDelta: 0.02}
          checkpoint: {everySteps: 37, keepLast: 2, keepCycleSnapshots: true}
        """.formatted(dir.resolve("train.csv"), dir.resolve("val.csv"), STEPS));
    Path ck = dir.resolve("straight");
    TrainerProcess p = TrainerProcess.start(job, ck, dir.resolve("straight.term"), dir.resolve("straight.err"), "--log-every", "1");
    assertThat(p.waitFor(180)).as("straight run exit code; stderr in %s", dir).isZero();
    Matcher m = DONE.matcher(p.lastLine());
    assertThat(m.matches()).as("last stdout line: %s", p.lastLine()).isTrue();
    assertThat(Long.parseLong(m.group(1))).isEqualTo(STEPS);
    straightDigest = m.group(2);
    straightLrs = p.learningRates();
    assertThat(straightLrs).hasSize((int) STEPS);
    // the plateau rule fired: geometric cycles (30 warmup, then 60, 120, 240, 480) reach only cycle 3 by step 900,
    // so a cycle >= 5 means early restarts happened and their state had to survive the interruptions
    assertThat(p.lines).anyMatch(l -> l.contains("event=step step=") && l.matches(".* cycle=([5-9]|\\d\\d) .*"));
    assertThat(Files.readString(dir.resolve("straight.term"))).startsWith("succeeded: step=" + STEPS + " checkpoint=step-")
        .contains("paramsSha256=" + straightDigest);
  }

  @Test
  void sigkillAtRandomStepsThenResumeIsExact() throws Exception {
    Random random = new Random(20261128);
    for (int trial = 0; trial < 3; trial++) {
      List<Long> kills = List.of(20L + random.nextInt(400), 450L + random.nextInt(380));
      runTrial("kill-" + trial, kills, false);
    }
  }

  @Test
  void sigtermAtRandomStepsCheckpointsExits75AndResumesExactly() throws Exception {
    Random random = new Random(75);
    for (int trial = 0; trial < 2; trial++) {
      List<Long> terms = List.of(10L + random.nextInt(400), 450L + random.nextInt(380));
      runTrial("term-" + trial, terms, true);
    }
  }

  private void runTrial(String name, List<Long> interruptAt, boolean sigterm) throws Exception {
    Path ck = dir.resolve(name);
    Map<Long, String> seen = new TreeMap<>();
    List<String> mismatches = new ArrayList<>();
    for (long at : interruptAt) {
      Path term = dir.resolve(name + "-" + at + ".term");
      TrainerProcess p = TrainerProcess.start(job, ck, term, dir.resolve(name + ".err"), "--log-every", "1");
      assertThat(p.awaitStep(at, 120)).as("%s: trainer reached step %d before exiting; tail:%n%s", name, at, p.tail()).isTrue();
      if (sigterm) {
        p.process.toHandle().destroy(); // via the handle: Process.destroy() would also close our end of stdout
        int code = p.waitFor(60);
        assertThat(code).as("%s: exit code after SIGTERM at ~%d; tail:%n%s", name, at, p.tail())
            .isEqualTo(TrainingRun.EXIT_PREEMPTED);
        String msg = Files.readString(term);
        assertThat(msg).matches("checkpointed after preemption: step=\\d+ checkpoint=step-\\d{12}");
        long step = Long.parseLong(msg.replaceAll(".*step=(\\d+) .*", "$1"));
        assertThat(step).isGreaterThanOrEqualTo(at);
        assertThat(ck.resolve(String.format("step-%012d", step)).resolve("manifest.json")).exists();
      } else {
        p.process.toHandle().destroyForcibly();
        assertThat(p.waitFor(60)).as("%s: SIGKILL exit code", name).isEqualTo(137);
      }
      collect(p, seen, mismatches, name);
    }
    TrainerProcess last = TrainerProcess.start(job, ck, dir.resolve(name + "-final.term"), dir.resolve(name + ".err"),
        "--log-every", "1");
    assertThat(last.waitFor(180)).as("%s: resumed run exit code; tail:%n%s", name, last.tail()).isZero();
    assertThat(last.lines).anyMatch(l -> l.contains("event=resume checkpoint=step-"));
    collect(last, seen, mismatches, name);
    assertThat(last.lastLine()).as("%s: final digest", name).isEqualTo("done step=" + STEPS + " paramsSha256=" + straightDigest);
    assertThat(mismatches).as("%s: learning rates that differ from the straight run", name).isEmpty();
    List<Long> missing = straightLrs.keySet().stream().filter(k -> !seen.containsKey(k)).toList();
    assertThat(missing).as("%s: steps whose LR no process logged", name).isEmpty();
  }

  private static void collect(TrainerProcess p, Map<Long, String> seen, List<String> mismatches, String name) {
    p.learningRates().forEach((step, lr) -> {
      if (!lr.equals(straightLrs.get(step))) {
        mismatches.add(name + " step " + step + ": lr " + lr + " != " + straightLrs.get(step));
      }
      seen.put(step, lr);
    });
  }
}
