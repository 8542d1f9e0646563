package dev.annealer.trainer.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs rendezvous through c10d's TCPStore (torchrun's environment: MASTER_ADDR=127.0.0.1, MASTER_PORT,
 * WORLD_SIZE=2, RANK, LOCAL_RANK) and run allreduce (sum, mean, min, max), broadcast and barrier through the JNI bridge
 * on DJL tensors; both ranks must see the same, correct results.
 */
class C10dProcessGroupTest {

  @TempDir
  Path tmp;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void twoProcessesAllreduceBroadcastAndMeetAtTheBarrier() throws Exception {
    int port = freePort();
    List<Process> ranks = new ArrayList<>();
    for (int rank = 0; rank < 2; rank++) {
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
          "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1", "-cp",
          System.getProperty("java.class.path"), CollectiveWorker.class.getName())
          .redirectOutput(tmp.resolve("rank" + rank + ".out").toFile())
          .redirectError(tmp.resolve("rank" + rank + ".err").toFile());
      pb.environment().put("MASTER_ADDR", "127.0.0.1");
      pb.environment().put("MASTER_PORT", String.valueOf(port));
      pb.environment().put("WORLD_SIZE", "2");
      pb.environment().put("RANK", String.valueOf(rank));
      pb.environment().put("LOCAL_RANK", String.valueOf(rank));
      ranks.add(pb.start());
    }
    for (int rank = 0; rank < 2; rank++) {
      Process p = ranks.get(rank);
      boolean exited = p.waitFor(180, TimeUnit.SECONDS);
      if (!exited) {
        ranks.forEach(Process::destroyForcibly);
      }
      assertThat(exited).as("rank %d exited", rank).isTrue();
      assertThat(p.exitValue()).as("rank %d exit code; stderr: %s", rank, read("rank" + rank + ".err")).isZero();
    }
    for (int rank = 0; rank < 2; rank++) {
      assertThat(Files.readAllLines(tmp.resolve("rank" + rank + ".out"), StandardCharsets.UTF_8)).containsSubsequence(
          "sum=[3.0, 6.0, 9.0][3.0, 3.0, 3.0, 3.0]",
          "avg=[1.5, 15.0]",
          "min=[0, 99] max=[1, 100]",
          "broadcast=[1.0, 1.5][7.0]",
          "barrier rank=" + rank + " world=2");
    }
  }

  private String read(String name) throws IOException {
    return Files.readString(tmp.resolve(name));
  }
}
