package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.tools.QuickstartData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker of a group (WORLD_SIZE > 1) checks the job and its environment before it joins: each failure is
 * InvalidSpec (exit 2) naming the field or variable, and nothing waits for a rendezvous that cannot work.
 */
class DataParallelChecksTest {
  @TempDir
  Path dir;

  int run(String batchSize, Map<String, String> workerEnv) throws Exception {
    Files.writeString(dir.resolve("train.csv"), QuickstartData.csv(64, 1));
    Path f = dir.resolve("job.yaml");
    Files.writeString(f, """
        apiVersion: annealer.dev/v1alpha1
        kind: FineTuneJob
        metadata: {name: t, namespace: ns, uid: u}
        spec:
          model: {source: "builtin:mlp?hidden=8"}
          data: {train: %s, label: "y"}
          training: {maxSteps: 5, batchSize: %s}
          optimizer: {learningRate: 0.01}
        """.formatted(dir.resolve("train.csv"), batchSize));
    Map<String, String> env = new HashMap<>(workerEnv);
    env.put("ANNEALER_TERMINATION_LOG", dir.resolve("term").toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    return new TrainingRun(new TrainingRun.Options(f, dir.resolve("ck"), "cpu", 1, null, env,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()), false),
        new Preemption()).run();
  }

  static Map<String, String> worker(String rank) {
    return Map.of("WORLD_SIZE", "2", "RANK", rank, "LOCAL_RANK", "0", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "1");
  }

  String termination() throws Exception {
    return Files.readString(dir.resolve("term"));
  }

  @Test
  void globalBatchMustDivideAmongTheWorkers() throws Exception {
    assertThat(run("15", worker("1"))).isEqualTo(2);
    assertThat(termination()).startsWith("failed: reason=InvalidSpec spec.training.batchSize must be a multiple of the "
        + "number of workers (2)").contains("(got 15)");
  }

  @Test
  void onlyTheHuggingFacePathTrainsDataParallel() throws Exception {
    assertThat(run("16", worker("0"))).isEqualTo(2);
    assertThat(termination()).startsWith("failed: reason=InvalidSpec spec.model.format ").contains("(got builtin)");
  }

  @Test
  void aBadRankNamesTheVariable() throws Exception {
    assertThat(run("16", worker("5"))).isEqualTo(2);
    assertThat(termination()).startsWith("failed: reason=InvalidSpec RANK=5 is not an integer in [0, 1]");
  }

  @Test
  void withoutWorldSizeTheJobTrainsAlone() throws Exception {
    assertThat(run("15", Map.of())).isZero();
    assertThat(termination()).startsWith("succeeded: step=5 ");
  }
}
