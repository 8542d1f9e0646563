package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.tools.QuickstartData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPU job on a machine without a usable GPU (this one: CPU-only libtorch, no driver) fails at once with NoGPU, in a
 * real trainer process, naming what was requested and what was found; it trains on CPU only when the spec allows it.
 */
class NoGpuTest {
  @TempDir
  Path dir;

  Path job(String resources) throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(64, 1));
    Path f = dir.resolve("job.yaml");
    Files.writeString(f, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: gpu-job, namespace: ns, uid: u}
        spec:
          model: {source: "builtin:mlp?hidden=8"}
          data: {train: %s, label: "y"}
          training: {maxSteps: 5, batchSize: 16, seed: 1}
          optimizer: {type: AdamW, learningRate: 0.01}
          schedule: {type: Constant}
          resources: %s
        """.formatted(dir.resolve("train.csv"), resources));
    return f;
  }

  @Test
  void gpuJobWithoutGpuFailsFastWithNoGpu() throws Exception {
    Path term = dir.resolve("termination-log");
    TrainerProcess p = TrainerProcess.start(job("{gpus: 2}"), dir.resolve("ck"), term, dir.resolve("stderr"),
        "--device", "gpu");
    int code = p.waitFor(120);
    String message = Files.readString(term);
    assertThat(code).as(p.tail()).isEqualTo(1);
    assertThat(message).startsWith("failed: reason=NoGPU requested 2 GPU(s) (spec.resources.gpus=2, --device gpu) but "
        + "PyTorch 2.5.1 (cpu native library) sees 0 GPU(s)");
    assertThat(message).contains("CUDA_VISIBLE_DEVICES=", "NVIDIA_VISIBLE_DEVICES=", "driver: ",
        "spec.resources.allowCpuFallback: true");
    assertThat(String.join("\n", p.lines)).contains("event=gpu-environment", "event=failed reason=NoGPU")
        .doesNotContain("event=step");
    assertThat(Files.readString(dir.resolve("stderr"))).doesNotContain("\tat ");
    assertThat(dir.resolve("ck").resolve("step-000000000005")).doesNotExist();
  }

  @Test
  void fallbackToCpuOnlyWhenTheSpecAllowsIt() throws Exception {
    Path term = dir.resolve("termination-log");
    TrainerProcess p = TrainerProcess.start(job("{gpus: 1, allowCpuFallback: true}"), dir.resolve("ck"), term,
        dir.resolve("stderr"), "--device", "gpu");
    assertThat(p.waitFor(120)).as(p.tail()).isZero();
    String out = String.join("\n", p.lines);
    assertThat(out).contains("training on CPU because spec.resources.allowCpuFallback is true", "event=device device=cpu()");
    assertThat(Files.readString(term)).startsWith("succeeded: step=5");
  }
}
