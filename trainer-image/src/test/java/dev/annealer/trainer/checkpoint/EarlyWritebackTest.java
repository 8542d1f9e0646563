package dev.annealer.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Early writeback of tensor files (issue 16, disk-speed writes): an {@code fdatasync} on another thread every
 * {@code writebackBytes}, then the final fsync; an I/O error of an early writeback fails the checkpoint like a
 * failed write (a full volume that reports ENOSPC only when flushing, as NFS or thin-provisioned volumes do).
 */
class EarlyWritebackTest {
  @TempDir
  Path dir;
  final List<String> warnings = new ArrayList<>();

  /** The real disk through a channel whose force goes through {@code hook}, writeback every {@code every} bytes. */
  static CheckpointStore.Disk disk(long every, LimitedChannel.ForceHook hook) {
    return new CheckpointStore.Disk() {
      @Override
      public long usableBytes(Path root) {
        return Long.MAX_VALUE;
      }

      @Override
      public FileChannel open(Path file) throws IOException {
        return new LimitedChannel(FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            Long.MAX_VALUE, hook);
      }

      @Override
      public long writebackBytes() {
        return every;
      }
    };
  }

  static Map<String, float[]> params() {
    float[] w = new float[3_000_000]; // 12 MB
    for (int i = 0; i < w.length; i++) {
      w[i] = i * 0.5f;
    }
    return Map.of("w", w);
  }

  @Test
  void writesBackWhileWritingThenFsyncsAndTheCheckpointVerifies() throws Exception {
    AtomicInteger early = new AtomicInteger();
    AtomicInteger full = new AtomicInteger();
    CheckpointStore s = new CheckpointStore(dir, warnings::add,
        disk(1 << 20, m -> (m ? full : early).incrementAndGet()));

    s.write(3, CheckpointDefectsTest.manifest(3), params(), Map.of("w/exp_avg", new float[] {1, 2}));

    // 12 MB in 8 MiB chunks with a writeback every 1 MiB: at least one early fdatasync of params.bin, and every
    // file (params.bin, optimizer.bin, manifest.json) still fsynced once at its end
    assertThat(early.get()).as("early writebacks (fdatasync)").isGreaterThanOrEqualTo(1);
    assertThat(full.get()).as("final fsyncs").isEqualTo(3);
    CheckpointStore.Loaded l = new CheckpointStore(dir, warnings::add).latestValid().orElseThrow();
    assertThat(l.step()).isEqualTo(3);
    assertThat(l.params().get("w")).isEqualTo(params().get("w"));
    assertThat(warnings).isEmpty();
  }

  @Test
  void noWritebackWhenDisabled() throws Exception {
    AtomicInteger early = new AtomicInteger();
    CheckpointStore s = new CheckpointStore(dir, warnings::add, disk(0, m -> {
      if (!m) {
        early.incrementAndGet();
      }
    }));
    s.write(3, CheckpointDefectsTest.manifest(3), params(), Map.of());
    assertThat(early.get()).isZero();
  }

  @Test
  void enospcFromAnEarlyWritebackIsAFullVolumeAndLeavesTheOldCheckpoint() throws Exception {
    CheckpointStore ok = new CheckpointStore(dir, warnings::add);
    ok.write(5, CheckpointDefectsTest.manifest(5), Map.of("w", new float[] {1, 2, 3}), Map.of());
    CheckpointStore s = new CheckpointStore(dir, warnings::add, disk(1 << 20, m -> {
      if (!m) {
        throw new IOException("No space left on device");
      }
    }));

    assertThatThrownBy(() -> s.write(10, CheckpointDefectsTest.manifest(10), params(), Map.of()))
        .isInstanceOf(CheckpointVolumeFullException.class)
        .hasMessageContaining("partial checkpoint was removed");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".writer-lease")))
          .containsExactly("step-000000000005");
    }
    assertThat(ok.latestValid().orElseThrow().step()).isEqualTo(5);
  }
}
