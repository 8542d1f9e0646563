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
