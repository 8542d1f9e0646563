package dev.annealer.trainer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The trainer as a separate JVM ({@code java -cp <test classpath> TrainerMain train ...}), its stdout captured. */
final class TrainerProcess {
  private static final Pattern STEP = Pattern.compile("event=step step=(\\d+) .* lr=(\\S+) ");

  final Process process;
  final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  final AtomicLong lastStep = new AtomicLong(-1);
  private final CountDownLatch closed = new CountDownLatch(1);

  private TrainerProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
          Matcher m = STEP.matcher(line);
          if (m.find()) {
            lastStep.set(Long.parseLong(m.group(1)));
          }
        }
      } catch (IOException e) {
        // process killed: stream closed
      } finally {
        closed.countDown();
      }
    }, "trainer-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static TrainerProcess start(Path job, Path checkpoints, Path terminationLog, Path stderr, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
        "-cp", System.getProperty("java.class.path"), TrainerMain.class.getName(), "train", "-f", job.toString(),
        "--checkpoint-dir", checkpoints.toString(), "--no-progress-bar"));
    cmd.addAll(List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
    Map<String, String> env = pb.environment();
    env.put("ANNEALER_TERMINATION_LOG", terminationLog.toString());
    env.remove("ANNEALER_PROGRESS_TOKEN");
    return new TrainerProcess(pb.start());
  }

  /** Waits until the trainer logged step >= {@code step}; false if it exited first. */
  boolean awaitStep(long step, long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      if (lastStep.get() >= step) {
        return true;
      }
      if (!process.isAlive()) {
        return lastStep.get() >= step;
      }
      Thread.sleep(2);
    }
    return false;
  }

  int waitFor(long timeoutSeconds) throws InterruptedException {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("trainer did not exit within " + timeoutSeconds + " s; output tail: " + tail());
    }
    closed.await(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  /** (step, lr) pairs this process logged. */
  Map<Long, String> learningRates() {
    Map<Long, String> out = new java.util.TreeMap<>();
    synchronized (lines) {
      for (String l : lines) {
        Matcher m = STEP.matcher(l);
        if (m.find()) {
          out.put(Long.parseLong(m.group(1)), m.group(2));
        }
      }
    }
    return out;
  }

  String lastLine() {
    synchronized (lines) {
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
  }

  String tail() {
    synchronized (lines) {
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    }
  }
}
