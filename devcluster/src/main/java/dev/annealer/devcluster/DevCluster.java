package dev.annealer.devcluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code devcluster up}: a real etcd, kube-apiserver, kube-scheduler and kube-controller-manager on loopback plus
 * the {@link NodeAgent} with N GPU nodes, in the foreground until SIGTERM/SIGINT (then everything stops: pods,
 * agent, control plane). {@code hack/devcluster.sh up|down} runs it in the background.
 *
 * <p>When ready it writes {@code <state>/kubeconfig} and then {@code <state>/ready} (the script waits for it).
 */
@Command(name = "devcluster", mixinStandardHelpOptions = true,
        description = "Local Kubernetes control plane with simulated GPU nodes whose pods run as local processes.")
public final class DevCluster implements Callable<Integer> {

    @Option(names = "--bin-dir", required = true, description = "Folder with etcd, kube-apiserver, kube-scheduler, "
            + "kube-controller-manager, kubectl (hack/k8s-binaries.sh prints it).")
    Path binDir;

    @Option(names = "--state-dir", required = true, description = "Where certificates, etcd data, volumes and pod "
            + "directories live.")
    Path stateDir;

    @Option(names = "--nodes", defaultValue = "1", description = "Number of GPU nodes (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--gpus-per-node", defaultValue = "1", description = "nvidia.com/gpu per node (default ${DEFAULT-VALUE}).")
    int gpusPerNode;

    @Option(names = "--cpu-per-node", defaultValue = "4", description = "cpu capacity per node (default ${DEFAULT-VALUE}).")
    String cpuPerNode;

    @Option(names = "--memory-per-node", defaultValue = "16Gi", description = "memory per node (default ${DEFAULT-VALUE}).")
    String memoryPerNode;

    @Option(names = "--trainer-jar", description = "Jar that stands for the annealer-trainer image.")
    Path trainerJar;

    @Option(names = "--trainer-command", description = "Command standing for the annealer-trainer entrypoint "
            + "(white-space separated), instead of --trainer-jar, e.g. 'bin/annealer-trainer'.")
    String trainerCommand;

    @Option(names = "--trainer-env", description = "KEY=VALUE set on trainer containers after the pod's env "
            + "(repeatable), e.g. DJL_CACHE_DIR=~/.cache/annealer/djl to share the native-library cache an image "
            + "would have baked in.")
    java.util.Map<String, String> trainerEnv = new java.util.LinkedHashMap<>();

    @Option(names = "--trainer-workdir", description = "Working directory of trainer pods (the image's WORKDIR, "
            + "which holds examples/): default the current directory.")
    Path trainerWorkDir;

    @Option(names = "--trainer-java-opts", defaultValue = "-Xmx1g -XX:+UseSerialGC",
            description = "JVM options of trainer pods (default ${DEFAULT-VALUE}).")
    String trainerJavaOpts;

    @Option(names = "--kubernetes-version", defaultValue = "v1.37.2", description = "Reported kubelet version.")
    String kubeletVersion;

    @Override
    public Integer call() throws Exception {
        Path state = stateDir.toAbsolutePath();
        Files.deleteIfExists(state.resolve("ready"));
        ControlPlane cp = new ControlPlane(binDir, state.resolve("control-plane"), state.resolve("logs"), true,
                List.of());
        CountDownLatch stop = new CountDownLatch(1);
        NodeAgent[] agent = new NodeAgent[1];
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            System.err.println("devcluster: stopping pods, node agent and control plane");
            if (agent[0] != null) {
                agent[0].close();
            }
            cp.close();
            stop.countDown();
        }, "devcluster-shutdown"));
        long t0 = System.nanoTime();
        cp.start();
        KubernetesClient client = cp.adminClient();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> trainer = null;
        if (trainerCommand != null && !trainerCommand.isBlank()) {
            trainer = Arrays.stream(trainerCommand.trim().split("\\s+")).toList();
        } else if (trainerJar != null) {
            trainer = new java.util.ArrayList<>();
            trainer.add(java);
            trainer.addAll(Arrays.stream(trainerJavaOpts.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
            trainer.add("-jar");
            trainer.add(trainerJar.toAbsolutePath().toString());
        }
        ImageMap images = new ImageMap(trainer, trainerEnv);
        agent[0] = new NodeAgent(client, new NodeAgent.Config(nodes, gpusPerNode, cpuPerNode, memoryPerNode, state,
                images, (trainerWorkDir == null ? Path.of("") : trainerWorkDir).toAbsolutePath(), kubeletVersion)).start();
        Files.copy(cp.kubeconfig(), state.resolve("kubeconfig"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(state.resolve("ready"), cp.url() + "\n");
        System.err.printf("devcluster: ready in %.1f s at %s with %d node(s) x %d GPU; KUBECONFIG=%s%n",
                (System.nanoTime() - t0) / 1e9, cp.url(), nodes, gpusPerNode, state.resolve("kubeconfig"));
        while (stop.getCount() > 0) {
            if (!cp.healthy() && !stopping.get()) {
                System.err.println("devcluster: a control-plane component died; see " + state.resolve("logs"));
                return 1;
            }
            Thread.sleep(1000);
        }
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new DevCluster()).execute(args));
    }
}
