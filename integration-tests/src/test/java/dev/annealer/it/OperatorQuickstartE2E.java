package dev.annealer.it;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.DevClusterHarness;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The end-to-end story with every real piece: kube-apiserver, kube-scheduler, kube-controller-manager, the
 * node agent, the operator (its Quarkus jar, running under a ServiceAccount bound only to its generated
 * ClusterRole) and the trainer.
 *
 * <ol>
 *   <li>{@code kubectl apply} the quickstart (with {@code resources.gpus: 1}, so it holds the node's GPU);</li>
 *   <li>the operator creates the trainer pod, which runs and reports progress;</li>
 *   <li>a high-priority pod takes the GPU: kube-scheduler preempts the trainer;</li>
 *   <li>the trainer checkpoints on SIGTERM and exits 75;</li>
 *   <li>the operator records a preemption and creates the next attempt, which stays Pending until the GPU frees;</li>
 *   <li>it resumes and the job ends Succeeded.</li>
 * </ol>
 * Asserted: preemptions=1 and failures=0; the LR at every logged step of both attempts equals an uninterrupted
 * local run of the same spec; the final {@code paramsSha256} equals that run's; attempt 2 resumes exactly at the
 * step attempt 1 checkpointed on SIGTERM (at most the current step is redone).
 */
class OperatorQuickstartE2E {

    private static DevClusterHarness dc;
    private static Process operator;
    private static Path operatorLog;
    private static final String JOB_NS = "e2e";

    @BeforeAll
    static void up() throws Exception {
        Path jar = RepoFiles.root().resolve("operator/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            if (!Files.isDirectory(RepoFiles.root().resolve("operator/src/main/java"))) {
                Assumptions.abort("operator/ has no sources yet");
            }
            RepoFiles.missing("operator/target/quarkus-app/quarkus-run.jar is missing: mvn -pl operator -am package");
        }
        dc = DevClusterHarness.start("operator-e2e");
        KubernetesClient admin = dc.client();
        Crds.install(admin, RepoFiles.requireCrd());
        Path kubeconfig = operatorKubeconfig(admin);
        operatorLog = Path.of(System.getProperty("annealer.it.logs", "target/control-plane"))
                .resolve("operator-e2e/operator.log");
        Files.createDirectories(operatorLog.getParent());
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-jar", jar.toString()).redirectErrorStream(true).redirectOutput(operatorLog.toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        // why: outside a cluster the leader-election lease namespace cannot be inferred
        pb.environment().put("KUBERNETES_NAMESPACE", "annealer-system");
        // why: loopback only and a free port, never a trainer pod's 127.0.1.N:8080
        pb.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().put("ANNEALER_PROGRESS_POLL_INTERVAL", "1s");
        operator = pb.start();
    }

    @AfterAll
    static void down() throws Exception {
        if (operator != null) {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly().waitFor();
            }
        }
        if (dc != null) {
            dc.close();
        }
    }

    /** A kubeconfig with a token of ServiceAccount annealer-system/annealer-operator, bound to the generated role. */
    private static Path operatorKubeconfig(KubernetesClient admin) throws Exception {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("annealer-system").endMetadata()
                .build()).createOr(r -> r.update());
        admin.serviceAccounts().inNamespace("annealer-system").resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("annealer-operator").endMetadata().build()).createOr(r -> r.update());
        for (ClusterRole role : OperatorRbacIT.operatorClusterRoles()) {
            role.getMetadata().setResourceVersion(null);
            admin.resource(role).createOr(r -> r.update());
            admin.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
                    .withName("annealer-operator-" + role.getMetadata().getName()).endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role.getMetadata().getName())
                    .addNewSubject().withKind("ServiceAccount").withName("annealer-operator")
                    .withNamespace("annealer-system").endSubject().build()).createOr(r -> r.update());
        }
        String token = admin.serviceAccounts().inNamespace("annealer-system").withName("annealer-operator")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(7200L).endSpec().build())
                .getStatus().getToken();
        String admin0 = Files.readString(dc.controlPlane().kubeconfig());
        String sa = admin0.replaceAll("token: \\S+", "token: " + token);
        Path file = dc.state().resolve("operator.kubeconfig");
        Files.writeString(file, sa);
        return file;
    }

    @Test
    void quickstartIsPreemptedResumesAndEndsLikeAnUninterruptedRun() throws Exception {
        KubernetesClient c = dc.client();
        c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(JOB_NS).endMetadata().build())
                .create();
        Path manifest = quickstartWithOneGpu();
        CommandResult apply = dc.controlPlane().kubectl("apply", "-n", JOB_NS, "-f", manifest.toString());
        assertThat(apply.ok()).as(apply.describe()).isTrue();
        String name = (String) ((Map<?, ?>) ((Map<?, ?>) Yaml.documents(manifest).get(0)).get("metadata")).get("name");
        Resource<GenericKubernetesResource> job = c.genericKubernetesResources("annealer.dev/v1alpha1", "FineTuneJob")
                .inNamespace(JOB_NS).withName(name);

        // The operator runs attempt 1; its progress reaches the job's status.
        awaitWhileOperatorRuns("job running with progress").atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofSeconds(1)).until(() -> statusLong(job.get(), "step") >= 300);
        String jobYaml = c.configMaps().inNamespace(JOB_NS).withName(name + "-spec").get().getData().get("job.yaml");
        CompletableFuture<Map<Long, String>> reference = CompletableFuture.supplyAsync(() -> dc.uninterrupted(jobYaml));
        String attempt1 = runningTrainerPod(c);

        // A high-priority pod takes the GPU.
        c.scheduling().v1().priorityClasses().resource(new PriorityClassBuilder().withNewMetadata()
                .withName("e2e-high").endMetadata().withValue(1_000_000).build()).createOr(r -> r.update());
        c.pods().inNamespace(JOB_NS).resource(new PodBuilder().withNewMetadata().withName("gpu-hog").endMetadata()
                .withNewSpec().withPriorityClassName("e2e-high").addNewContainer().withName("pause")
                .withImage("registry.k8s.io/pause:3.10").withNewResources()
                .addToLimits("nvidia.com/gpu", new Quantity("1")).endResources().endContainer().endSpec().build())
                .create();
        awaitWhileOperatorRuns("preemption recorded").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> statusLong(job.get(), "preemptions") == 1);
        Pod first = dc.lastSeen(attempt1);
        await("attempt 1 final status").atMost(Duration.ofSeconds(60)).until(() -> {
            Pod p = dc.lastSeen(attempt1);
            return p.getStatus().getContainerStatuses().get(0).getState().getTerminated() != null;
        });
        first = dc.lastSeen(attempt1);
        var t1 = first.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t1.getExitCode()).isEqualTo(75);
        Matcher m1 = Pattern.compile("^checkpointed after preemption: step=(\\d+) checkpoint=(step-\\d{12})$")
                .matcher(t1.getMessage());
        assertThat(m1.matches()).as("termination message: %s", t1.getMessage()).isTrue();
        long preemptedAt = Long.parseLong(m1.group(1));

        // The next attempt waits for the GPU.
        awaitWhileOperatorRuns("attempt 2 created").atMost(Duration.ofSeconds(60))
                .until(() -> trainerPods(c).stream().anyMatch(p -> !p.getMetadata().getName().equals(attempt1)));
        Thread.sleep(3000);
        Pod second = trainerPods(c).stream().filter(p -> !p.getMetadata().getName().equals(attempt1)).findFirst()
                .orElseThrow();
        assertThat(second.getStatus().getPhase()).as("attempt 2 Pending while the GPU is taken").isEqualTo("Pending");
        c.pods().inNamespace(JOB_NS).withName("gpu-hog").delete();

        awaitWhileOperatorRuns("job Succeeded").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(2))
                .failFast("job Failed", () -> "Failed".equals(status(job.get(), "phase")))
                .until(() -> "Succeeded".equals(status(job.get(), "phase")));
        GenericKubernetesResource done = job.get();
        assertThat(statusLong(done, "preemptions")).isEqualTo(1);
        assertThat(statusLong(done, "failures")).isZero();

        String attempt2 = second.getMetadata().getName();
        String log2 = Files.readString(dc.podLog(JOB_NS, attempt2, containerOf(second)));
        Matcher resume = Pattern.compile("event=resume checkpoint=(\\S+) step=(\\d+)").matcher(log2);
        assertThat(resume.find()).as("attempt 2 resumed from a checkpoint").isTrue();
        assertThat(Long.parseLong(resume.group(2))).as("at most the current step is redone").isEqualTo(preemptedAt);

        Map<Long, String> ref = reference.get(10, TimeUnit.MINUTES);
        String finalMessage = String.valueOf(status(done, "lastTerminationMessage"));
        boolean paramsMatch = DevClusterHarness.field(finalMessage, "paramsSha256").equals(ref.get(-1L));
        Map<Long, String> clusterLr = new TreeMap<>(DevClusterHarness.learningRates(
                Files.readString(dc.podLog(JOB_NS, attempt1, containerOf(first)))));
        clusterLr.putAll(DevClusterHarness.learningRates(log2));
        boolean lrContinuous = clusterLr.size() > 10 && clusterLr.entrySet().stream()
                .allMatch(e -> e.getValue().equals(ref.get(e.getKey())));
        System.err.printf("e2e: job=%s phase=%s preemptions=%d failures=%d lrContinuous=%s "
                        + "paramsMatchUninterrupted=%s%n", name, status(done, "phase"), statusLong(done, "preemptions"),
                statusLong(done, "failures"), lrContinuous, paramsMatch);
        assertThat(paramsMatch).as("paramsSha256 %s equals the uninterrupted run's %s", finalMessage, ref.get(-1L))
                .isTrue();
        clusterLr.forEach((step, lr) -> assertThat(lr).as("learning rate at step %d", step).isEqualTo(ref.get(step)));
        assertThat(lrContinuous).isTrue();
    }

    /** An await that fails at once, pointing at the operator's log, when the operator process exits. */
    private static org.awaitility.core.ConditionFactory awaitWhileOperatorRuns(String alias) {
        return await(alias).failFast("the operator exited: see " + operatorLog, () -> !operator.isAlive());
    }

    /** examples/quickstart.yaml with resources.gpus = 1 (it must hold a GPU to be preempted for one). */
    @SuppressWarnings("unchecked")
    private static Path quickstartWithOneGpu() throws Exception {
        Map<String, Object> job = (Map<String, Object>) Yaml.documents(dc.workDir().resolve("examples/quickstart.yaml"))
                .get(0);
        Map<String, Object> spec = (Map<String, Object>) job.get("spec");
        Map<String, Object> resources = (Map<String, Object>) spec.computeIfAbsent("resources",
                k -> new java.util.LinkedHashMap<>());
        resources.put("gpus", 1);
        Path file = dc.state().resolve("quickstart-gpu.yaml");
        Files.writeString(file, Yaml.write(job));
        return file;
    }

    private static List<Pod> trainerPods(KubernetesClient c) {
        return c.pods().inNamespace(JOB_NS).list().getItems().stream()
                .filter(p -> !p.getMetadata().getName().equals("gpu-hog")).toList();
    }

    private static String runningTrainerPod(KubernetesClient c) {
        return trainerPods(c).stream().filter(p -> "Running".equals(p.getStatus().getPhase())).findFirst()
                .orElseThrow(() -> new AssertionError("no running trainer pod")).getMetadata().getName();
    }

    private static String containerOf(Pod p) {
        return p.getSpec().getContainers().get(0).getName();
    }

    private static Object status(GenericKubernetesResource r, String field) {
        if (r == null || !(r.getAdditionalProperties().get("status") instanceof Map<?, ?> s)) {
            return null;
        }
        return s.get(field);
    }

    private static long statusLong(GenericKubernetesResource r, String field) {
        Object v = status(r, field);
        return v instanceof Number n ? n.longValue() : -1;
    }
}
