package dev.annealer.benchmarks.scale;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator at scale (issue 12), on a real control plane with simulated nodes: etcd, kube-apiserver,
 * kube-scheduler and kube-controller-manager ({@link ControlPlane}), kwok ({@code hack/kwok.sh}) faking GPU nodes,
 * pod lifecycles and checkpoint volumes, and the real operator as a host process
 * ({@code operator/target/quarkus-app/quarkus-run.jar}, prod profile, leader election on, the chart's ClusterRole) —
 * the way the e2e module's E2eEnvironment starts it, without the Java node agent. Measured side by side in one run:
 * <ol>
 *   <li>N FineTuneJobs created in bursts; create call → the job's first pod seen by a watch, against plain pods
 *       created in the same bursts by the same client (create call → pod seen by the same watch);</li>
 *   <li>steady state: API requests of the operator per job per minute (its own APF FlowSchema's dispatched count on
 *       the API server's /metrics), all clients' requests by resource, the operator's CPU, heap, threads and trainer
 *       progress fetches (kwok pods have no trainer: every fetch fails);</li>
 *   <li>a preemption wave: a fraction of the pods evicted at once (Eviction API: DisruptionTarget) → replacement pod
 *       seen.</li>
 * </ol>
 * Not a test: run by {@code benchmarks/scale/run.sh} ({@code make bench-scale}); prints and writes a Markdown report.
 * Every number it prints is from this run; nothing is asserted.
 */
public final class ScaleBench {

    static final String NS = "bench";
    static final String OPERATOR_NS = "annealer-system";
    static final String FLOW_SCHEMA = "annealer-bench-operator";
    static final ResourceDefinitionContext FTJ = new ResourceDefinitionContext.Builder().withGroup("annealer.dev")
            .withVersion("v1alpha1").withPlural("finetunejobs").withKind("FineTuneJob").withNamespaced(true).build();

    // settings (environment)
    final int jobs = env("JOBS", 5000);
    final int burst = env("BURST", 500);
    final int burstPauseS = env("BURST_PAUSE_S", 5);
    final int rawEvery = env("RAW_EVERY", 10);
    final int podsPerNode = env("PODS_PER_NODE", 110);
    final int threads = env("CLIENT_THREADS", 16);
    final int settleS = env("SETTLE_S", 30);
    final int steadyS = env("STEADY_S", 120);
    final double waveFraction = Double.parseDouble(System.getenv().getOrDefault("WAVE_FRACTION", "0.1"));
    final int waitS = env("WAIT_S", 600);
    final int runningWaitS = env("RUNNING_WAIT_S", 60);
    final String operatorHeap = System.getenv().getOrDefault("OPERATOR_XMX", "768m");

    final Path root;
    final Path out;
    final Path state;
    final List<String> report = new ArrayList<>();
    final Map<String, Long> added = new ConcurrentHashMap<>();
    final Map<String, Long> running = new ConcurrentHashMap<>();
    final Map<String, Long> deleted = new ConcurrentHashMap<>();
    final long t0 = System.nanoTime();

    ControlPlane cp;
    Process kwok;
    Process operator;
    int operatorPort;
    SharedIndexInformer<Pod> informer;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ScaleBench(Path root, Path out) throws IOException {
        this.root = root;
        this.out = Files.createDirectories(out);
        this.state = Files.createTempDirectory("annealer-bench-scale-");
        Files.deleteIfExists(this.out.resolve("report.md"));
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path out = Path.of(args.length > 1 ? args[1] : root.resolve("target/bench-scale").toString());
        ScaleBench b = new ScaleBench(root, out);
        // why: Ctrl-C / SIGTERM must not leave kwok and the operator running (the control plane has its own hook)
        Thread hook = new Thread(b::close, "bench-scale-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int rc = 0;
        try {
            b.run();
        } catch (Exception | Error e) {
            e.printStackTrace();
            b.line("**run aborted**: " + e);
            rc = 1;
        } finally {
            b.close();
            Files.writeString(out.resolve("report.md"), String.join("\n", b.report) + "\n");
            b.line("");
            System.out.println("\n" + String.join("\n", b.report));
        }
        System.exit(rc);
    }

    void run() throws Exception {
        Path bin = Path.of(script("hack/k8s-binaries.sh"));
        Path kwokDir = Path.of(script("hack/kwok.sh"));
        Path jar = root.resolve("operator/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: mvn -pl operator -am package -DskipTests");
        }
        line("# Operator at scale: " + jobs + " FineTuneJobs, " + Instant.now());
        line("");
        line("machine: " + Runtime.getRuntime().availableProcessors() + " cores, load average at start "
                + loadAvg() + "; operator -Xmx" + operatorHeap + " -XX:+UseSerialGC; settings: burst " + burst
                + ", pause " + burstPauseS + " s, one plain pod per " + rawEvery + " jobs, " + threads
                + " client threads, " + podsPerNode + " pods per fake node, steady window " + steadyS + " s");

        long t = System.nanoTime();
        cp = new ControlPlane(bin, state.resolve("control-plane"), out.resolve("logs"), true, List.of()).start();
        KubernetesClient c = cp.adminClient();
        log("control plane up in %.1f s", secs(t));
        String operatorKubeconfig = installCrdAndRbac(c);
        applyYaml("apf.yaml", flowSchema());
        applyYaml("storageclass.yaml", """
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: kwok-volume}
                provisioner: kwok.x-k8s.io/volume
                reclaimPolicy: Delete
                volumeBindingMode: Immediate
                """);
        c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        waitFor("default ServiceAccount of " + NS, Duration.ofSeconds(120),
                () -> c.serviceAccounts().inNamespace(NS).withName("default").get() != null);

        int nodes = (jobs + podsPerNode - 1) / podsPerNode + 1;
        kwok = new ProcessBuilder(kwokDir.resolve("kwok").toString(), "--kubeconfig=" + cp.kubeconfig(),
                "--config=" + kwokDir.resolve("stages.yaml"), "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                // why: pod IPs on loopback (each node has its own 127.x.y.0/24): the operator's progress polls of
                // these fake pods must never leave the machine; nothing listens there, so they fail at once
                "--cidr=127.127.0.0/16", "--node-ip=127.0.0.1", "--node-lease-duration-seconds=40")
                .redirectErrorStream(true).redirectOutput(out.resolve("logs/kwok.log").toFile()).start();
        for (int i = 0; i < nodes; i++) {
            c.nodes().resource(node(i)).create();
        }
        waitFor(nodes + " fake nodes Ready", Duration.ofSeconds(120), () -> c.nodes().list().getItems().stream()
                .filter(n -> n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
                        .stream().anyMatch(x -> "Ready".equals(x.getType()) && "True".equals(x.getStatus()))).count() >= nodes);
        log("%d kwok nodes Ready (%d nvidia.com/gpu each)", nodes, podsPerNode);

        informer = c.pods().inNamespace(NS).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                added.putIfAbsent(p.getMetadata().getName(), System.nanoTime());
                onUpdate(null, p);
            }

            @Override
            public void onUpdate(Pod o, Pod p) {
                if (p.getStatus() != null && "Running".equals(p.getStatus().getPhase())) {
                    running.putIfAbsent(p.getMetadata().getName(), System.nanoTime());
                }
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                deleted.putIfAbsent(p.getMetadata().getName(), System.nanoTime());
            }
        });

        startOperator(operatorKubeconfig);
        Metrics before = scrape("start");
        operatorStart = before;
        line("");
        line("operator ready: heap used " + mb(before.heapUsed()) + " MB, RSS " + mb(before.rss) + " MB, "
                + before.threads + " threads");

        createBursts(c);
        Metrics afterCreate = scrape("after-create");
        steadyState(afterCreate);
        preemptionWave(c);
        scrape("end");
    }

    // --- phase 1: bursts --------------------------------------------------------------------------------------

    void createBursts(KubernetesClient c) throws Exception {
        Map<String, Long> jobStart = new ConcurrentHashMap<>();
        Map<String, Long> rawStart = new ConcurrentHashMap<>();
        List<Long> jobCall = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Long> rawCall = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        String jobYaml = Files.readString(root.resolve("benchmarks/scale/job.yaml"));
        long phaseStart = System.nanoTime();
        int raw = 0;
        for (int b = 0; b * burst < jobs; b++) {
            List<Future<?>> fs = new ArrayList<>();
            int from = b * burst;
            int to = Math.min(jobs, from + burst);
            for (int i = from; i < to; i++) {
                String name = "ftj-" + i;
                fs.add(pool.submit(() -> {
                    GenericKubernetesResource job = c.getKubernetesSerialization().unmarshal(
                            jobYaml.replace("NAME", name), GenericKubernetesResource.class);
                    long s = System.nanoTime();
                    jobStart.put(name, s);
                    try {
                        c.genericKubernetesResources(FTJ).inNamespace(NS).resource(job).create();
                        jobCall.add(System.nanoTime() - s);
                    } catch (RuntimeException e) {
                        jobStart.remove(name);
                        if (errors.incrementAndGet() < 5) {
                            log("job create failed: %s", e);
                        }
                    }
                }));
                if ((i - from) % rawEvery == rawEvery - 1) {
                    String rawName = "raw-" + raw++;
                    fs.add(pool.submit(() -> {
                        long s = System.nanoTime();
                        rawStart.put(rawName, s);
                        try {
                            c.pods().inNamespace(NS).resource(rawPod(rawName)).create();
                            rawCall.add(System.nanoTime() - s);
                        } catch (RuntimeException e) {
                            rawStart.remove(rawName);
                            if (errors.incrementAndGet() < 5) {
                                log("raw pod create failed: %s", e);
                            }
                        }
                    }));
                }
            }
            for (Future<?> f : fs) {
                f.get();
            }
            log("burst %d: %d jobs + plain pods submitted; first pods seen %d, running %d; load %s", b + 1, to,
                    added.keySet().stream().filter(n -> n.endsWith("-1")).count(), running.size(), loadAvg());
            if (to < jobs) {
                Thread.sleep(burstPauseS * 1000L);
            }
        }
        pool.shutdown();
        long lastCreate = System.nanoTime();
        boolean allSeen = waitFor("the first pod of every job", Duration.ofSeconds(waitS), () -> {
            long seen = jobStart.keySet().stream().filter(n -> added.containsKey(n + "-1")).count();
            return seen >= jobStart.size();
        }, () -> "seen " + jobStart.keySet().stream().filter(n -> added.containsKey(n + "-1")).count() + "/"
                + jobStart.size() + ", running " + running.keySet().stream().filter(n -> n.startsWith("ftj-")).count()
                + ", load " + loadAvg() + ", operator CPU s " + String.format(Locale.ROOT, "%.0f", cpuSeconds()));
        double allPodsAfter = secs(phaseStart);
        boolean allRunning = waitFor("every first pod Running (kwok)", Duration.ofSeconds(runningWaitS), () ->
                jobStart.keySet().stream().filter(n -> running.containsKey(n + "-1")).count() >= jobStart.size(), null);
        double tailAfterLast = (System.nanoTime() - lastCreate) / 1e9;

        double[] jobLat = jobStart.entrySet().stream().filter(e -> added.containsKey(e.getKey() + "-1"))
                .mapToDouble(e -> (added.get(e.getKey() + "-1") - e.getValue()) / 1e6).sorted().toArray();
        double[] rawLat = rawStart.entrySet().stream().filter(e -> added.containsKey(e.getKey()))
                .mapToDouble(e -> (added.get(e.getKey()) - e.getValue()) / 1e6).sorted().toArray();
        double[] runLat = jobStart.entrySet().stream().filter(e -> running.containsKey(e.getKey() + "-1"))
                .mapToDouble(e -> (running.get(e.getKey() + "-1") - e.getValue()) / 1e6).sorted().toArray();
        double[] jc = jobCall.stream().mapToDouble(x -> x / 1e6).sorted().toArray();
        double[] rc = rawCall.stream().mapToDouble(x -> x / 1e6).sorted().toArray();
        line("");
        line("## Create in bursts");
        line("");
        line("operator restarts during the bursts (it exits when it loses the leader lease): " + operatorRestarts.get());
        line(String.format(Locale.ROOT, "%d jobs created (%d errors) in bursts of %d; first pods of all jobs seen %.0f s"
                + " after the first create (%s); all Running %s; %.0f s after the last create call", jobStart.size(),
                errors.get(), burst, allPodsAfter, allSeen ? "all" : "NOT all", allRunning ? "yes" : "no", tailAfterLast));
        line("");
        line("| ms | n | p50 | p90 | p99 | max |");
        line("| --- | --- | --- | --- | --- | --- |");
        row("FineTuneJob create call → its pod seen by a watch", jobLat);
        row("plain pod create call → pod seen by the same watch (same client, same bursts)", rawLat);
        row("FineTuneJob create call → its pod Running (kwok)", runLat);
        row("FineTuneJob create call (round trip)", jc);
        row("plain pod create call (round trip)", rc);
        line(String.format(Locale.ROOT, "%nratio job→pod / plain pod: p50 %.1f×, p99 %.1f× (goal ≤ 2×)",
                pct(jobLat, 50) / pct(rawLat, 50), pct(jobLat, 99) / pct(rawLat, 99)));
        Metrics m = scrape("bursts-done");
        Metrics a = operatorStart;
        line("");
        line(String.format(Locale.ROOT, "operator API requests while creating: %.0f = %.1f per job; inside the API server "
                + "(its FlowSchema) each waited %.0f ms in the APF queue and executed %.0f ms on average",
                m.flowRequests - a.flowRequests, (m.flowRequests - a.flowRequests) / jobs,
                (m.flowWaitSum - a.flowWaitSum) / Math.max(1, m.flowWaitCount - a.flowWaitCount) * 1000,
                (m.flowExecSum - a.flowExecSum) / Math.max(1, m.flowExecCount - a.flowExecCount) * 1000));
        line("");
        line("all clients while creating, by resource/verb (apiserver_request_duration_seconds):");
        line("");
        line("| resource | verb | requests | per job | mean server latency ms |");
        line("| --- | --- | --- | --- | --- |");
        m.durCount.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - a.durCount.getOrDefault(e.getKey(), 0.0)))
                .filter(e -> e.getValue() > 0 && !e.getKey().endsWith("|WATCH"))
                .sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(14).forEach(e -> {
                    String[] rv = e.getKey().split("\\|", 2);
                    double sum = m.durSum.getOrDefault(e.getKey(), 0.0) - a.durSum.getOrDefault(e.getKey(), 0.0);
                    line(String.format(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.0f |", rv[0], rv[1], e.getValue(),
                            e.getValue() / jobs, sum / e.getValue() * 1000));
                });
        // the plain pods were only the yardstick: gone before the steady-state window
        // (best effort, in the background: an overloaded API server may time out a delete-collection)
        Thread cleanup = new Thread(() -> {
            try {
                c.pods().inNamespace(NS).withLabel("bench", "raw").delete();
            } catch (RuntimeException e) {
                log("deleting the plain pods failed (they stay Pending, unschedulable): %s", e);
            }
        }, "raw-pod-cleanup");
        cleanup.setDaemon(true);
        cleanup.start();
    }

    // --- phase 2: steady state --------------------------------------------------------------------------------

    void steadyState(Metrics afterCreate) throws Exception {
        log("settling %d s, then a %d s steady-state window", settleS, steadyS);
        Thread.sleep(settleS * 1000L);
        Metrics a = scrape("steady-begin");
        Thread.sleep(steadyS * 1000L);
        Metrics b = scrape("steady-end");
        double minutes = (b.at - a.at) / 60e9;
        double op = b.flowRequests - a.flowRequests;
        line("");
        long runningNow = added.keySet().stream().filter(n -> n.startsWith("ftj-") && running.containsKey(n)
                && !deleted.containsKey(n)).count();
        line("## Steady state (" + jobs + " jobs, " + runningNow + " of their pods Running, no trainer answers)");
        line("");
        line(String.format(Locale.ROOT, "window %.0f s; operator API requests (its FlowSchema): %.0f = **%.3f per job "
                + "per minute**", minutes * 60, op, op / jobs / minutes));
        line("");
        line("all clients by resource/verb in the window (apiserver_request_total; kwok node leases and heartbeats, the "
                + "scheduler and controller manager included):");
        line("");
        line("| resource | verb | requests | per job per min |");
        line("| --- | --- | --- | --- |");
        Map<String, Double> d = new java.util.TreeMap<>();
        b.requests.forEach((k, v) -> {
            double x = v - a.requests.getOrDefault(k, 0.0);
            if (x > 0) {
                d.put(k, x);
            }
        });
        d.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(15).forEach(e -> {
            String[] rv = e.getKey().split("\\|", 2);
            line(String.format(Locale.ROOT, "| %s | %s | %.0f | %.3f |", rv[0], rv[1], e.getValue(),
                    e.getValue() / jobs / minutes));
        });
        double cpu = (b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1e9);
        double fetches = b.metric("annealer_progress_fetches_total") - a.metric("annealer_progress_fetches_total");
        double failed = b.metric("annealer_progress_fetches_failed_total") - a.metric("annealer_progress_fetches_failed_total");
        line("");
        line("| operator | value |");
        line("| --- | --- |");
        line(String.format(Locale.ROOT, "| CPU in the window | %.0f%% of one core |", cpu * 100));
        line(String.format(Locale.ROOT, "| CPU during the bursts (start → all pods seen) | %.0f%% of one core |",
                (afterCreate.cpuSeconds - startCpu) / ((afterCreate.at - startAt) / 1e9) * 100));
        line(String.format(Locale.ROOT, "| heap used (after create / window end) | %.0f / %.0f MB (max %.0f MB) |",
                mb(afterCreate.heapUsed()), mb(b.heapUsed()), mb(b.metricPrefix("jvm_memory_max_bytes{area=\"heap\""))));
        line(String.format(Locale.ROOT, "| RSS | %.0f MB |", mb(b.rss)));
        line("| operator restarts so far (lost leader lease → exit → restarted) | " + operatorRestarts.get() + " |");
        line(String.format(Locale.ROOT, "| threads (start → window end) | %d → %d |", startThreads, b.threads));
        line(String.format(Locale.ROOT, "| trainer progress fetches | %.1f/s (%.0f failed of %.0f), in flight at end %.0f |",
                fetches / (minutes * 60), failed, fetches, b.metric("annealer_progress_fetches_in_flight")));
        double started = b.metric("jvm_threads_started_threads_total") - a.metric("jvm_threads_started_threads_total");
        line(String.format(Locale.ROOT, "| JVM threads started in the window (churn) | %.1f/s |", started / (minutes * 60)));
        line("| threads by name at window end | " + b.threadNames.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", ")) + " |");
    }

    // --- phase 3: preemption wave -----------------------------------------------------------------------------

    void preemptionWave(KubernetesClient c) throws Exception {
        int n = (int) Math.round(jobs * waveFraction);
        int step = Math.max(1, jobs / Math.max(1, n));
        Map<String, Long> evictedAt = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> fs = new ArrayList<>();
        AtomicInteger errors = new AtomicInteger();
        Metrics a = scrape("wave-begin");
        long start = System.nanoTime();
        for (int i = 0, k = 0; i < jobs && k < n; i += step, k++) {
            String job = "ftj-" + i;
            fs.add(pool.submit(() -> {
                long s = System.nanoTime();
                try {
                    if (c.pods().inNamespace(NS).withName(job + "-1").evict()) {
                        evictedAt.put(job, s);
                    } else {
                        errors.incrementAndGet();
                    }
                } catch (RuntimeException e) {
                    if (errors.incrementAndGet() < 5) {
                        log("evict failed: %s", e);
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        double submitted = secs(start);
        boolean all = waitFor("a replacement pod for every evicted one", Duration.ofSeconds(waitS),
                () -> evictedAt.keySet().stream().allMatch(j -> added.containsKey(j + "-2")),
                () -> "replaced " + evictedAt.keySet().stream().filter(j -> added.containsKey(j + "-2")).count() + "/"
                        + evictedAt.size() + ", load " + loadAvg());
        double allAfter = secs(start);
        double[] fromEvict = evictedAt.entrySet().stream().filter(e -> added.containsKey(e.getKey() + "-2"))
                .mapToDouble(e -> (added.get(e.getKey() + "-2") - e.getValue()) / 1e6).sorted().toArray();
        double[] fromGone = evictedAt.keySet().stream().filter(j -> added.containsKey(j + "-2") && deleted.containsKey(j + "-1"))
                .mapToDouble(j -> (added.get(j + "-2") - deleted.get(j + "-1")) / 1e6).sorted().toArray();
        Metrics b = scrape("wave-end");
        line("");
        line("## Preemption wave");
        line("");
        line(String.format(Locale.ROOT, "%d pods evicted (Eviction API → DisruptionTarget; kwok removes the pod) in %.1f s "
                + "(%d errors); every replacement seen: %s, %.0f s after the first eviction", evictedAt.size(), submitted,
                errors.get(), all ? "yes" : "NO", allAfter));
        line("");
        line("| ms | n | p50 | p90 | p99 | max |");
        line("| --- | --- | --- | --- | --- | --- |");
        row("eviction call → replacement pod seen by a watch", fromEvict);
        row("old pod gone (watch) → replacement pod seen", fromGone);
        double cnt = b.metric("annealer_resume_latency_seconds_count") - a.metric("annealer_resume_latency_seconds_count");
        double sum = b.metric("annealer_resume_latency_seconds_sum") - a.metric("annealer_resume_latency_seconds_sum");
        line(String.format(Locale.ROOT, "%noperator's own annealer_resume_latency_seconds over the wave: %.0f resumes, mean "
                + "%.0f ms; operator CPU during the wave %.0f%% of one core", cnt, cnt > 0 ? sum / cnt * 1000 : 0,
                (b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1e9) * 100));
    }

    // --- the operator -----------------------------------------------------------------------------------------

    volatile boolean closed;
    Metrics operatorStart;
    ProcessBuilder operatorBuilder;
    volatile double cpuBase;
    volatile double lastCpu;
    final AtomicInteger operatorRestarts = new AtomicInteger();

    /**
     * Restarts the operator when it exits (as its Deployment would: it exits on purpose when it loses the leader
     * lease) and keeps its CPU seconds across restarts.
     */
    void supervise() {
        while (!closed) {
            try {
                Thread.sleep(1000);
                Process p = operator;
                if (p.isAlive()) {
                    double c = procCpu(p);
                    if (!Double.isNaN(c)) {
                        lastCpu = c;
                    }
                } else if (!closed) {
                    cpuBase += lastCpu;
                    lastCpu = 0;
                    log("the operator exited with %d (see logs/operator.log): restarting it, as its Deployment would",
                            p.exitValue());
                    operatorRestarts.incrementAndGet();
                    operator = operatorBuilder.start();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log("operator supervisor: %s", e);
            }
        }
    }
    double startCpu;
    long startAt;
    int startThreads;

    void startOperator(String kubeconfig) throws Exception {
        Path jar = root.resolve("operator/target/quarkus-app/quarkus-run.jar");
        String java = ProcessHandle.current().info().command().orElse("java");
        operatorPort = freePort();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx" + operatorHeap, "-XX:+UseSerialGC", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(out.resolve("logs/operator.log").toFile());
        pb.environment().put("KUBECONFIG", kubeconfig);
        pb.environment().put("KUBERNETES_NAMESPACE", OPERATOR_NS);
        pb.environment().put("HOSTNAME", "bench-operator");
        pb.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(operatorPort));
        // why: a port nothing listens on, on the pods' loopback IPs: every progress poll is refused at once
        pb.environment().put("ANNEALER_TRAINER_PROGRESS_PORT", Integer.toString(freePort()));
        operatorBuilder = pb.redirectOutput(ProcessBuilder.Redirect.appendTo(out.resolve("logs/operator.log").toFile()));
        operator = pb.start();
        Thread supervisor = new Thread(this::supervise, "operator-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
        waitFor("operator ready (/q/health/ready)", Duration.ofSeconds(180), () -> {
            if (!operator.isAlive()) {
                throw new IllegalStateException("the operator exited " + operator.exitValue() + "; see logs/operator.log");
            }
            try {
                return get("/q/health/ready").statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        // why: it waits for the lease after /ready; its first reconcile shows it leads
        Thread.sleep(3000);
        startCpu = cpuSeconds();
        startAt = System.nanoTime();
        startThreads = procStatus("Threads");
    }

    String installCrdAndRbac(KubernetesClient c) throws IOException {
        check(cp.kubectl("apply", "--server-side", "-f", root.resolve("crds/finetunejobs.annealer.dev-v1.yml").toString()));
        check(cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/finetunejobs.annealer.dev"));
        c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OPERATOR_NS).endMetadata().build())
                .createOr(r -> r.update());
        c.serviceAccounts().inNamespace(OPERATOR_NS).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("annealer-operator").endMetadata().build()).createOr(r -> r.update());
        Path role = root.resolve("charts/annealer/files/generated/clusterrole.yaml");
        check(cp.kubectl("apply", "-f", role.toString()));
        try (InputStream in = Files.newInputStream(role)) {
            for (HasMetadata r : c.load(in).items()) {
                if (!"ClusterRole".equals(r.getKind())) {
                    continue;
                }
                c.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
                        .withName("bench-" + r.getMetadata().getName()).endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", r.getMetadata().getName())
                        .addNewSubject().withKind("ServiceAccount").withName("annealer-operator")
                        .withNamespace(OPERATOR_NS).endSubject().build()).createOr(x -> x.update());
            }
        }
        c.rbac().roles().inNamespace(OPERATOR_NS).resource(new RoleBuilder().withNewMetadata()
                .withName("annealer-progress-key").endMetadata()
                .addNewRule().withApiGroups("").withResources("secrets").withResourceNames("annealer-progress-key")
                .withVerbs("get").endRule()
                .addNewRule().withApiGroups("").withResources("secrets").withVerbs("create").endRule().build())
                .createOr(x -> x.update());
        c.rbac().roleBindings().inNamespace(OPERATOR_NS).resource(new RoleBindingBuilder().withNewMetadata()
                .withName("annealer-progress-key").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "annealer-progress-key")
                .addNewSubject().withKind("ServiceAccount").withName("annealer-operator").withNamespace(OPERATOR_NS)
                .endSubject().build()).createOr(x -> x.update());
        String token = c.serviceAccounts().inNamespace(OPERATOR_NS).withName("annealer-operator")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(24 * 3600L).endSpec().build())
                .getStatus().getToken();
        Path kc = state.resolve("operator.kubeconfig");
        Files.writeString(kc, Files.readString(cp.kubeconfig()).replaceAll("token: \\S+", "token: " + token));
        return kc.toString();
    }

    /** The operator's requests get a FlowSchema of their own, so the API server counts them apart from kwok's. */
    static String flowSchema() {
        return """
                apiVersion: flowcontrol.apiserver.k8s.io/v1
                kind: FlowSchema
                metadata: {name: %s}
                spec:
                  matchingPrecedence: 500
                  priorityLevelConfiguration: {name: workload-low}
                  distinguisherMethod: {type: ByUser}
                  rules:
                  - subjects:
                    - kind: ServiceAccount
                      serviceAccount: {namespace: %s, name: annealer-operator}
                    resourceRules:
                    - verbs: ["*"]
                      apiGroups: ["*"]
                      resources: ["*"]
                      clusterScope: true
                      namespaces: ["*"]
                    nonResourceRules:
                    - verbs: ["*"]
                      nonResourceURLs: ["*"]
                """.formatted(FLOW_SCHEMA, OPERATOR_NS);
    }

    Node node(int i) {
        String gpus = Integer.toString(podsPerNode);
        Map<String, Quantity> cap = new LinkedHashMap<>();
        cap.put("cpu", new Quantity("1000"));
        cap.put("memory", new Quantity("4Ti"));
        cap.put("pods", new Quantity(Integer.toString(podsPerNode + 10)));
        cap.put("nvidia.com/gpu", new Quantity(gpus));
        cap.put("ephemeral-storage", new Quantity("1Ti"));
        return new NodeBuilder().withNewMetadata().withName("kwok-node-" + i)
                .addToAnnotations("kwok.x-k8s.io/node", "fake").addToAnnotations("node.alpha.kubernetes.io/ttl", "0")
                .addToLabels("type", "kwok").addToLabels("kubernetes.io/hostname", "kwok-node-" + i).endMetadata()
                .withNewSpec().withPodCIDR("127." + (128 + i / 256) + "." + (i % 256) + ".0/24").endSpec()
                .withNewStatus().withCapacity(cap).withAllocatable(cap).endStatus().build();
    }

    static Pod rawPod(String name) {
        return new PodBuilder().withNewMetadata().withName(name).addToLabels("bench", "raw").endMetadata()
                .withNewSpec().addToNodeSelector("bench.annealer.dev/none", "none")
                .addNewContainer().withName("c").withImage("localhost/bench/raw:1").endContainer()
                .endSpec().build();
    }

    // --- measurements ---------------------------------------------------------------------------------------

    /** One snapshot: the API server's and the operator's /metrics plus the operator's /proc. */
    final class Metrics {
        long at = System.nanoTime();
        double cpuSeconds;
        long rss;
        int threads;
        double flowRequests;
        double flowExecSum;
        double flowExecCount;
        double flowWaitSum;
        double flowWaitCount;
        Map<String, Double> requests = new LinkedHashMap<>();
        Map<String, Double> durSum = new LinkedHashMap<>();
        Map<String, Double> durCount = new LinkedHashMap<>();
        Map<String, Integer> threadNames = new java.util.TreeMap<>();
        String operatorText = "";

        double metric(String name) {
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(operatorText);
            double sum = 0;
            while (m.find()) {
                sum += Double.parseDouble(m.group(2));
            }
            return sum;
        }

        double metricPrefix(String prefix) {
            double sum = 0;
            for (String l : operatorText.split("\n")) {
                if (l.startsWith(prefix)) {
                    sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        }

        double heapUsed() {
            return metricPrefix("jvm_memory_used_bytes{area=\"heap\"");
        }
    }

    static final Pattern REQ = Pattern.compile("^apiserver_request_total\\{(.*)\\} ([0-9.eE+-]+)$");
    static final Pattern GENERIC = Pattern.compile("^([a-z_]+)\\{(.*)\\} ([0-9.eE+-]+)$");
    static final Pattern DISPATCHED = Pattern.compile(
            "^apiserver_flowcontrol_dispatched_requests_total\\{(.*)\\} ([0-9.eE+-]+)$");

    Metrics scrape(String label) throws Exception {
        Metrics m = new Metrics();
        String api = cp.adminClient().raw("/metrics");
        Files.writeString(out.resolve("apiserver-metrics-" + label + ".txt"), api);
        for (String l : api.split("\n")) {
            Matcher r = REQ.matcher(l);
            if (r.matches()) {
                String labels = r.group(1);
                String key = label(labels, "resource") + (label(labels, "subresource").isEmpty() ? "" : "/"
                        + label(labels, "subresource")) + "|" + label(labels, "verb");
                m.requests.merge(key, Double.parseDouble(r.group(2)), Double::sum);
            }
            Matcher dsp = DISPATCHED.matcher(l);
            if (dsp.matches() && FLOW_SCHEMA.equals(label(dsp.group(1), "flow_schema"))) {
                m.flowRequests += Double.parseDouble(dsp.group(2));
            }
            Matcher g = GENERIC.matcher(l);
            if (g.matches()) {
                String name = g.group(1);
                String labels = g.group(2);
                double v = Double.parseDouble(g.group(3));
                boolean ours = FLOW_SCHEMA.equals(label(labels, "flow_schema"));
                switch (name) {
                    case "apiserver_flowcontrol_request_execution_seconds_sum" -> m.flowExecSum += ours
                            && "regular".equals(label(labels, "type")) ? v : 0;
                    case "apiserver_flowcontrol_request_execution_seconds_count" -> m.flowExecCount += ours
                            && "regular".equals(label(labels, "type")) ? v : 0;
                    case "apiserver_flowcontrol_request_wait_duration_seconds_sum" -> m.flowWaitSum += ours ? v : 0;
                    case "apiserver_flowcontrol_request_wait_duration_seconds_count" -> m.flowWaitCount += ours ? v : 0;
                    case "apiserver_request_duration_seconds_sum", "apiserver_request_duration_seconds_count" -> {
                        String key = label(labels, "resource") + (label(labels, "subresource").isEmpty() ? ""
                                : "/" + label(labels, "subresource")) + "|" + label(labels, "verb");
                        (name.endsWith("_sum") ? m.durSum : m.durCount).merge(key, v, Double::sum);
                    }
                    default -> { }
                }
            }
        }
        try {
            m.operatorText = get("/q/metrics").body();
            Files.writeString(out.resolve("operator-metrics-" + label + ".txt"), m.operatorText);
        } catch (IOException e) {
            log("operator /q/metrics unavailable: %s", e);
        }
        m.cpuSeconds = cpuSeconds();
        m.rss = procStatus("VmRSS") * 1024L;
        m.threads = procStatus("Threads");
        try (var tasks = Files.list(Path.of("/proc/" + operator.pid() + "/task"))) {
            tasks.forEach(t -> {
                try {
                    String n = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "N");
                    m.threadNames.merge(n, 1, Integer::sum);
                } catch (IOException e) {
                    // the thread ended
                }
            });
        } catch (IOException | RuntimeException e) {
            // gone
        }
        log("[%s] operator CPU %.1f s, heap %.0f MB, RSS %.0f MB, threads %d, operator requests %.0f; load %s", label,
                m.cpuSeconds, mb(m.heapUsed()), mb(m.rss), m.threads, m.flowRequests, loadAvg());
        return m;
    }

    static String label(String labels, String name) {
        Matcher m = Pattern.compile("(?:^|,)" + name + "=\"([^\"]*)\"").matcher(labels);
        return m.find() ? m.group(1) : "";
    }

    /** utime + stime of the operator process, in seconds (USER_HZ = 100 on Linux). */
    double cpuSeconds() {
        if (operator == null) {
            return 0;
        }
        double c = procCpu(operator);
        return cpuBase + (Double.isNaN(c) ? lastCpu : c);
    }

    static double procCpu(Process p) {
        try {
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    int procStatus(String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + operator.pid() + "/status"))) {
                if (l.startsWith(key + ":")) {
                    return Integer.parseInt(l.substring(key.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    HttpResponse<String> get(String path) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operatorPort + path))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    void row(String what, double[] ms) {
        if (ms.length == 0) {
            line("| " + what + " | 0 | | | | |");
            return;
        }
        line(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.0f |", what, ms.length, pct(ms, 50),
                pct(ms, 90), pct(ms, 99), ms[ms.length - 1]));
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    boolean waitFor(String what, Duration timeout, Supplier<Boolean> cond) {
        return waitFor(what, timeout, cond, null);
    }

    boolean waitFor(String what, Duration timeout, Supplier<Boolean> cond, Supplier<String> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextLog = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (Boolean.TRUE.equals(cond.get())) {
                    return true;
                }
            } catch (IllegalStateException e) {
                throw e;
            } catch (RuntimeException e) {
                // not yet
            }
            if (progress != null && System.nanoTime() > nextLog) {
                log("waiting for %s: %s", what, progress.get());
                nextLog = System.nanoTime() + 10_000_000_000L;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        log("gave up waiting for %s after %d s", what, timeout.toSeconds());
        return false;
    }

    void applyYaml(String name, String yaml) throws IOException {
        Path f = state.resolve(name);
        Files.writeString(f, yaml);
        check(cp.kubectl("apply", "-f", f.toString()));
    }

    String script(String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", root.resolve(path).toString(), "--check")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0 || text.isEmpty()) {
            throw new IllegalStateException(path + " has not built its tools yet: run bash " + path);
        }
        return text.lines().reduce((a, b) -> b).orElseThrow();
    }

    static void check(CommandResult r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.describe());
        }
    }

    static String loadAvg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return String.join(" ", Arrays.copyOf(f, 3));
        } catch (IOException e) {
            return "?";
        }
    }

    /** A report line, also appended to report.md at once (an interrupted run keeps what it measured). */
    void line(String s) {
        report.add(s);
        try {
            Files.writeString(out.resolve("report.md"), s + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the final write in main tries again
        }
    }

    void log(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[%6.1f s] " + fmt + "%n", prepend(secs(t0), args));
    }

    static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    static double secs(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static double mb(double bytes) {
        return bytes / (1024 * 1024);
    }

    static int env(String name, int def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : Integer.parseInt(v.trim());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (informer != null) {
            informer.close();
        }
        for (Process p : new Process[] {operator, kwok}) {
            if (p != null) {
                p.destroy();
                try {
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (cp != null) {
            cp.close();
        }
        try (var walk = Files.walk(state)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
