package dev.annealer.trainer;

import dev.annealer.trainer.config.JobConfigReader;
import dev.annealer.trainer.dist.LocalLauncher;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train -f job.yaml --checkpoint-dir DIR [--device cpu|gpu]}: runs a FineTuneJob, the same code path in a pod
 * and on a laptop. Reusable as a subcommand by the {@code annealer} CLI. Exit codes: see {@link TrainingRun}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Run a FineTuneJob here, exactly as its pod does.",
        "Resumes from the newest valid checkpoint in --checkpoint-dir, trains to the budget, and checkpoints on the "
            + "spec's triggers and on SIGTERM (exit 75).",
        "On success the last stdout line is: done step=<n> paramsSha256=<hex>"},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:succeeded", "75:checkpointed after preemption (SIGTERM/SIGINT)",
        "2:invalid input (spec, data, schedule changed vs checkpoint, corrupt checkpoints, non-finite loss)", "1:crash"})
public class TrainCommand implements Callable<Integer> {

  @Option(names = {"-f", "--file"}, required = true, paramLabel = "JOB_YAML",
      description = "FineTuneJob manifest (the whole resource or a local file)")
  Path jobFile;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR",
      description = "Where checkpoints, progress.json and lrRangeTest output go; resumes from it "
          + "(default: annealer-checkpoints/<metadata.name> in the working directory)")
  Path checkpointDir;

  @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu",
      description = "gpu when available, else CPU with a log line saying so (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--log-every", defaultValue = "50", paramLabel = "N",
      description = "Write a structured event=step line every N steps (default: ${DEFAULT-VALUE})")
  int logEvery;

  @Option(names = "--progress-port", paramLabel = "PORT",
      description = "Serve /v1/progress and /metrics on this port (0 = any free port); default: $ANNEALER_PROGRESS_PORT "
          + "(8080) when $ANNEALER_PROGRESS_TOKEN is set, else off")
  Integer progressPort;

  @Option(names = "--no-progress-bar", description = "No progress bar even on a terminal")
  boolean noProgressBar;

  @Option(names = "--workers", paramLabel = "N",
      description = "Data-parallel worker processes on this machine, like torchrun --nproc-per-node N (CPU: Gloo); "
          + "spec.training.batchSize stays the global batch and must be a multiple of N (default: spec.workers, 1)")
  Integer workers;

  private final PrintStream out;
  private final PrintStream err;

  public TrainCommand() {
    this(System.out, System.err);
  }

  public TrainCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /**
   * libtorch's default (one spinning OpenMP thread per host core) oversubscribes shared nodes and small models: one
   * intra-op thread unless {@code ANNEALER_CPU_THREADS} or {@code -Dai.djl.pytorch.num_threads} says otherwise
   * (docs/benchmarks.md). Must run before the engine loads.
   */
  public static void cpuThreadDefaults(String envThreads) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", envThreads == null || envThreads.isBlank() ? "1" : envThreads.trim());
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  @Override
  public Integer call() {
    if (logEvery < 1) {
      err.println("error: --log-every must be >= 1 (got " + logEvery + ")");
      return 2;
    }
    if (workers == null) {
      workers = specWorkers();
    }
    if (workers < 1) {
      err.println("error: --workers must be >= 1 (got " + workers + ")");
      return 2;
    }
    cpuThreadDefaults(System.getenv("ANNEALER_CPU_THREADS"));
    Preemption preemption = Preemption.install();
    String worldSize = System.getenv("WORLD_SIZE");
    if (workers > 1 && worldSize != null && !worldSize.isBlank()) {
      if (!worldSize.trim().equals(String.valueOf(workers))) {
        err.println("error: --workers " + workers + " but WORLD_SIZE=" + worldSize + " (this process is already one worker "
            + "of a group): drop --workers when a launcher (torchrun, the operator) sets WORLD_SIZE");
        return 2;
      }
    } else if (workers > 1) {
      return launch(preemption);
    }
    boolean tty = System.console() != null && !noProgressBar;
    TrainingRun.Options options = new TrainingRun.Options(jobFile, checkpointDir, device, logEvery, progressPort,
        System.getenv(), out, err, tty);
    return new TrainingRun(options, preemption).run();
  }

  /** spec.workers of the job (1 when absent or when the file does not read: the run then reports that error). */
  private int specWorkers() {
    if (System.getenv("WORLD_SIZE") != null) {
      return 1; // already a worker: a launcher (torchrun, the operator, --workers) set the group up
    }
    try {
      return JobConfigReader.read(jobFile).resources().workers();
    } catch (RuntimeException e) {
      return 1;
    }
  }

  /** Starts the workers (see {@link LocalLauncher}) with what this command was given. */
  private int launch(Preemption preemption) {
    Path dir = checkpointDir;
    try {
      if (dir == null) {
        dir = Path.of("annealer-checkpoints", JobConfigReader.read(jobFile).job().name());
      }
      List<String> args = new ArrayList<>(List.of("-f", jobFile.toAbsolutePath().toString(), "--checkpoint-dir",
          dir.toAbsolutePath().toString(), "--device", device, "--log-every", String.valueOf(logEvery),
          "--no-progress-bar", "--workers", String.valueOf(workers)));
      List<String> rank0 = progressPort == null ? List.of() : List.of("--progress-port", String.valueOf(progressPort));
      return LocalLauncher.run(new LocalLauncher.Spec(workers, args, rank0, System.getenv(), out, err),
          preemption::requested, TrainerMain.class.getName());
    } catch (TrainerFailure f) {
      err.println("error: " + f.getMessage());
      return f.exitCode();
    } catch (IOException e) {
      err.println("error: cannot start the workers: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }
}
