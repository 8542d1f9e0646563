package dev.annealer.operator.metrics;

import dev.annealer.api.v1alpha1.Phase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Annealer's own metrics (Prometheus names on /q/metrics):
 * {@code annealer_jobs{phase}} (jobs this replica reconciles, by phase), {@code annealer_preemptions_total{cause}},
 * {@code annealer_failures_total{cause}}, and {@code annealer_resume_latency_seconds} (histogram: preempted pod
 * gone -> replacement pod created). JOSDK's reconcile metrics come from QOSDK's Micrometer support.
 */
@ApplicationScoped
public class OperatorMetrics {

    private final MeterRegistry registry;
    private final Map<String, Phase> phases = new ConcurrentHashMap<>();
    private final Timer resumeLatency;

    public OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Phase p : Phase.values()) {
            String label = label(p);
            Gauge.builder("annealer.jobs", phases, m -> m.values().stream().filter(v -> v == p).count())
                    .description("FineTuneJobs by phase, as last reconciled by this replica")
                    .tag("phase", label).register(registry);
        }
        this.resumeLatency = Timer.builder("annealer.resume.latency")
                .description("From a preempted trainer pod's end to its replacement's creation")
                .publishPercentileHistogram()
                .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30))
                .register(registry);
        Counter.builder("annealer.preemptions").description("Attempts ended by the platform (not failures)")
                .tag("cause", "none").register(registry);
        Counter.builder("annealer.failures").description("Attempts that failed").tag("cause", "none").register(registry);
    }

    /**
     * {@code annealer_progress_fetches_total}, {@code annealer_progress_fetches_failed_total} and
     * {@code annealer_progress_fetches_in_flight} of the trainer poller (the scale benchmark reads them).
     */
    public void progressPoller(dev.annealer.operator.progress.ProgressPoller poller) {
        io.micrometer.core.instrument.FunctionCounter.builder("annealer.progress.fetches", poller,
                dev.annealer.operator.progress.ProgressPoller::fetches)
                .description("Trainer progress fetches started").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("annealer.progress.fetches.failed", poller,
                dev.annealer.operator.progress.ProgressPoller::failedFetches)
                .description("Trainer progress fetches that brought no report").register(registry);
        Gauge.builder("annealer.progress.fetches.in.flight", poller, dev.annealer.operator.progress.ProgressPoller::inFlight)
                .description("Trainer progress fetches running or queued").register(registry);
    }

    public void phase(String jobKey, Phase phase) {
        if (phase == null) {
            phases.remove(jobKey);
        } else {
            phases.put(jobKey, phase);
        }
    }

    public void forget(String jobKey) {
        phases.remove(jobKey);
    }

    public void preempted(String cause) {
        registry.counter("annealer.preemptions", "cause", cause).increment();
    }

    public void failed(String cause) {
        registry.counter("annealer.failures", "cause", cause).increment();
    }

    public void resumed(Duration latency) {
        resumeLatency.record(latency.isNegative() ? Duration.ZERO : latency);
    }

    private static String label(Phase p) {
        String n = p.name().toLowerCase(Locale.ROOT);
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }
}
