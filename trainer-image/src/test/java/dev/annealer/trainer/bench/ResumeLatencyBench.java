package dev.annealer.trainer.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark (not a test): wall time from starting the trainer process to its first resumed step line, on a checkpoint
 * directory that already holds a checkpoint. Runs the given job {@code rounds} times (each resume trains 1 more step
 * only if the budget allows; use a checkpoint dir of an unfinished run).
 *
 * <p>Usage: {@code java -cp <test classpath> dev.annealer.trainer.bench.ResumeLatencyBench <job.yaml> <checkpoint-dir> [rounds]}
 */
public final class ResumeLatencyBench {
  public static void main(String[] args) throws Exception {
    Path job = Path.of(args[0]);
    Path ck = Path.of(args[1]);
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    for (int r = 0; r < rounds; r++) {
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"),
          "dev.annealer.trainer.TrainerMain", "train", "-f", job.toString(), "--checkpoint-dir", ck.toString(),
          "--log-every", "1", "--no-progress-bar"));
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      double resumed = -1;
      double firstStep = -1;
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
        String line;
        while ((line = in.readLine()) != null) {
          double t = (System.nanoTime() - t0) / 1e9;
          if (resumed < 0 && line.contains("event=resume")) {
            resumed = t;
          }
          if (firstStep < 0 && line.contains("event=step ")) {
            firstStep = t;
            p.toHandle().destroy(); // SIGTERM: checkpoints this step, so the next round resumes again
          }
        }
      }
      p.waitFor();
      System.out.printf("round %d: checkpoint loaded after %.2f s, first resumed step after %.2f s (exit %d)%n", r, resumed,
          firstStep, p.exitValue());
    }
  }
}
