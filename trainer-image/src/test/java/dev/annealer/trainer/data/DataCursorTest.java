package dev.annealer.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCursorTest {
  @TempDir
  Path dir;

  static Map<String, Object> at(long seed, int batch, long rows, String sha) {
    return DataCursor.at(new BatchPlan((int) rows, batch, 1, seed, true), 30, seed, 1, true, rows, sha);
  }

  @Test
  void theSameSpecAndDataAtTheSameStepMatch() {
    assertThat(DataCursor.mismatch(at(3, 16, 200, "sha256:aa"), at(3, 16, 200, "sha256:aa"))).isEmpty();
  }

  @Test
  void aNewSeedBatchSizeOrDataFileIsNamed() {
    assertThat(DataCursor.mismatch(at(3, 16, 200, "sha256:aa"), at(4, 16, 200, "sha256:aa"))).get().asString()
        .isEqualTo("seed 3 -> 4");
    assertThat(DataCursor.mismatch(at(3, 16, 200, "sha256:aa"), at(3, 32, 200, "sha256:aa"))).get().asString()
        .contains("batchSize 16 -> 32").contains("stepsPerEpoch 13 -> 7");
    assertThat(DataCursor.mismatch(at(3, 16, 200, "sha256:aa"), at(3, 16, 200, "sha256:bb"))).get().asString()
        .isEqualTo("dataSha256 sha256:aa -> sha256:bb");
  }

  @Test
  void keysAnOlderCheckpointLacksAreNotCompared() {
    Map<String, Object> old = new LinkedHashMap<>(at(3, 16, 200, null));
    old.remove("seed");
    old.remove("rows");
    // numbers read back from JSON may come as Integer or Long
    old.put("epoch", 2);
    assertThat(DataCursor.mismatch(old, at(9, 16, 200, "sha256:aa"))).isEmpty();
    assertThat(DataCursor.mismatch(null, at(9, 16, 200, "sha256:aa"))).isEmpty();
  }

  @Test
  void theDigestIsOfTheBytes() throws Exception {
    Path f = dir.resolve("a.csv");
    Files.writeString(f, "abc");
    assertThat(DataCursor.sha256(f)).isEqualTo("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(DataCursor.sha256(dir)).isNull();
  }
}
