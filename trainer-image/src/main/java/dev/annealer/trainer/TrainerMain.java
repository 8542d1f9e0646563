package dev.annealer.trainer;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code annealer-trainer} executable (the image's entrypoint). */
@Command(name = "annealer-trainer", mixinStandardHelpOptions = true, version = "annealer-trainer 0.1.0",
    description = "Annealer's trainer: runs one FineTuneJob with exact, crash-safe resume.",
    subcommands = {TrainCommand.class, EngineInfoCommand.class})
public final class TrainerMain implements Runnable {

  public static void main(String[] args) {
    // keep DJL offline and out of the home directory unless the launcher already decided
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    // offline DJL and the CPU thread default for every subcommand (engine-info too), before libtorch loads
    TrainCommand.cpuThreadDefaults(System.getenv("ANNEALER_CPU_THREADS"));
    int code = new CommandLine(new TrainerMain()).setExitCodeExceptionMapper(e -> 2).execute(args);
    System.out.flush();
    System.exit(code);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }
}
