package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on PyTorch's Gloo collectives: a tiny Llama LoRA job (the llama-lora conformance model and
 * adapter; shuffled data, gradient accumulation, clipping, AdamW, SGDR) trained by one worker and by two
 * ({@code train --workers 2}: two processes, each reading half of every global batch) must log the same global-batch
 * loss at every step (1e-5 relative) and end with the same adapter weights (1e-5). Then a two-worker run SIGKILLed and
 * one SIGTERMed mid-run resume to the uninterrupted two-worker run's {@code paramsSha256}.
 */
class DataParallelExactnessTest {
  static final long STEPS = 16;
  static final Pattern STEP = Pattern.compile("event=step step=(\\d+) .* loss=(\\S+) ");
  static final Pattern DONE = Pattern.compile("done step=(\\d+) paramsSha256=([0-9a-f]{64})");

  @TempDir
  static Path dir;
  static Path job;
  static TrainerProcess one;
  static TrainerProcess two;
  static String twoDigest;

  @BeforeAll
  static void straightRuns() throws Exception {
    Path c = HfConformanceCliTest.caseDir("llama-lora");
    job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: dp-exactness, namespace: test, uid: u-dp}
        spec:
          model:
            source: %s
            format: huggingface
            lora: {rank: 4, alpha: 8, targetModules: [q_proj, v_proj], initFrom: %s}
          data:
            train: %s
            format: jsonl
            task: causalLM
            prompt: prompt
            completion: completion
            maxLength: 48
          training: {maxSteps: %d, batchSize: 4, gradientAccumulation: 2, seed: 5}
          optimizer: {type: AdamW, learningRate: 0.005, weightDecay: 0.01, gradientClipNorm: 1.0}
          schedule:
            type: CosineWarmRestarts
            warmup: {steps: 2, startFactor: 0.1}
            period: {steps: 5}
            periodMultiplier: 2
            minLearningRate: 1.0e-5
          checkpoint: {everySteps: 4, keepLast: 2}
        """.formatted(c.resolve("model"), c.resolve("adapter-init"), c.resolve("train.jsonl"), STEPS));
    one = TrainerProcess.start(job, dir.resolve("one"), dir.resolve("one.term"), dir.resolve("one.err"), "--log-every", "1");
    assertThat(one.waitFor(600)).as("1 worker exit code; tail:%n%s", one.tail()).isZero();
    two = TrainerProcess.start(job, dir.resolve("two"), dir.resolve("two.term"), dir.resolve("two.err"), "--log-every", "1",
        "--workers", "2");
    assertThat(two.waitFor(600)).as("2 workers exit code; tail:%n%s%nstderr:%n%s", two.tail(), err("two.err")).isZero();
    Matcher m = DONE.matcher(two.lastLine());
    assertThat(m.matches()).as("last stdout line: %s", two.lastLine()).isTrue();
    twoDigest = m.group(2);
  }

  static String err(String name) throws Exception {
    String s = Files.readString(dir.resolve(name));
    return s.substring(Math.max(0, s.length() - 3000));
  }

  static Map<Long, Double> losses(TrainerProcess p) {
    Map<Long, Double> out = new TreeMap<>();
    synchronized (p.lines) {
      for (String l : p.lines) {
        Matcher m = STEP.matcher(l);
        if (m.find()) {
          out.put(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)));
        }
      }
    }
    return out;
  }

  @Test
  void twoWorkersTrainLikeOne() throws Exception {
    assertThat(two.lines).anyMatch(l -> l.contains("event=workers rank=0 worldSize=2") && l.contains("backend=gloo"));
    Map<Long, Double> a = losses(one);
    Map<Long, Double> b = losses(two);
    assertThat(a).hasSize((int) STEPS);
    assertThat(b.keySet()).isEqualTo(a.keySet());
    List<String> off = new ArrayList<>();
    a.forEach((step, loss) -> {
      double rel = Math.abs(b.get(step) - loss) / Math.abs(loss);
      if (rel > 1e-5) {
        off.add("step " + step + ": " + loss + " vs " + b.get(step) + " (rel " + rel + ")");
      }
    });
    assertThat(off).as("losses of 1 vs 2 workers beyond 1e-5 relative").isEmpty();
    Map<String, float[]> wa = new CheckpointStore(dir.resolve("one"), w -> {}).latestValid().orElseThrow().params();
    Map<String, float[]> wb = new CheckpointStore(dir.resolve("two"), w -> {}).latestValid().orElseThrow().params();
    assertThat(wb.keySet()).isEqualTo(wa.keySet());
    double worst = 0;
    for (String name : wa.keySet()) {
      float[] x = wa.get(name);
      float[] y = wb.get(name);
      assertThat(y).hasSameSizeAs(x);
      for (int i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(x[i] - y[i]));
      }
    }
    assertThat(worst).as("largest weight difference, 1 vs 2 workers").isLessThanOrEqualTo(1e-5);
    // they did train: the adapters moved away from their initial values
    assertThat(a.get(1L)).isNotEqualTo(a.get(STEPS));
  }

  @Test
  void twoWorkersSigkilledMidRunResumeExactly() throws Exception {
    Path ck = dir.resolve("kill");
    TrainerProcess p = TrainerProcess.start(job, ck, dir.resolve("kill.term"), dir.resolve("kill.err"), "--log-every", "1",
        "--workers", "2");
    assertThat(p.awaitStep(6, 300)).as("reached step 6; tail:%n%s", p.tail()).isTrue();
    p.process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly); // both workers die at once
    assertThat(p.waitFor(120)).as("launcher exit code after its workers were killed").isNotZero();
    assertThat(Files.list(ck).anyMatch(f -> f.getFileName().toString().startsWith("step-"))).isTrue();
    TrainerProcess resumed = TrainerProcess.start(job, ck, dir.resolve("kill2.term"), dir.resolve("kill.err"),
        "--log-every", "1", "--workers", "2");
    assertThat(resumed.waitFor(600)).as("resumed run; tail:%n%s", resumed.tail()).isZero();
    assertThat(resumed.lines).anyMatch(l -> l.contains("event=resume checkpoint=step-"));
    assertThat(resumed.lastLine()).isEqualTo("done step=" + STEPS + " paramsSha256=" + twoDigest);
  }

  @Test
  void twoWorkersSigtermedCheckpointTogetherAndResumeExactly() throws Exception {
    Path ck = dir.resolve("term");
    TrainerProcess p = TrainerProcess.start(job, ck, dir.resolve("term.term"), dir.resolve("term.err"), "--log-every", "1",
        "--workers", "2");
    assertThat(p.awaitStep(7, 300)).as("reached step 7; tail:%n%s", p.tail()).isTrue();
    p.process.toHandle().destroy(); // SIGTERM to the launcher, which forwards it to both workers
    assertThat(p.waitFor(120)).as("exit code after SIGTERM; tail:%n%s", p.tail()).isEqualTo(TrainingRun.EXIT_PREEMPTED);
    assertThat(Files.readString(dir.resolve("term.term")))
        .matches("checkpointed after preemption: step=\\d+ checkpoint=step-\\d{12}");
    TrainerProcess resumed = TrainerProcess.start(job, ck, dir.resolve("term2.term"), dir.resolve("term.err"),
        "--log-every", "1", "--workers", "2");
    assertThat(resumed.waitFor(600)).as("resumed run; tail:%n%s", resumed.tail()).isZero();
    assertThat(resumed.lines).anyMatch(l -> l.contains("event=resume checkpoint=step-"));
    assertThat(resumed.lastLine()).isEqualTo("done step=" + STEPS + " paramsSha256=" + twoDigest);
  }
}
