package dev.annealer.operator.bench;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.FineTuneJobReconciler;
import dev.annealer.operator.Jobs;
import dev.annealer.operator.TestConfig;
import dev.annealer.operator.decide.Decider;
import dev.annealer.operator.decide.Decision;
import dev.annealer.operator.metrics.OperatorMetrics;
import dev.annealer.operator.observe.ContainerSnapshot;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.PodSnapshot;
import dev.annealer.operator.progress.ProgressReport;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Operator figures for docs/benchmarks.md (not a test; run by hand, see the doc for the command):
 * the cost of one pure decide() call, and the resume latency (preempted pod ended -> replacement pod created) of
 * the real reconciler on the in-process Fabric8 mock server for N jobs preempted at once.
 */
public final class OperatorBenchmark {

    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        decideCost();
        resumeLatency(jobs);
        System.exit(0);
    }

    static void decideCost() {
        FineTuneJob job = Jobs.sgdr();
        Observation obs = Observation.empty();
        Instant t0 = Instant.parse("2026-11-28T10:00:00Z");
        Decision d = Decider.decide(job, obs, t0);
        job.setStatus(d.status());
        PodSnapshot running = new PodSnapshot("ft-1", 1, "Running", null, null, "10.0.0.1", t0, null, t0, List.of(),
                Optional.of(ContainerSnapshot.running(t0)));
        obs = new Observation(Optional.of(running), Optional.of(dev.annealer.operator.act.DesiredResources.specVersion(job)),
                true, true, true, Optional.of(new ProgressReport(job.getMetadata().getUid(), 1, 4321L, 1.5, 1L, 1321L,
                        4000L, 2.1e-4, 0.25, 0.3, 1.0, 1.0, null, "Running", null)));
        job.setStatus(Decider.decide(job, obs, t0).status());
        long sink = 0;
        for (int i = 0; i < 50_000; i++) {
            sink += Decider.decide(job, obs, t0.plusMillis(i)).actions().size();
        }
        int n = 200_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sink += Decider.decide(job, obs, t0.plusMillis(i)).actions().size();
        }
        double us = (System.nanoTime() - start) / 1e3 / n;
        System.out.printf(Locale.ROOT, "decide(): %.1f us per call (running job with a progress report, %d calls, sink %d)%n",
                us, n, sink);
        start = System.nanoTime();
        for (int i = 0; i < n / 4; i++) {
            sink += dev.annealer.operator.decide.AdmissionCheck.check(job.getSpec()).message().length();
        }
        System.out.printf(Locale.ROOT, "  of which AdmissionCheck.check(): %.1f us%n", (System.nanoTime() - start) / 1e3 / (n / 4));
        start = System.nanoTime();
        for (int i = 0; i < n / 4; i++) {
            sink += dev.annealer.operator.act.DesiredResources.jobYaml(job).length();
        }
        System.out.printf(Locale.ROOT, "  of which DesiredResources.jobYaml(): %.1f us (sink %d)%n",
                (System.nanoTime() - start) / 1e3 / (n / 4), sink);
    }

    static void resumeLatency(int jobs) throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(),
                new io.fabric8.mockwebserver.MockWebServer(), new java.util.HashMap<>(),
                new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
                Files.readString(Path.of("../crds/finetunejobs.annealer.dev-v1.yml")), CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Operator op = new Operator(o -> o.withKubernetesClient(server.createClient()).withUseSSAToPatchPrimaryResource(false));
        op.register(new FineTuneJobReconciler(TestConfig.INSTANCE, new OperatorMetrics(registry)));
        op.start();
        for (int i = 0; i < jobs; i++) {
            FineTuneJob job = Jobs.sgdr();
            job.getMetadata().setName("b" + i);
            job.getMetadata().setUid(null);
            job.getMetadata().setGeneration(null);
            client.resource(job).inNamespace("team-a").create();
        }
        for (int i = 0; i < jobs; i++) {
            waitFor(client, "b" + i + "-1");
        }
        long[] nanos = new long[jobs];
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            Pod p = client.pods().inNamespace("team-a").withName("b" + i + "-1").get();
            p.setStatus(new PodStatusBuilder().withPhase("Failed")
                    .addToConditions(new PodConditionBuilder().withType("DisruptionTarget").withStatus("True")
                            .withReason("PreemptionByScheduler").build())
                    .addToContainerStatuses(new ContainerStatusBuilder().withName("trainer").withNewState().withNewTerminated()
                            .withExitCode(75).withFinishedAt(Instant.now().toString())
                            .withMessage("checkpointed after preemption: step=1 checkpoint=step-000000000001")
                            .endTerminated().endState().build()).build());
            starts.add(System.nanoTime());
            client.pods().inNamespace("team-a").resource(p).updateStatus();
        }
        // one list call per round, so every replacement is seen as soon as it exists (no sequential waiting bias)
        java.util.Set<String> seen = new java.util.HashSet<>();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (seen.size() < jobs && System.nanoTime() < deadline) {
            long now = System.nanoTime();
            for (Pod p : client.pods().inNamespace("team-a").withLabel("annealer.dev/attempt", "2").list().getItems()) {
                String job = p.getMetadata().getLabels().get("annealer.dev/job");
                if (seen.add(job)) {
                    int i = Integer.parseInt(job.substring(1));
                    nanos[i] = now - starts.get(i);
                }
            }
            Thread.sleep(5);
        }
        Thread.sleep(1000); // the reconciler records the histogram after its status write and events
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "resume latency, %d jobs preempted at once (mock server, observed by polling every 5 ms): "
                        + "p50 %.0f ms, p95 %.0f ms, max %.0f ms; operator histogram: count %d, mean %.0f ms%n", jobs,
                nanos[jobs / 2] / 1e6, nanos[(int) Math.min(jobs - 1, Math.ceil(jobs * 0.95) - 1)] / 1e6, nanos[jobs - 1] / 1e6,
                registry.get("annealer.resume.latency").timer().count(),
                registry.get("annealer.resume.latency").timer().mean(java.util.concurrent.TimeUnit.MILLISECONDS));
        op.stop();
        server.destroy();
    }

    private static void waitFor(KubernetesClient client, String pod) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (client.pods().inNamespace("team-a").withName(pod).get() == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("pod " + pod + " never appeared");
            }
            Thread.sleep(5);
        }
    }
}
