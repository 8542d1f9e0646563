package dev.annealer.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annealer.trainer.ParamsDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12's checkpoint defects 1 (over 2 GiB), 3 (two writers on one directory) and 7 (full volume). */
class CheckpointDefectsTest {
  @TempDir
  Path dir;
  final List<String> warnings = new ArrayList<>();

  static Map<String, float[]> params(float v) {
    Map<String, float[]> p = new LinkedHashMap<>();
    p.put("0.weight", new float[] {v, v + 1, v + 2});
    p.put("0.bias", new float[] {-v});
    return p;
  }

  static Map<String, Object> manifest(long step) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    return m;
  }

  String write(CheckpointStore s, long step) throws IOException {
    return s.write(step, manifest(step), params(step), Map.of("0.weight/exp_avg", new float[] {1, 2, 3})).name();
  }

  // ---- defect 1: a checkpoint over 2 GiB is an ordinary checkpoint ----

  @Test
  void checkpointOver2GiBLoadsAndVerifies() throws Exception {
    Path ck = dir.resolve("step-000000000007");
    Files.createDirectories(ck);
    int n = 184_000_000; // three tensors of 736 MB = 2.2 GB, written sparse: only headers and 4 values take disk space
    Path params = ck.resolve(CheckpointStore.PARAMS);
    try (FileChannel ch = FileChannel.open(params, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      ch.write(head.putInt(0x544E4E41).putInt(1).putInt(3).flip(), 0);
      long pos = 12;
      for (String t : List.of("a", "b", "c")) {
        byte[] name = t.getBytes(StandardCharsets.UTF_8);
        ByteBuffer meta = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN);
        ch.write(meta.putInt(name.length).put(name).putInt(n).flip(), pos);
        pos += 8 + name.length + 4L * n;
      }
      ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      ch.write(tail.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(7f).flip(), pos - 16);
    }
    assertThat(Files.size(params)).isGreaterThan(Integer.MAX_VALUE);
    TensorFile.write(ck.resolve(CheckpointStore.OPTIMIZER), Map.of("a/exp_avg", new float[] {1}));
    Map<String, Object> m = manifest(7);
    Map<String, String> files = new LinkedHashMap<>();
    files.put(CheckpointStore.PARAMS, TensorFile.sha256(params));
    files.put(CheckpointStore.OPTIMIZER, TensorFile.sha256(ck.resolve(CheckpointStore.OPTIMIZER)));
    m.put("files", files);
    m.put("fileHash", CheckpointStore.FILE_HASH);
    try (TensorFile.Reader r = TensorFile.Reader.open(params)) {
      m.put("paramsSha256", ParamsDigest.sha256Bytes(Map.of("a", r.bytes("a"), "b", r.bytes("b"), "c", r.bytes("c"))));
    }
    Files.write(ck.resolve(CheckpointStore.MANIFEST), new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(m));

    CheckpointStore.Loaded c = new CheckpointStore(dir, warnings::add).latestValid().orElseThrow();

    assertThat(warnings).isEmpty();
    assertThat(c.step()).isEqualTo(7);
    assertThat(c.paramBytes().keySet()).containsExactly("a", "b", "c");
    ByteBuffer last = c.paramBytes().get("c");
    assertThat(last.remaining()).isEqualTo(4 * n);
    assertThat(last.getFloat(4 * n - 16)).isEqualTo(1.5f);
    assertThat(last.getFloat(4 * n - 4)).isEqualTo(7f);
    assertThat(c.paramBytes().get("a").getFloat(0)).isZero();
  }

  @Test
  void aReadErrorThatIsNotAHashMismatchIsRetriedAndNotCalledCorruption() throws Exception {
    CheckpointStore s = new CheckpointStore(dir, warnings::add);
    write(s, 10);
    String newest = write(s, 20);
    // an unreadable file (here: a directory where the file should be, EISDIR on read) is an I/O error, not a bad hash
    Path opt = dir.resolve(newest).resolve(CheckpointStore.OPTIMIZER);
    Files.delete(opt);
    Files.createDirectory(opt);

    assertThatThrownBy(s::latestValid).isInstanceOf(CheckpointReadException.class)
        .hasMessageContaining(newest).hasMessageContaining("not corruption");
    assertThat(warnings).hasSize(CheckpointStore.READ_TRIES - 1).allMatch(w -> w.contains("retrying"));
  }

  @Test
  void aHashMismatchIsCorruptionAndSkipped() throws Exception {
    CheckpointStore s = new CheckpointStore(dir, warnings::add);
    write(s, 10);
    String newest = write(s, 20);
    Path p = dir.resolve(newest).resolve(CheckpointStore.PARAMS);
    byte[] b = Files.readAllBytes(p);
    b[b.length - 1] ^= 1;
    Files.write(p, b);
    assertThat(s.latestValid().orElseThrow().step()).isEqualTo(10);
    assertThat(warnings).singleElement().asString().contains(newest).contains("sha256");
  }

  // ---- defect 3: fenced writers ----

  @Test
  void anOlderAttemptCanNeitherRenameNorPruneNorCleanUpOnceANewerOneHoldsTheDirectory() throws Exception {
    CheckpointStore first = new CheckpointStore(dir, warnings::add);
    first.acquire(1);
    write(first, 10);
    write(first, 20);

    CheckpointStore second = new CheckpointStore(dir, warnings::add);
    second.acquire(2);
    Path secondsTemp = dir.resolve(".tmp-inflight-step-000000000030");
    Files.createDirectories(secondsTemp);
    Files.writeString(secondsTemp.resolve("params.bin"), "being written by attempt 2");

    assertThatThrownBy(() -> write(first, 30)).isInstanceOf(CheckpointFencedException.class)
        .hasMessageContaining("attempt 2");
    assertThat(dir.resolve("step-000000000030")).doesNotExist();
    assertThat(secondsTemp.resolve("params.bin")).exists();
    assertThatThrownBy(() -> first.prune(1, false, "step-000000000020")).isInstanceOf(CheckpointFencedException.class);
    assertThat(dir.resolve("step-000000000010")).exists();
    assertThatThrownBy(() -> first.acquire(1)).isInstanceOf(CheckpointFencedException.class);

    write(second, 30);
    assertThat(second.prune(1, false, "step-000000000030")).containsExactly("step-000000000020", "step-000000000010");
  }

  @Test
  void aWriterFencedInTheMiddleOfAWriteRemovesOnlyItsOwnTempAndRenamesNothing() throws Exception {
    CheckpointStore first = new CheckpointStore(dir, warnings::add, new CheckpointStore.Disk() {
      @Override
      public long usableBytes(Path root) {
        return Long.MAX_VALUE;
      }

      @Override
      public FileChannel open(Path file) throws IOException {
        if (file.getFileName().toString().equals(CheckpointStore.MANIFEST)) {
          new CheckpointStore(dir, warnings::add).acquire(2); // attempt 2 takes over while attempt 1 writes
        }
        return CheckpointStore.Disk.REAL.open(file);
      }
    });
    first.acquire(1);
    assertThatThrownBy(() -> write(first, 10)).isInstanceOf(CheckpointFencedException.class);
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly(CheckpointStore.LEASE);
    }
  }

  // ---- defect 7: a full volume ----

  /** A volume of {@code capacity} bytes: usable = capacity - bytes of the files under the root; writes past it fail. */
  final class SmallVolume implements CheckpointStore.Disk {
    final long capacity;

    SmallVolume(long capacity) {
      this.capacity = capacity;
    }

    @Override
    public long usableBytes(Path root) throws IOException {
      try (var w = Files.walk(root)) {
        return capacity - w.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
    }

    @Override
    public FileChannel open(Path file) throws IOException {
      return new LimitedChannel(FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          usableBytes(dir));
    }
  }

  /** 4 MB of parameters: the store's small allowance for the manifest is noise beside it. */
  static Map<String, float[]> big(float v) {
    float[] w = new float[1_000_000];
    java.util.Arrays.fill(w, v);
    return Map.of("w", w);
  }

  long checkpointBytes() throws IOException {
    Path probe = dir.resolve("probe");
    long n = new CheckpointStore(probe, w -> {}).write(1, manifest(1), big(1), Map.of()).bytes();
    CheckpointStore.deleteTree(probe);
    return n;
  }

  @Test
  void aFullVolumeIsPrunedFirstWhenThatIsSafe() throws Exception {
    long one = checkpointBytes();
    // room for two checkpoints and the manifest allowance of a third, not for three
    CheckpointStore s = new CheckpointStore(dir, warnings::add, new SmallVolume(2 * one + 500_000));
    CheckpointStore.Retention keep2 = new CheckpointStore.Retention(2, false);
    s.write(5, manifest(5), CheckpointStore.sources(big(5)), CheckpointStore.sources(Map.of()), keep2);
    s.write(10, manifest(10), CheckpointStore.sources(big(10)), CheckpointStore.sources(Map.of()), keep2);

    CheckpointStore.Written w = s.write(15, manifest(15), CheckpointStore.sources(big(15)),
        CheckpointStore.sources(Map.of()), keep2);

    assertThat(w.name()).isEqualTo("step-000000000015");
    assertThat(s.checkpointsNewestFirst()).extracting(p -> p.getFileName().toString())
        .containsExactly("step-000000000015", "step-000000000010");
    assertThat(warnings).singleElement().asString().contains("pruned step-000000000005 before writing");
  }

  @Test
  void aFullVolumeWithKeepLast1KeepsTheOnlyCheckpointAndSaysHowManyBytesAreNeeded() throws Exception {
    long one = checkpointBytes();
    CheckpointStore s = new CheckpointStore(dir, warnings::add, new SmallVolume(one + 500_000));
    CheckpointStore.Retention keep1 = new CheckpointStore.Retention(1, false);
    s.write(5, manifest(5), CheckpointStore.sources(big(5)), CheckpointStore.sources(Map.of()), keep1);

    assertThatThrownBy(() -> s.write(10, manifest(10), CheckpointStore.sources(big(10)),
        CheckpointStore.sources(Map.of()), keep1))
        .isInstanceOfSatisfying(CheckpointVolumeFullException.class, e -> {
          assertThat(e.bytesNeeded()).isGreaterThan(4_000_000L);
          assertThat(e.getMessage()).contains("needs " + e.bytesNeeded()).contains("keepLast 1");
        });
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("step-000000000005");
    }
  }

  @Test
  void enospcInTheMiddleOfAWriteRemovesThePartialCheckpointAndReportsAFullVolume() throws Exception {
    CheckpointStore big = new CheckpointStore(dir, warnings::add);
    write(big, 5);
    Map<String, float[]> large = Map.of("w", new float[3_000_000]); // 12 MB: more than the volume takes
    CheckpointStore.Disk liar = new CheckpointStore.Disk() { // says there is room, then fails the write with ENOSPC
      @Override
      public long usableBytes(Path root) {
        return Long.MAX_VALUE;
      }

      @Override
      public FileChannel open(Path file) throws IOException {
        return new LimitedChannel(FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            1 << 20);
      }
    };
    CheckpointStore s = new CheckpointStore(dir, warnings::add, liar);

    assertThatThrownBy(() -> s.write(10, manifest(10), large, Map.of()))
        .isInstanceOfSatisfying(CheckpointVolumeFullException.class,
            e -> assertThat(e.bytesNeeded()).isGreaterThan(12_000_000L))
        .hasMessageContaining("partial checkpoint was removed");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("step-000000000005");
    }
    assertThat(big.latestValid().orElseThrow().step()).isEqualTo(5);
  }

  @Test
  void noSpaceIsRecognisedInTheCauseChain() {
    assertThat(CheckpointStore.isNoSpace(new IOException("x", new IOException("No space left on device")))).isTrue();
    assertThat(CheckpointStore.isNoSpace(new java.nio.file.FileSystemException("f", null, "Disk quota exceeded"))).isTrue();
    assertThat(CheckpointStore.isNoSpace(new IOException("Input/output error"))).isFalse();
  }
}
