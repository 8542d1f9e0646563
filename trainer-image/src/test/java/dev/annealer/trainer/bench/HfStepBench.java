package dev.annealer.trainer.bench;

import ai.djl.Device;
import dev.annealer.trainer.StepRunner.StepResult;
import dev.annealer.trainer.TrainCommand;
import dev.annealer.trainer.config.JobConfig;
import dev.annealer.trainer.config.JobConfigReader;
import dev.annealer.trainer.trainee.Trainee;
import dev.annealer.trainer.trainee.TraineeFactory;
import dev.annealer.trainer.trainee.Trainees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Benchmark (not a test), the Annealer side of {@code benchmarks/hf/run.sh}: opens the Hugging Face job of a
 * FineTuneJob YAML the way {@code annealer train} does ({@link Trainees#standard()}: data, model, tokenizer, LoRA) and
 * times {@link Trainee#step} (tokenize, forward, loss, backward, clipping, the in-place optimizer update, zeroed
 * gradients) at a constant learning rate, in wall and process-CPU time (the JVM's own threads included). Prints one
 * JSON line like {@code bench_torch.py}'s.
 *
 * <p>Usage: {@code java -cp <test classpath> dev.annealer.trainer.bench.HfStepBench JOB.yaml WARMUP STEPS THREADS}
 */
public final class HfStepBench {
  public static void main(String[] args) throws Exception {
    Path job = Path.of(args[0]);
    int warmup = Integer.parseInt(args[1]);
    int steps = Integer.parseInt(args[2]);
    String threads = args[3];
    TrainCommand.cpuThreadDefaults(threads);
    JobConfig cfg = JobConfigReader.read(job);
    double lr = cfg.optimizer().learningRate();
    long tokensPerStep = (long) cfg.training().batchSize() * cfg.data().maxLength();
    List<Double> ms = new ArrayList<>();
    List<Double> cpuMs = new ArrayList<>();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    List<Double> losses = new ArrayList<>();
    long trainable;
    try (Trainee t = Trainees.standard().open(new TraineeFactory.Context(cfg, Device.cpu(), System.getenv(),
        line -> System.err.println(line), () -> { }))) {
      trainable = t.parameters().values().stream().mapToLong(a -> a.length).sum();
      for (int s = 0; s < warmup + steps; s++) {
        long t0 = System.nanoTime();
        long c0 = os.getProcessCpuTime();
        StepResult r = t.step(s, lr);
        double dt = (System.nanoTime() - t0) / 1e6;
        double dc = (os.getProcessCpuTime() - c0) / 1e6;
        losses.add(r.loss());
        if (s >= warmup) {
          ms.add(dt);
          cpuMs.add(dc);
        }
      }
    }
    String mode = cfg.model().lora() != null ? "lora" : "full";
    System.out.println("{\"side\": \"annealer\", \"mode\": \"" + mode + "\", \"threads\": " + threads
        + ", \"trainable\": " + trainable + ", \"stepMs\": " + list(ms) + ", \"cpuMs\": " + list(cpuMs) + ", \"tokens\": "
        + list(ms.stream().map(x -> (double) tokensPerStep).toList()) + ", \"losses\": " + list(losses)
        + ", \"peakRssMb\": " + peakRssMb() + "}");
  }

  private static String list(List<Double> xs) {
    return xs.stream().map(x -> Double.toString(x)).collect(Collectors.joining(", ", "[", "]"));
  }

  /** VmHWM of /proc/self/status in MB (Linux), -1 elsewhere. */
  private static long peakRssMb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  private HfStepBench() {}
}
