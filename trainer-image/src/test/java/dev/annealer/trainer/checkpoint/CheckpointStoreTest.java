package dev.annealer.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.ParamsDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir
  Path dir;
  final List<String> warnings = new ArrayList<>();

  CheckpointStore store() {
    return new CheckpointStore(dir, warnings::add);
  }

  static Map<String, float[]> params(float v) {
    Map<String, float[]> p = new LinkedHashMap<>();
    p.put("0.weight", new float[] {v, v + 1, v + 2});
    p.put("0.bias", new float[] {-v});
    return p;
  }

  String write(long step, boolean snapshot) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    if (snapshot) {
      m.put("cycleSnapshot", true);
    }
    return store().write(step, m, params(step), Map.of("0.weight/exp_avg", new float[] {1, 2, 3})).name();
  }

  @Test
  void roundTripsParametersOptimizerStateAndDigest() throws Exception {
    String name = write(12, false);
    assertThat(name).isEqualTo("step-000000000012");
    CheckpointStore.Loaded c = store().latestValid().orElseThrow();
    assertThat(c.step()).isEqualTo(12);
    assertThat(c.params().get("0.weight")).containsExactly(12, 13, 14);
    assertThat(c.optimizerBuffers().get("0.weight/exp_avg")).containsExactly(1, 2, 3);
    assertThat(c.manifest().get("paramsSha256")).isEqualTo(ParamsDigest.sha256(params(12)));
    assertThat(dir.resolve(name).resolve("manifest.json")).exists();
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
    }
  }

  @Test
  void truncatedNewestIsSkippedWithWarningAndPreviousUsed() throws Exception {
    write(10, false);
    String newest = write(20, false);
    Path params = dir.resolve(newest).resolve(CheckpointStore.PARAMS);
    byte[] bytes = Files.readAllBytes(params);
    Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length - 5));
    CheckpointStore.Loaded c = store().latestValid().orElseThrow();
    assertThat(c.step()).isEqualTo(10);
    assertThat(warnings).singleElement().asString().contains(newest).contains("sha256");
  }

  @Test
  void flippedByteAndMissingManifestAreSkipped() throws Exception {
    write(10, false);
    String mid = write(20, false);
    String newest = write(30, false);
    Files.delete(dir.resolve(newest).resolve(CheckpointStore.MANIFEST)); // incomplete
    Path opt = dir.resolve(mid).resolve(CheckpointStore.OPTIMIZER);
    byte[] b = Files.readAllBytes(opt);
    b[b.length - 1] ^= 1;
    Files.write(opt, b, StandardOpenOption.TRUNCATE_EXISTING);
    assertThat(store().latestValid().orElseThrow().step()).isEqualTo(10);
    assertThat(warnings).hasSize(2);
  }

  @Test
  void leftoverTempDirectoryIsIgnoredAndCleaned() throws Exception {
    write(10, false);
    Files.createDirectories(dir.resolve(".tmp-step-000000000020"));
    Files.writeString(dir.resolve(".tmp-step-000000000020").resolve("params.bin"), "partial");
    assertThat(store().latestValid().orElseThrow().step()).isEqualTo(10);
    write(30, false);
    assertThat(dir.resolve(".tmp-step-000000000020")).doesNotExist();
  }

  @Test
  void retentionKeepsLastNAndCycleSnapshots() throws Exception {
    write(10, false);
    write(20, true);
    write(30, false);
    write(40, false);
    String newest = write(50, false);
    List<String> deleted = store().prune(2, true, newest);
    assertThat(deleted).containsExactlyInAnyOrder("step-000000000010", "step-000000000030");
    assertThat(store().checkpointsNewestFirst()).extracting(p -> p.getFileName().toString())
        .containsExactly("step-000000000050", "step-000000000040", "step-000000000020");
    assertThat(store().prune(1, false, newest)).containsExactlyInAnyOrder("step-000000000040", "step-000000000020");
  }

  @Test
  void rewritingTheSameStepReplacesItWithoutLeftovers() throws Exception {
    write(10, false);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", 10L);
    m.put("note", "second");
    store().write(10, m, params(11), Map.of());
    CheckpointStore.Loaded c = store().latestValid().orElseThrow();
    assertThat(c.manifest()).containsEntry("note", "second");
    assertThat(c.params().get("0.weight")).containsExactly(11, 12, 13);
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("step-000000000010");
    }
  }
}
