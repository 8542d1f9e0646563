package dev.annealer.trainer.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code train --workers N} on one machine, like {@code torchrun --nproc-per-node N}: starts N trainer processes with
 * torchrun's environment (MASTER_ADDR=127.0.0.1, a free MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK), passes rank 0's
 * stdout through (its step lines carry the global batch's loss; its last line is the {@code done} line) and the other
 * ranks' other lines to stderr with a {@code [rankR]} prefix, forwards SIGTERM/SIGINT to every worker, and when a worker
 * fails (an exit code other than 0 and 75) stops the others (SIGTERM, then SIGKILL after {@link #GRACE_SECONDS}) and
 * returns that worker's code. Otherwise returns rank 0's exit code.
 */
public final class LocalLauncher {
  static final int GRACE_SECONDS = 10;

  /**
   * @param trainArgs the {@code train} arguments every worker gets (job file, resolved checkpoint directory, ...)
   * @param rank0Args arguments only rank 0 gets (the progress port)
   */
  public record Spec(int workers, List<String> trainArgs, List<String> rank0Args, Map<String, String> env,
      PrintStream out, PrintStream err) {}

  private LocalLauncher() {}

  public static int run(Spec spec, BooleanSupplier preempted, String mainClass) throws IOException, InterruptedException {
    int port = freePort();
    List<Process> procs = new ArrayList<>();
    List<Thread> pumps = new ArrayList<>();
    spec.err().println("launcher: starting " + spec.workers() + " workers, rendezvous at 127.0.0.1:" + port);
    try {
      for (int rank = 0; rank < spec.workers(); rank++) {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.add(mainClass);
        cmd.add("train");
        cmd.addAll(spec.trainArgs());
        if (rank == 0) {
          cmd.addAll(spec.rank0Args());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(spec.env());
        env.put("MASTER_ADDR", "127.0.0.1");
        env.put("MASTER_PORT", String.valueOf(port));
        env.put("WORLD_SIZE", String.valueOf(spec.workers()));
        env.put("RANK", String.valueOf(rank));
        env.put("LOCAL_RANK", String.valueOf(rank));
        if (rank != 0) {
          // one termination message and one progress channel per job: rank 0's
          env.remove("ANNEALER_TERMINATION_LOG");
          env.remove("ANNEALER_PROGRESS_TOKEN");
        }
        Process p = pb.start();
        procs.add(p);
        pumps.add(pump(p, rank == 0 ? spec.out() : spec.err(), rank == 0 ? "" : "[rank" + rank + "] "));
      }
      boolean forwarded = false;
      while (true) {
        if (!forwarded && preempted.getAsBoolean()) {
          forwarded = true;
          procs.forEach(Process::destroy); // SIGTERM: every worker checkpoints at the same agreed step
        }
        Integer failed = null;
        boolean allDone = true;
        for (Process p : procs) {
          if (p.isAlive()) {
            allDone = false;
          } else if (p.exitValue() != 0 && p.exitValue() != 75 && failed == null) {
            failed = p.exitValue();
          }
        }
        if (failed != null && !allDone) {
          spec.err().println("launcher: a worker exited with code " + failed + "; stopping the others");
          stop(procs);
          allDone = true;
        }
        if (allDone) {
          for (Thread t : pumps) {
            t.join(TimeUnit.SECONDS.toMillis(5));
          }
          spec.out().flush();
          return failed != null ? failed : procs.get(0).exitValue();
        }
        Thread.sleep(50);
      }
    } finally {
      for (Process p : procs) {
        if (p.isAlive()) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static void stop(List<Process> procs) throws InterruptedException {
    procs.forEach(Process::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
    for (Process p : procs) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
        p.destroyForcibly();
      }
    }
    for (Process p : procs) {
      p.waitFor(GRACE_SECONDS, TimeUnit.SECONDS);
    }
  }

  private static Thread pump(Process p, PrintStream to, String prefix) {
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (!prefix.isEmpty() && (line.contains(" event=step ") || line.startsWith("done "))) {
            continue; // step lines and the done line come from rank 0 (the other ranks log the same global values)
          }
          synchronized (to) {
            to.println(prefix + line);
            to.flush();
          }
        }
      } catch (IOException e) {
        // the worker is gone: nothing more to copy
      }
    }, "worker-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** This JVM's java, options and class path: each worker runs the same code with the same settings. */
  static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-javaagent")) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    return cmd;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
