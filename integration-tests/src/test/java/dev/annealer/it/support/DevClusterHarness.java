package dev.annealer.it.support;

import dev.annealer.devcluster.ControlPlane;
import dev.annealer.devcluster.ImageMap;
import dev.annealer.devcluster.NodeAgent;
import dev.annealer.it.controlplane.K8sBinaries;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A devcluster (full control plane + node agent with one GPU node) inside the test JVM, whose trainer image is the
 * real trainer, plus what end-to-end tests compare against: an uninterrupted local run of the same job.
 *
 * <p>Trainer: {@code -Dannealer.trainer.classpath=CP} (and {@code -Dannealer.trainer.workdir=DIR} holding
 * {@code examples/}), else the test classpath when it holds {@value #MAIN}. Not there yet: skipped, or failed
 * when {@code trainer-image} has the class but the classpath does not (CI=true: always failed when missing).
 */
public final class DevClusterHarness implements AutoCloseable {

    public static final String MAIN = "dev.annealer.trainer.TrainerMain";
    private static final Pattern LR = Pattern.compile("event=step step=(\\d+) .*?\\blr=(\\S+)");

    private final ControlPlane cp;
    private final NodeAgent agent;
    private final Path state;
    private final Path workDir;
    private final List<String> trainer;
    private final Map<String, Pod> lastSeen = new ConcurrentHashMap<>();
    private final SharedIndexInformer<Pod> informer;

    private DevClusterHarness(String name, Path binDir, List<String> trainer, Path workDir) throws IOException {
        this.trainer = trainer;
        this.workDir = workDir;
        this.state = Files.createTempDirectory(name + "-");
        Path logs = Path.of(System.getProperty("annealer.it.logs", "target/control-plane")).resolve(name);
        this.cp = new ControlPlane(binDir, state.resolve("control-plane"), logs, true, List.of()).start();
        this.agent = new NodeAgent(cp.adminClient(), new NodeAgent.Config(1, 1, "4", "16Gi", state,
                new ImageMap(trainer, Map.of("DJL_CACHE_DIR", djlCache().toString())), workDir, "v1.37.2")).start();
        this.informer = cp.adminClient().pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                lastSeen.put(pod.getMetadata().getName(), pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                lastSeen.put(pod.getMetadata().getName(), pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknownFinalState) {
                // keep the last state seen before the deletion
            }
        });
    }

    /** Starts a devcluster for {@code name}, or skips/fails (see class doc) when the trainer or binaries are missing. */
    public static DevClusterHarness start(String name) throws IOException {
        String classpath = System.getProperty("annealer.trainer.classpath");
        if (classpath == null || classpath.isBlank()) {
            try {
                Class.forName(MAIN);
                classpath = System.getProperty("java.class.path");
            } catch (ClassNotFoundException e) {
                if (Files.isRegularFile(RepoFiles.root().resolve(
                        "trainer-image/src/main/java/" + MAIN.replace('.', '/') + ".java"))) {
                    RepoFiles.missing(MAIN + " exists in trainer-image but is not on the test classpath");
                }
                System.err.println("SKIPPED " + name + ": the trainer (" + MAIN + ") has not landed yet");
                Assumptions.abort("the trainer (" + MAIN + ") has not landed yet");
            }
        }
        Path workDir = Path.of(System.getProperty("annealer.trainer.workdir", RepoFiles.root().toString()));
        if (!Files.isRegularFile(workDir.resolve("examples/quickstart.yaml"))) {
            RepoFiles.missing("examples/quickstart.yaml does not exist in " + workDir);
        }
        K8sBinaries.Lookup lookup = K8sBinaries.lookup(K8sBinaries.ALL);
        if (!lookup.found()) {
            RepoFiles.missing("the devcluster needs all five binaries: " + lookup.missingReason());
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> trainer = List.of(java, "-Xmx1g", "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-cp", classpath,
                MAIN);
        return new DevClusterHarness(name, lookup.folder(), trainer, workDir);
    }

    public ControlPlane controlPlane() {
        return cp;
    }

    public KubernetesClient client() {
        return cp.adminClient();
    }

    public Path workDir() {
        return workDir;
    }

    public Path state() {
        return state;
    }

    /** The last version of pod {@code name} seen (kept after its deletion). */
    public Pod lastSeen(String name) {
        return lastSeen.get(name);
    }

    /** Names of the pods seen so far, in no particular order. */
    public List<String> podsSeen() {
        return List.copyOf(lastSeen.keySet());
    }

    /** The output log of the trainer container of pod {@code ns/pod}. */
    public Path podLog(String ns, String pod, String container) {
        try (Stream<Path> s = Files.list(state.resolve("pods"))) {
            Path dir = s.filter(p -> p.getFileName().toString().startsWith(ns + "_" + pod + "_")).findFirst()
                    .orElseThrow(() -> new AssertionError("no pod directory for " + ns + "/" + pod));
            return dir.resolve("containers").resolve(container).resolve("output.log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the trainer locally, uninterrupted, on {@code jobYaml}; returns the logged learning rate by step and,
     * under key -1, the {@code paramsSha256} of its termination message.
     */
    public Map<Long, String> uninterrupted(String jobYaml) {
        try {
            Path dir = Files.createDirectories(state.resolve("uninterrupted"));
            Path jobFile = dir.resolve("job.yaml");
            Files.writeString(jobFile, jobYaml);
            Path term = dir.resolve("termination-log");
            List<String> cmd = new ArrayList<>(trainer);
            cmd.addAll(List.of("train", "-f", jobFile.toString(), "--checkpoint-dir", dir.resolve("ckpt").toString(),
                    "--device", "cpu", "--no-progress-bar"));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("output.log").toFile());
            pb.environment().put("ANNEALER_TERMINATION_LOG", term.toString());
            pb.environment().put("DJL_CACHE_DIR", djlCache().toString());
            // why: its own loopback address, so its progress port never clashes with a pod's (127.0.1.N:8080)
            pb.environment().put("POD_IP", "127.0.0.250");
            int code = pb.start().waitFor();
            String log = Files.readString(dir.resolve("output.log"));
            assertThat(code).as("uninterrupted run: %s", log.lines().reduce((a, b) -> b).orElse("")).isZero();
            Map<Long, String> lr = new TreeMap<>(learningRates(log));
            lr.put(-1L, field(Files.readString(term), "paramsSha256"));
            return lr;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code event=step step=S ... lr=L} lines of a trainer log, by step. */
    public static Map<Long, String> learningRates(String log) {
        Map<Long, String> lr = new LinkedHashMap<>();
        Matcher m = LR.matcher(log);
        while (m.find()) {
            lr.put(Long.parseLong(m.group(1)), m.group(2));
        }
        return lr;
    }

    /** The value of {@code name=VALUE} in a termination message or log line. */
    public static String field(String message, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=(\\S+)").matcher(message == null ? "" : message);
        assertThat(m.find()).as("%s in %s", name, message).isTrue();
        return m.group(1);
    }

    public static Path djlCache() {
        String env = System.getenv("ANNEALER_DJL_CACHE");
        return Path.of(env != null ? env : System.getProperty("user.home") + "/.cache/annealer/djl");
    }

    @Override
    public void close() {
        informer.close();
        agent.close();
        cp.close();
    }
}
