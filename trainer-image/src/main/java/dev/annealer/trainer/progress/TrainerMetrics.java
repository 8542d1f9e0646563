package dev.annealer.trainer.progress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicReference;

/** The {@code annealer_trainer_*} Prometheus metrics. */
public final class TrainerMetrics {
  public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicReference<ProgressReport> last = new AtomicReference<>();
  public final Counter steps;
  public final Counter checkpoints;
  public final Counter badRecords;
  public final Timer checkpointWrite;

  public TrainerMetrics() {
    gauge("annealer.trainer.step", "Optimizer steps completed", r -> r.step());
    gauge("annealer.trainer.epoch", "Epochs completed (fractional)", ProgressReport::epoch);
    gauge("annealer.trainer.cycle", "Current SGDR cycle (0-based)", r -> r.cycle());
    gauge("annealer.trainer.learning.rate", "Learning rate of the last step", ProgressReport::learningRate);
    gauge("annealer.trainer.loss", "Training loss of the last step", r -> r.loss() == null ? Double.NaN : r.loss());
    gauge("annealer.trainer.validation.loss", "Last validation loss",
        r -> r.validationLoss() == null ? Double.NaN : r.validationLoss());
    gauge("annealer.trainer.validation.perplexity", "Last validation perplexity (causalLM: exp of the validation loss)",
        r -> r.validationMetrics().getOrDefault("validationPerplexity", Double.NaN));
    gauge("annealer.trainer.validation.accuracy", "Last validation accuracy (classification)",
        r -> r.validationMetrics().getOrDefault("validationAccuracy", Double.NaN));
    gauge("annealer.trainer.validation.macro.f1", "Last validation macro-F1 (classification)",
        r -> r.validationMetrics().getOrDefault("validationMacroF1", Double.NaN));
    gauge("annealer.trainer.examples.per.second", "Training throughput", ProgressReport::examplesPerSecond);
    steps = Counter.builder("annealer.trainer.steps").description("Optimizer steps run by this process").register(registry);
    checkpoints = Counter.builder("annealer.trainer.checkpoints").description("Checkpoints written").register(registry);
    badRecords = Counter.builder("annealer.trainer.bad.records").description("Bad records skipped").register(registry);
    checkpointWrite = Timer.builder("annealer.trainer.checkpoint.write").description("Checkpoint write time").register(registry);
  }

  private void gauge(String name, String help, java.util.function.ToDoubleFunction<ProgressReport> f) {
    Gauge.builder(name, last, ref -> ref.get() == null ? Double.NaN : f.applyAsDouble(ref.get())).description(help)
        .register(registry);
  }

  public void update(ProgressReport report) {
    last.set(report);
  }
}
