package dev.annealer.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.annealer.trainer.Preemption;
import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.TrainingRun;
import dev.annealer.trainer.tools.QuickstartData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An unusable checkpoint directory fails at start with CheckpointDirNotWritable (exit 2), before any step. */
class CheckpointDirProbeTest {
  @TempDir
  Path dir;

  @Test
  void aWritableDirectoryPassesAndIsLeftClean() throws Exception {
    Path ck = dir.resolve("a/b/ck");
    CheckpointDirProbe.probe(ck);
    assertThat(ck).isDirectory();
    try (var s = Files.list(ck)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void aDirectoryThatRefusesFilesFailsNamingThePathAndTheStep() {
    // an existing directory in which nobody, not even root, may create a file: like a read-only mount
    Path readOnly = Path.of("/proc/self");
    assumeThat(readOnly).isDirectory();
    assertThatThrownBy(() -> CheckpointDirProbe.probe(readOnly))
        .isInstanceOfSatisfying(TrainerFailure.class, f -> {
          assertThat(f.reason()).isEqualTo(TrainerFailure.Reason.CheckpointDirNotWritable);
          assertThat(f.exitCode()).isEqualTo(2);
        })
        .hasMessageStartingWith("checkpoint directory /proc/self is not usable: cannot write a file in it (")
        .hasMessageContaining("mount it read-write");
  }

  @Test
  void theTrainerStopsAtStartWithExit2AnEventAndNoStackTrace() throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(200, 1));
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: t, namespace: ns, uid: u}
        spec:
          model: {source: "builtin:mlp?hidden=8"}
          data: {train: %s, label: "y"}
          training: {maxSteps: 300, batchSize: 16, seed: 3}
          optimizer: {learningRate: 0.01}
          checkpoint: {everySeconds: 600}
        """.formatted(dir.resolve("train.csv")));
    Path notADir = dir.resolve("ck");
    Files.writeString(notADir, "a file where the checkpoint directory should be");
    Path term = dir.resolve("termination-log");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new TrainingRun(new TrainingRun.Options(job, notADir, "cpu", 10, null,
        Map.of("ANNEALER_TERMINATION_LOG", term.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false), new Preemption()).run();
    String stdout = out.toString(StandardCharsets.UTF_8);
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(stdout + stderr).isEqualTo(2);
    assertThat(stdout).contains("event=failed reason=CheckpointDirNotWritable").doesNotContain("event=step");
    assertThat(stderr).contains("error: checkpoint directory " + notADir + " is not usable: cannot create the directory")
        .doesNotContain("\tat ", "Exception:");
    assertThat(Files.readString(term)).startsWith("failed: reason=CheckpointDirNotWritable checkpoint directory " + notADir);
  }
}
