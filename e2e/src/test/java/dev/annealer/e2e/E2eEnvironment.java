package dev.annealer.e2e;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.devcluster.ImageMap;
import dev.annealer.devcluster.NodeAgent;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;


/**
 * Everything an end-to-end test runs against, started once per test JVM ({@link E2eExtension}):
 * <ul>
 *   <li>the devcluster in this JVM: real etcd, kube-apiserver, kube-scheduler, kube-controller-manager and the node
 *       agent with one node ({@code nvidia.com/gpu: 1}, cpu 4, memory 16Gi) whose trainer pods run the real
 *       trainer (this module's runtime classpath) in the repository root, like the image's WORKDIR;</li>
 *   <li>the CRD from {@code crds/}, installed with {@code kubectl apply --server-side};</li>
 *   <li>the operator as a real process ({@code java -jar operator/target/quarkus-app/quarkus-run.jar}, prod profile,
 *       leader election on) with a kubeconfig of ServiceAccount {@code annealer-system/annealer-operator}, bound only
 *       to the chart's generated ClusterRole.</li>
 * </ul>
 * Missing binaries or build outputs: skipped on a developer machine, a failure with {@code CI=true}.
 */
public final class E2eEnvironment implements AutoCloseable {

    public static final String HIGH_PRIORITY_CLASS = "e2e-high-priority";
    private static final String OPERATOR_NS = "annealer-system";

    private final Path root;
    private final Path out;
    private final Path state;
    private final Path binDir;
    private final List<String> trainerCommand;
    private final ControlPlane cp;
    private final NodeAgent agent;
    private final Map<String, Pod> lastSeen = new ConcurrentHashMap<>();
    private final SharedIndexInformer<Pod> informer;
    private Path operatorKubeconfig;
    private dev.annealer.devcluster.Kueue kueue;
    private Process operator;
    private int operatorStarts;
    private volatile boolean operatorStoppedOnPurpose;
    /** Trainer progress port for this environment's pods; not 8080, which another devcluster on this host may use. */
    private final int progressPort = freePortUnchecked();

    private E2eEnvironment(Path root, Path binDir, List<String> trainerCommand) throws IOException {
        this.root = root;
        this.binDir = binDir;
        this.trainerCommand = trainerCommand;
        this.out = Files.createDirectories(Path.of(System.getProperty("annealer.e2e.out",
                root.resolve("e2e/target/e2e").toString())));
        this.state = Files.createTempDirectory("annealer-e2e-");
        long t0 = System.nanoTime();
        this.cp = new ControlPlane(binDir, state.resolve("control-plane"), out.resolve("logs"), true, List.of()).start();
        this.agent = new NodeAgent(cp.adminClient(), new NodeAgent.Config(1, 1, "4", "16Gi", state,
                new ImageMap(trainerCommand, Map.of("DJL_CACHE_DIR", djlCache().toString())), root, "v1.37.2")).start();
        this.informer = cp.adminClient().pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                lastSeen.put(key(pod), pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                lastSeen.put(key(pod), pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknownFinalState) {
                // why: keep the last state seen before the deletion (exit code, termination message)
            }
        });
        System.err.printf("e2e: devcluster up in %.1f s (state %s, logs %s)%n", (System.nanoTime() - t0) / 1e9, state,
                out.resolve("logs"));
    }

    /** Starts the environment, or skips / fails (CI=true) when something it needs is missing. */
    static E2eEnvironment start() throws Exception {
        Path root = repoRoot();
        Path jar = root.resolve("operator/target/quarkus-app/quarkus-run.jar");
        Path classpath = Path.of(System.getProperty("annealer.e2e.classpath",
                root.resolve("e2e/target/runtime-classpath.txt").toString()));
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(jar)) {
            missing.add(jar + " (mvn -pl e2e -am package -DskipTests)");
        }
        if (!Files.isRegularFile(classpath)) {
            missing.add(classpath + " (mvn -pl e2e -am compile)");
        }
        Path bin = k8sBinaries(root, missing);
        if (!missing.isEmpty()) {
            String why = "end-to-end tests need: " + String.join("; ", missing);
            if (onCi()) {
                throw new IllegalStateException("CI=true and " + why);
            }
            System.err.println("SKIPPED e2e: " + why);
            Assumptions.abort(why + " (CI is unset, so these tests are skipped)");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> trainer = List.of(java, "-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true",
                // why: libtorch's default (one spinning thread per core) is ~8x slower on a shared 2-core machine
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", Files.readString(classpath).trim(), "dev.annealer.trainer.TrainerMain");
        E2eEnvironment env = new E2eEnvironment(root, bin, trainer);
        try {
            env.installCrdAndRbac();
            env.startOperator();
            env.client().scheduling().v1().priorityClasses().resource(new PriorityClassBuilder().withNewMetadata()
                    .withName(HIGH_PRIORITY_CLASS).endMetadata().withValue(1_000_000)
                    .withDescription("e2e: a pod that preempts trainers").build()).createOr(r -> r.update());
        } catch (Exception | Error e) {
            env.close();
            throw e;
        }
        return env;
    }

    // --- set-up ------------------------------------------------------------------------------------------------

    private void installCrdAndRbac() throws IOException {
        CommandResult crd = kubectl("apply", "--server-side", "-f", root.resolve("crds/finetunejobs.annealer.dev-v1.yml").toString());
        check(crd);
        check(kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/finetunejobs.annealer.dev"));
        KubernetesClient c = client();
        c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OPERATOR_NS).endMetadata().build())
                .createOr(r -> r.update());
        c.serviceAccounts().inNamespace(OPERATOR_NS).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("annealer-operator").endMetadata().build()).createOr(r -> r.update());
        Path role = root.resolve("charts/annealer/files/generated/clusterrole.yaml");
        check(kubectl("apply", "-f", role.toString()));
        for (HasMetadata r : c.load(Files.newInputStream(role)).items()) {
            if (!"ClusterRole".equals(r.getKind())) {
                continue;
            }
            c.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
                    .withName("e2e-" + r.getMetadata().getName()).endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", r.getMetadata().getName())
                    .addNewSubject().withKind("ServiceAccount").withName("annealer-operator")
                    .withNamespace(OPERATOR_NS).endSubject().build()).createOr(x -> x.update());
        }
        // the chart's Role <release>-progress-key: its progress key Secret, the only Secret the operator reads
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
        operatorKubeconfig = state.resolve("operator.kubeconfig");
        Files.writeString(operatorKubeconfig, Files.readString(cp.kubeconfig()).replaceAll("token: \\S+", "token: " + token));
    }

    /** Starts the operator process (again); its output is appended to {@code operator.log}. */
    public synchronized void startOperator() throws IOException {
        Files.writeString(operatorLog(), "=== operator start " + (++operatorStarts) + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        operator = operatorProcess(operatorHostname(), operatorLog()).start();
        operatorStoppedOnPurpose = false;
    }

    /**
     * The pod name ({@code HOSTNAME}) the current operator process runs under, as in a Deployment's pod: it prefixes
     * the operator's leader-election identity.
     */
    public synchronized String operatorHostname() {
        return "e2e-operator-" + operatorStarts;
    }

    /**
     * Starts a second operator replica with pod name {@code hostname} (output in {@code operator-<hostname>.log}),
     * as a Deployment with two replicas would run: it waits for the lease. The caller stops it.
     */
    public Process startOperatorReplica(String hostname) throws IOException {
        Path log = out.resolve("operator-" + hostname + ".log");
        Files.deleteIfExists(log); // why: callers wait for lines of this start, never of an earlier run's
        return operatorProcess(hostname, log).start();
    }

    /** Sends SIGTERM to the operator process (what the kubelet does on a rollout) and returns it, without waiting. */
    public synchronized Process terminateOperator() {
        operatorStoppedOnPurpose = true;
        operator.destroy();
        return operator;
    }

    private ProcessBuilder operatorProcess(String hostname, Path log) throws IOException {
        Path jar = root.resolve("operator/target/quarkus-app/quarkus-run.jar");
        String javaCmd = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(javaCmd, "-Xmx384m", "-XX:+UseSerialGC", "-jar", jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("KUBECONFIG", operatorKubeconfig.toString());
        // why: outside a cluster the leader-election lease namespace cannot be inferred
        pb.environment().put("KUBERNETES_NAMESPACE", OPERATOR_NS);
        // why: a pod's HOSTNAME is its name; the operator's leader-election identity starts with it
        pb.environment().put("HOSTNAME", hostname);
        // why: loopback and a free port: never a trainer pod's 127.0.1.N:8080, never another test's port
        pb.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(freePort()));
        pb.environment().put("ANNEALER_PROGRESS_POLL_INTERVAL", "1s");
        // why: pods of another devcluster on this host also get 127.0.1.N: a port of our own avoids clashes
        pb.environment().put("ANNEALER_TRAINER_PROGRESS_PORT", Integer.toString(progressPort));
        return pb;
    }

    /** SIGKILLs the operator process and waits until it is gone. */
    public synchronized void killOperator() throws InterruptedException {
        operatorStoppedOnPurpose = true;
        if (operator != null) {
            operator.destroyForcibly();
            operator.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Fault injection: kube-apiserver SIGKILLed, down for {@code down}, started again (same port and state). */
    public void restartApiServer(Duration down) {
        cp.restartApiServer(down);
    }

    /** Fault injection: etcd SIGKILLed, down for {@code down}, started again on its data (the API server stays). */
    public void restartEtcd(Duration down) {
        cp.restartEtcd(down);
    }

    /**
     * What the operator's Deployment does for a container that exited: if the operator process is gone without a test
     * having stopped it, start it again. Returns its exit code when it had exited.
     */
    public synchronized java.util.OptionalInt restartOperatorIfExited() throws IOException {
        if (operator == null || operator.isAlive() || operatorStoppedOnPurpose) {
            return java.util.OptionalInt.empty();
        }
        int code = operator.exitValue();
        System.err.printf("e2e: the operator exited %d: started again, as its Deployment would%n", code);
        startOperator();
        return java.util.OptionalInt.of(code);
    }

    /** Before each test: an operator left dead by an earlier test (its failure) is started again, not inherited. */
    synchronized void ensureOperatorRunning() throws IOException {
        if (operator != null && !operator.isAlive()) {
            System.err.println("e2e: the operator was not running at the start of a test: started again");
            startOperator();
        }
    }

    public boolean operatorAlive() {
        return operator != null && operator.isAlive();
    }

    public Path operatorLog() {
        return out.resolve("operator.log");
    }

    /**
     * Starts the real Kueue manager (built by {@code hack/kueue.sh}) against this devcluster, once, and restarts the
     * operator so it sees Kueue's Workload API. Skipped on a developer machine without the build, a failure with
     * {@code CI=true}.
     */
    public synchronized dev.annealer.devcluster.Kueue kueue() throws IOException, InterruptedException {
        if (kueue != null) {
            return kueue;
        }
        Path dir = dev.annealer.devcluster.Kueue.locate(root).orElse(null);
        if (dir == null) {
            String why = "the Kueue E2E needs Kueue built by hack/kueue.sh (make test builds it)";
            if (onCi()) {
                throw new IllegalStateException("CI=true and " + why);
            }
            Assumptions.abort(why + " (CI is unset, so it is skipped)");
        }
        long t0 = System.nanoTime();
        kueue = new dev.annealer.devcluster.Kueue(dir, cp, state.resolve("kueue"), out.resolve("logs")).start();
        killOperatorGracefully();
        startOperator();
        System.err.printf("e2e: kueue up, operator restarted in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return kueue;
    }

    // --- accessors ---------------------------------------------------------------------------------------------

    public KubernetesClient client() {
        return cp.adminClient();
    }

    public Path root() {
        return root;
    }

    public Path out() {
        return out;
    }

    public CommandResult kubectl(String... args) {
        return cp.kubectl(args);
    }

    /**
     * Runs the kubectl plugin as a user would, {@code kubectl annealer --kubeconfig <admin> ARGS} (see
     * {@link #kubectlPlugin}); never throws for a non-zero exit.
     */
    public CommandResult kubectlAnnealer(String... args) {
        List<String> a = new ArrayList<>(List.of("--kubeconfig", cp.kubeconfig().toString()));
        a.addAll(List.of(args));
        return kubectlPlugin(Map.of(), a.toArray(String[]::new));
    }

    /**
     * {@code kubectl annealer ARGS} from a user's shell: the project's kubectl and the repository's {@code bin/} on
     * PATH, so kubectl finds the plugin {@code kubectl-annealer} there and runs it (with {@code KUBECTL_PATH} set);
     * see {@link #asUser}. Never throws for a non-zero exit.
     */
    public CommandResult kubectlPlugin(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("kubectl", "annealer"));
        cmd.addAll(List.of(args));
        return CommandResult.run(asUser(List.of(root.resolve("bin")), env, cmd).command(), Duration.ofSeconds(120));
    }

    /**
     * {@code command} in a clean environment, like a user's shell: PATH is {@code pathDirs}, then the project's
     * Kubernetes binaries (kubectl), then this JVM's java, then this process's PATH; HOME is a scratch directory with
     * no kubeconfig (so only {@code KUBECONFIG} or {@code --kubeconfig} name a cluster); {@code env} on top.
     */
    public ProcessBuilder asUser(List<Path> pathDirs, Map<String, String> env, List<String> command) {
        List<String> path = new ArrayList<>(pathDirs.stream().map(Path::toString).toList());
        path.add(binDir.toString());
        ProcessHandle.current().info().command().ifPresent(java -> path.add(Path.of(java).getParent().toString()));
        path.add(System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        List<String> cmd = new ArrayList<>(List.of("env", "-i", "PATH=" + String.join(":", path),
                "HOME=" + userHome(), "LANG=C.UTF-8"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(command);
        return new ProcessBuilder(cmd);
    }

    private Path userHome() {
        try {
            return Files.createDirectories(state.resolve("user-home"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The admin kubeconfig of the devcluster. */
    public Path adminKubeconfig() {
        return cp.kubeconfig();
    }

    /**
     * A user's kubeconfig file for this cluster (admin credentials) whose current context's namespace is
     * {@code namespace}, written with {@code kubectl config set-context --current --namespace}.
     */
    public Path userKubeconfig(String name, String namespace) throws IOException {
        Path file = state.resolve(name + ".kubeconfig");
        Files.copy(cp.kubeconfig(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        check(CommandResult.run(List.of(binDir.resolve("kubectl").toString(), "config", "set-context", "--current",
                "--namespace=" + namespace, "--kubeconfig=" + file), Duration.ofSeconds(30)));
        return file;
    }

    /** A fresh namespace for one test. */
    public String namespace(String name) {
        client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
        return name;
    }

    public Resource<GenericKubernetesResource> job(String ns, String name) {
        return client().genericKubernetesResources("annealer.dev/v1alpha1", "FineTuneJob").inNamespace(ns).withName(name);
    }

    /** The last version of pod ns/name the informer saw (kept after the pod was deleted), or null. */
    public Pod lastSeen(String ns, String name) {
        return lastSeen.get(ns + "/" + name);
    }

    /** Names of every pod ever seen in {@code ns} whose name starts with {@code prefix}, sorted. */
    public List<String> podsEverSeen(String ns, String prefix) {
        return lastSeen.keySet().stream().filter(k -> k.startsWith(ns + "/" + prefix))
                .map(k -> k.substring(ns.length() + 1)).sorted().toList();
    }

    /** Output of the first container of pod ns/name (the node agent keeps it after the pod is gone). */
    public Path podLog(String ns, String pod) {
        try (Stream<Path> s = Files.list(state.resolve("pods"))) {
            Path dir = s.filter(p -> p.getFileName().toString().startsWith(ns + "_" + pod + "_")).findFirst()
                    .orElseThrow(() -> new AssertionError("no pod directory for " + ns + "/" + pod));
            try (Stream<Path> c = Files.list(dir.resolve("containers"))) {
                return c.findFirst().orElseThrow().resolve("output.log");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Output of pod ns/name with this uid: pods of a re-created job reuse names ({@code <job>-1}). */
    public String podLogText(String ns, String pod, String uid) {
        Path dir = state.resolve("pods").resolve(ns + "_" + pod + "_" + uid.substring(0, 8));
        try (Stream<Path> c = Files.list(dir.resolve("containers"))) {
            return Files.readString(c.findFirst().orElseThrow().resolve("output.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String podLogText(String ns, String pod) {
        try {
            return Files.readString(podLog(ns, pod));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A high-priority pod that needs the node's GPU and 3 of its 4 CPUs, so it only fits once a trainer is gone. */
    public Pod createHog(String ns, String name) {
        return client().pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(name)
                .addToLabels("app", "e2e-hog").endMetadata().withNewSpec()
                .withPriorityClassName(HIGH_PRIORITY_CLASS).withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("pause").withImage("registry.k8s.io/pause:3.10").withNewResources()
                .addToRequests("cpu", new Quantity("3")).addToLimits("nvidia.com/gpu", new Quantity("1"))
                .endResources().endContainer().endSpec().build()).create();
    }

    // --- the uninterrupted reference run -----------------------------------------------------------------------

    private final Map<String, TrainerLog> references = new ConcurrentHashMap<>();

    /**
     * Runs the trainer locally and uninterrupted on {@code jobYaml} (what the pods read from the ConfigMap) in the
     * repository root, like a user's {@code annealer-trainer train -f job.yaml --checkpoint-dir DIR}; cached by
     * {@code name} (jobs that differ only in metadata or {@code suspend} train the same parameters).
     */
    public TrainerLog uninterrupted(String name, String jobYaml) {
        return references.computeIfAbsent(name, k -> {
            String y = jobYaml;
            try {
                Path dir = Files.createDirectories(out.resolve("uninterrupted").resolve(name));
                Path job = dir.resolve("job.yaml");
                Files.writeString(job, y);
                List<String> cmd = new ArrayList<>(trainerCommand);
                Path ckpt = dir.resolve("checkpoints");
                deleteRecursively(ckpt);
                cmd.addAll(List.of("train", "-f", job.toString(), "--checkpoint-dir", ckpt.toString(),
                        "--no-progress-bar"));
                Path log = dir.resolve("output.log");
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("DJL_CACHE_DIR", djlCache().toString());
                pb.environment().put("ANNEALER_TERMINATION_LOG", dir.resolve("termination-log").toString());
                pb.environment().put("POD_IP", "127.0.0.1");
                pb.environment().put("ANNEALER_PROGRESS_PORT", Integer.toString(freePort()));
                Process p = pb.start();
                if (!p.waitFor(10, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new AssertionError("uninterrupted run of " + name + " did not finish in 10 min; see " + log);
                }
                String text = Files.readString(log);
                if (p.exitValue() != 0) {
                    throw new AssertionError("uninterrupted run of " + name + " exited " + p.exitValue() + ":\n"
                            + tail(text, 20));
                }
                return TrainerLog.parse(text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    // --- waiting, with a diagnostic dump -----------------------------------------------------------------------

    /**
     * Waits (polling) until {@code condition} holds; on timeout, or when the operator process died, fails with a
     * dump of the job, its pods, events, the operator's log tail and the trainers' log tails.
     */
    public void await(String what, Duration timeout, String ns, String jobName, Callable<Boolean> condition) {
        try {
            org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsMatching(e -> !(e instanceof AssertionError))
                    .failFast("the operator process exited", () -> !operatorStoppedOnPurpose && !operatorAlive())
                    .until(condition);
        } catch (ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + " (waiting at most " + timeout.toSeconds() + " s for: " + what + ")\n"
                    + dump(ns, jobName), e);
        }
    }

    /** Job status YAML, pods, events, operator log tail, trainer log tails. */
    public String dump(String ns, String jobName) {
        StringBuilder sb = new StringBuilder("===== diagnostic dump (namespace ").append(ns).append(")\n");
        sb.append("--- FineTuneJob ").append(jobName).append('\n')
                .append(kubectl("get", "ftj", jobName, "-n", ns, "-o", "yaml").stdout());
        sb.append("--- pods\n").append(kubectl("get", "pods", "-n", ns, "-o", "wide").stdout());
        if (kueue != null) {
            sb.append("--- workloads\n").append(kubectl("get", "workloads.kueue.x-k8s.io", "-n", ns, "-o", "yaml").stdout());
        }
        sb.append("--- events\n").append(kubectl("get", "events", "-n", ns, "--sort-by=.lastTimestamp").stdout());
        sb.append("--- operator (alive=").append(operatorAlive()).append(") log tail\n");
        try {
            sb.append(tail(Files.readString(operatorLog()), 40));
        } catch (IOException e) {
            sb.append(e).append('\n');
        }
        for (String pod : podsEverSeen(ns, jobName + "-")) {
            sb.append("--- trainer ").append(pod).append(" log tail\n");
            try {
                sb.append(tail(podLogText(ns, pod), 15));
            } catch (RuntimeException | AssertionError e) {
                sb.append(e.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    public static Object status(GenericKubernetesResource job, String field) {
        if (job == null || !(job.getAdditionalProperties().get("status") instanceof Map<?, ?> s)) {
            return null;
        }
        Object v = s;
        for (String part : field.split("\\.")) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = ((Map<String, Object>) m).get(part);
        }
        return v;
    }

    public static long statusLong(GenericKubernetesResource job, String field) {
        return status(job, field) instanceof Number n ? n.longValue() : -1;
    }

    /** Reason of condition {@code type}, or null. */
    @SuppressWarnings("unchecked")
    public static String conditionReason(GenericKubernetesResource job, String type) {
        if (!(status(job, "conditions") instanceof List<?> list)) {
            return null;
        }
        return list.stream().map(o -> (Map<String, Object>) o).filter(c -> type.equals(c.get("type")))
                .map(c -> (String) c.get("reason")).findFirst().orElse(null);
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    }

    private static void check(CommandResult r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.describe());
        }
    }

    private static String key(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freePortUnchecked() {
        try {
            return freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path djlCache() {
        String env = System.getenv("ANNEALER_DJL_CACHE");
        return Path.of(env != null ? env : System.getProperty("user.home") + "/.cache/annealer/djl");
    }

    static boolean onCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false") && !ci.equals("0");
    }

    static Path repoRoot() {
        String prop = System.getProperty("annealer.repo.root");
        Path start = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("hack/k8s-binaries.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (hack/k8s-binaries.sh) above " + start);
    }

    /** The five binaries, through {@code hack/k8s-binaries.sh --check} (never builds); adds to missing when absent. */
    private static Path k8sBinaries(Path root, List<String> missing) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", root.resolve("hack/k8s-binaries.sh").toString(), "--check")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String outText;
        try (InputStream in = p.getInputStream()) {
            outText = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        p.waitFor(60, TimeUnit.SECONDS);
        if (p.exitValue() == 0 && !outText.isEmpty()) {
            Path folder = Path.of(outText.lines().reduce((a, b) -> b).orElseThrow());
            List<String> absent = Stream.of("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager",
                    "kubectl").filter(b -> !Files.isExecutable(folder.resolve(b))).toList();
            if (absent.isEmpty()) {
                return folder;
            }
            missing.add(folder + " lacks " + absent);
        } else {
            missing.add("the Kubernetes binaries (hack/k8s-binaries.sh builds them; ANNEALER_K8S_BIN points at yours)");
        }
        return null;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        try {
            killOperatorGracefully();
        } finally {
            if (kueue != null) {
                kueue.close();
            }
            informer.close();
            agent.close();
            cp.close();
            try {
                deleteRecursively(state);
            } catch (IOException e) {
                System.err.println("e2e: cannot delete " + state + ": " + e);
            }
        }
    }

    private synchronized void killOperatorGracefully() {
        if (operator == null) {
            return;
        }
        operatorStoppedOnPurpose = true;
        operator.destroy();
        try {
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            operator.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
