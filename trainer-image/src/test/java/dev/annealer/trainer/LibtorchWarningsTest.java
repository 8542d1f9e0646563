package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.tools.QuickstartData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer run prints no libtorch deprecation warning (issue 15: every run printed "AutoNonVariableTypeMode is
 * deprecated", which libtorch emits the first time DJL's {@code NDArray.set(Buffer)} runs). Checked on a real trainer
 * process, its stdout and stderr, for a fresh start and for a resume (the two paths that write parameter values), on
 * the MLP and the Hugging Face (LoRA) path.
 */
class LibtorchWarningsTest {
  @TempDir
  Path dir;

  @Test
  void mlpRunAndResumePrintNoLibtorchWarning() throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(64, 1));
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: warnings, namespace: ns, uid: u}
        spec:
          model: {source: "builtin:mlp?hidden=8"}
          data: {train: %s, label: "y"}
          training: {maxSteps: %%d, batchSize: 16, seed: 1}
          optimizer: {type: AdamW, learningRate: 0.01}
          schedule: {type: Constant}
          checkpoint: {everySteps: 5}
        """.formatted(dir.resolve("train.csv")));
    Files.writeString(job, Files.readString(job).formatted(10));
    assertNoWarning(run(job, "first"), "a fresh run");
    // the same checkpoint directory and a larger budget: the second process resumes from step 10
    Files.writeString(job, Files.readString(job).replace("maxSteps: 10", "maxSteps: 15"));
    String resumed = run(job, "second");
    assertThat(resumed).contains("done step=15");
    assertNoWarning(resumed, "a resumed run");
  }

  @Test
  void huggingFaceLoraRunAndResumePrintNoLibtorchWarning() throws Exception {
    Path c = HfConformanceCliTest.caseDir("llama-lora");
    Path job = dir.resolve("job.yaml");
    String yaml = """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: hf-warnings, namespace: test, uid: u-2}
        spec:
          model:
            source: %s
            format: huggingface
            lora: {rank: 4, alpha: 8, targetModules: [q_proj, v_proj], initFrom: %s}
          data: {train: %s, format: jsonl, task: causalLM, prompt: prompt, completion: completion, maxLength: 48}
          training: {maxSteps: MAX, batchSize: 4, seed: 3}
          optimizer: {type: AdamW, learningRate: 0.005}
          schedule: {type: Constant}
          checkpoint: {everySteps: 2}
        """.formatted(c.resolve("model"), c.resolve("adapter-init"), c.resolve("train.jsonl"));
    Files.writeString(job, yaml.replace("MAX", "4"));
    assertNoWarning(run(job, "first"), "a fresh Hugging Face run");
    Files.writeString(job, yaml.replace("MAX", "6"));
    String resumed = run(job, "second");
    assertThat(resumed).contains("done step=6");
    assertNoWarning(resumed, "a resumed Hugging Face run");
  }

  private String run(Path job, String name) throws Exception {
    Path stderr = dir.resolve(name + ".err");
    TrainerProcess p = TrainerProcess.start(job, dir.resolve("ck"), dir.resolve(name + ".term"), stderr);
    assertThat(p.waitFor(300)).as("exit code; tail:%n%s", p.tail()).isZero();
    return String.join("\n", p.lines) + "\n" + Files.readString(stderr);
  }

  private static void assertNoWarning(String output, String what) {
    assertThat(output).as("output of %s", what).contains("event=step")
        .doesNotContain("AutoNonVariableTypeMode")
        .doesNotContainPattern("(?m)^\\[W\\d* ") // libtorch's warning prefix, e.g. "[W1130 23:55:00.000 ...]"
        .doesNotContain("is deprecated");
  }
}
