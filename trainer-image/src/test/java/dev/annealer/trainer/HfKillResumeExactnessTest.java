package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

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
 * {@link KillResumeExactnessTest} for the Hugging Face path: a tiny Llama LoRA job (the llama-lora conformance model
 * and adapter) runs as its own process, is SIGKILLed / SIGTERMed at random steps and resumed; the final
 * {@code paramsSha256} (over the adapters) and the learning rate of every step must equal the uninterrupted run's.
 * The job shuffles, accumulates gradients, clips, evaluates and restarts cycles, so the adapters, the AdamW moments
 * and step counts, the data order and the schedule position all have to survive in the checkpoint.
 */
class HfKillResumeExactnessTest {
  static final long STEPS = 40;
  static final Pattern DONE = Pattern.compile("done step=(\\d+) paramsSha256=([0-9a-f]{64})");

  @TempDir
  static Path dir;
  static Path job;
  static String straightDigest;
  static Map<Long, String> straightLrs;

  @BeforeAll
  static void straightRun() throws Exception {
    Path c = HfConformanceCliTest.caseDir("llama-lora");
    job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: hf-exactness, namespace: test, uid: u-2}
        spec:
          model:
            source: %s
            format: huggingface
            lora: {rank: 4, alpha: 8, targetModules: [q_proj, v_proj], initFrom: %s}
          data:
            train: %s
            validation: %s
            format: jsonl
            task: causalLM
            prompt: prompt
            completion: completion
            maxLength: 48
          training: {maxSteps: %d, batchSize: 4, gradientAccumulation: 2, evalEverySteps: 10, seed: 3}
          optimizer: {type: AdamW, learningRate: 0.005, weightDecay: 0.01, gradientClipNorm: 1.0}
          schedule:
            type: CosineWarmRestarts
            warmup: {steps: 3, startFactor: 0.1}
            period: {steps: 6}
            periodMultiplier: 2
            minLearningRate: 1.0e-5
          checkpoint: {everySteps: 4, keepLast: 2}
        """.formatted(c.resolve("model"), c.resolve("adapter-init"), c.resolve("train.jsonl"), c.resolve("train.jsonl"),
        STEPS));
    TrainerProcess p = TrainerProcess.start(job, dir.resolve("straight"), dir.resolve("straight.term"),
        dir.resolve("straight.err"), "--log-every", "1");
    assertThat(p.waitFor(600)).as("straight run exit code; tail:%n%s", p.tail()).isZero();
    Matcher m = DONE.matcher(p.lastLine());
    assertThat(m.matches()).as("last stdout line: %s", p.lastLine()).isTrue();
    straightDigest = m.group(2);
    straightLrs = p.learningRates();
    assertThat(straightLrs).hasSize((int) STEPS);
    assertThat(p.lines).anyMatch(l -> l.contains("event=eval step=10 validationLoss=") && l.contains("validationPerplexity="));
  }

  @Test
  void sigkillAtRandomStepsThenResumeIsExact() throws Exception {
    Random random = new Random(8);
    runTrial("kill", List.of(2L + random.nextInt(15), 20L + random.nextInt(15)), false);
  }

  @Test
  void sigtermAtRandomStepsCheckpointsExits75AndResumesExactly() throws Exception {
    Random random = new Random(75);
    runTrial("term", List.of(2L + random.nextInt(15), 20L + random.nextInt(15)), true);
  }

  private void runTrial(String name, List<Long> interruptAt, boolean sigterm) throws Exception {
    Path ck = dir.resolve(name);
    Map<Long, String> seen = new TreeMap<>();
    List<String> mismatches = new ArrayList<>();
    for (long at : interruptAt) {
      TrainerProcess p = TrainerProcess.start(job, ck, dir.resolve(name + "-" + at + ".term"), dir.resolve(name + ".err"),
          "--log-every", "1");
      assertThat(p.awaitStep(at, 300)).as("%s: trainer reached step %d; tail:%n%s", name, at, p.tail()).isTrue();
      if (sigterm) {
        p.process.toHandle().destroy();
        assertThat(p.waitFor(120)).as("%s: exit code after SIGTERM; tail:%n%s", name, p.tail())
            .isEqualTo(TrainingRun.EXIT_PREEMPTED);
        assertThat(Files.readString(dir.resolve(name + "-" + at + ".term")))
            .matches("checkpointed after preemption: step=\\d+ checkpoint=step-\\d{12}");
      } else {
        p.process.toHandle().destroyForcibly();
        assertThat(p.waitFor(60)).isEqualTo(137);
      }
      collect(p, seen, mismatches, name);
    }
    TrainerProcess last = TrainerProcess.start(job, ck, dir.resolve(name + "-final.term"), dir.resolve(name + ".err"),
        "--log-every", "1");
    assertThat(last.waitFor(600)).as("%s: resumed run; tail:%n%s", name, last.tail()).isZero();
    assertThat(last.lines).anyMatch(l -> l.contains("event=resume checkpoint=step-"));
    collect(last, seen, mismatches, name);
    assertThat(last.lastLine()).isEqualTo("done step=" + STEPS + " paramsSha256=" + straightDigest);
    assertThat(mismatches).as("%s: learning rates that differ from the straight run", name).isEmpty();
    assertThat(straightLrs.keySet().stream().filter(k -> !seen.containsKey(k)).toList())
        .as("%s: steps whose LR no process logged", name).isEmpty();
    assertThat(ck.resolve("final/adapter_model.safetensors")).exists();
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
