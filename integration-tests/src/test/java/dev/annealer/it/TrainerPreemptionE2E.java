package dev.annealer.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.devcluster.ImageMap;
import dev.annealer.devcluster.NodeAgent;
import dev.annealer.it.controlplane.K8sBinaries;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The product's central promise on the devcluster, without the operator: the real trainer runs as a GPU pod,
 * kube-scheduler preempts it for a higher-priority pod, the trainer checkpoints on SIGTERM and exits 75, a second
 * attempt on the same checkpoint claim resumes and succeeds, and the result equals an uninterrupted local run:
 * same {@code paramsSha256}, same learning rate at every logged step, at most the current step redone.
 *
 * <p>The pods have the shape the trainer-pod contract gives (ConfigMap job spec, checkpoint claim, progress token
 * Secret, env), so this also checks that the devcluster honours that contract. With the operator, the same story is
 * the operator E2E.
 *
 * <p>Trainer: {@code -Dannealer.trainer.classpath=CP} (and {@code -Dannealer.trainer.workdir=DIR} holding
 * {@code examples/}) or the test classpath when it holds {@code dev.annealer.trainer.TrainerMain}.
 */
class TrainerPreemptionE2E {

    private static final String MAIN = "dev.annealer.trainer.TrainerMain";
    private static final String TOKEN = "e2e-progress-token";
    private static final Pattern LR = Pattern.compile("event=step step=(\\d+) .*?\\blr=(\\S+)");

    private static ControlPlane cp;
    private static NodeAgent agent;
    private static Path state;
    private static Path workDir;
    private static List<String> trainer;
    private static final Map<String, Pod> lastSeen = new ConcurrentHashMap<>();
    private static SharedIndexInformer<Pod> informer;

    @BeforeAll
    static void up() throws Exception {
        String cp0 = System.getProperty("annealer.trainer.classpath");
        if (cp0 == null || cp0.isBlank()) {
            try {
                Class.forName(MAIN);
                cp0 = System.getProperty("java.class.path");
            } catch (ClassNotFoundException e) {
                if (Files.isRegularFile(RepoFiles.root().resolve(
                        "trainer-image/src/main/java/" + MAIN.replace('.', '/') + ".java"))) {
                    RepoFiles.missing(MAIN + " exists in trainer-image but is not on the test classpath");
                }
                System.err.println("SKIPPED TrainerPreemptionE2E: the trainer (" + MAIN + ") has not landed yet");
                Assumptions.abort("the trainer (" + MAIN + ") has not landed yet");
            }
        }
        workDir = Path.of(System.getProperty("annealer.trainer.workdir", RepoFiles.root().toString()));
        if (!Files.isRegularFile(workDir.resolve("examples/quickstart.yaml"))) {
            RepoFiles.missing("examples/quickstart.yaml does not exist in " + workDir);
        }
        K8sBinaries.Lookup lookup = K8sBinaries.lookup(K8sBinaries.ALL);
        if (!lookup.found()) {
            RepoFiles.missing("the devcluster needs all five binaries: " + lookup.missingReason());
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        trainer = List.of(java, "-Xmx1g", "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-cp", cp0, MAIN);
        state = Files.createTempDirectory("trainer-e2e-");
        Path logs = Path.of(System.getProperty("annealer.it.logs", "target/control-plane")).resolve("trainer-e2e");
        cp = new ControlPlane(lookup.folder(), state.resolve("control-plane"), logs, true, List.of()).start();
        agent = new NodeAgent(cp.adminClient(), new NodeAgent.Config(1, 1, "4", "16Gi", state,
                new ImageMap(trainer, Map.of("DJL_CACHE_DIR", djlCache().toString())), workDir, "v1.37.2")).start();
        informer = cp.adminClient().pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
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
                // keep the last state seen
            }
        });
    }

    @AfterAll
    static void down() {
        if (informer != null) {
            informer.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void preemptedTrainerResumesAndMatchesAnUninterruptedRun() throws Exception {
        KubernetesClient c = cp.adminClient();
        String ns = Namespaces.create(c, "trainer-e2e");
        Map<String, Object> job = quickstartJob(ns);
        String jobYaml = Yaml.write(job);
        c.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("quickstart-spec")
                .endMetadata().addToData("job.yaml", jobYaml).build()).create();
        c.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("quickstart-progress")
                .endMetadata().addToStringData("token", TOKEN).build()).create();
        c.persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName("quickstart-checkpoints").endMetadata().withNewSpec().withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build())
                .create();

        // The uninterrupted reference runs beside the cluster (results do not depend on timing).
        CompletableFuture<Map<Long, String>> reference = CompletableFuture.supplyAsync(() -> uninterrupted(jobYaml));

        // Attempt 1 runs until it has made progress past a checkpoint, then a high-priority pod takes its GPU.
        c.pods().inNamespace(ns).resource(trainerPod(ns, "quickstart-attempt-1", 1)).create();
        JsonNode progress = awaitProgress(ns, "quickstart-attempt-1", 300);
        assertThat(progress.get("jobUid").asText()).isEqualTo("e2e-uid");
        c.scheduling().v1().priorityClasses().resource(new PriorityClassBuilder().withNewMetadata()
                .withName("e2e-high").endMetadata().withValue(1_000_000).build()).createOr(r -> r.update());
        c.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("gpu-hog").endMetadata()
                .withNewSpec().withPriorityClassName("e2e-high").addNewContainer().withName("pause")
                .withImage("registry.k8s.io/pause:3.10").withNewResources()
                .addToLimits("nvidia.com/gpu", new Quantity("1")).endResources().endContainer().endSpec().build())
                .create();
        await("attempt 1 preempted and deleted").atMost(Duration.ofSeconds(90))
                .until(() -> c.pods().inNamespace(ns).withName("quickstart-attempt-1").get() == null);
        Pod first = lastSeen.get("quickstart-attempt-1");
        assertThat(first.getStatus().getConditions()).anySatisfy(cond -> {
            assertThat(cond.getType()).isEqualTo("DisruptionTarget");
            assertThat(cond.getReason()).isEqualTo("PreemptionByScheduler");
        });
        ContainerStateTerminated t1 = first.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t1.getExitCode()).as("checkpointed after preemption").isEqualTo(75);
        Matcher m1 = Pattern.compile("^checkpointed after preemption: step=(\\d+) checkpoint=(step-\\d{12})$")
                .matcher(t1.getMessage());
        assertThat(m1.matches()).as("termination message: %s", t1.getMessage()).isTrue();
        long preemptedAt = Long.parseLong(m1.group(1));

        // Attempt 2 waits for the GPU, then resumes from the preemption checkpoint and finishes.
        c.pods().inNamespace(ns).resource(trainerPod(ns, "quickstart-attempt-2", 2)).create();
        Thread.sleep(3000);
        assertThat(c.pods().inNamespace(ns).withName("quickstart-attempt-2").get().getStatus().getPhase())
                .as("attempt 2 stays Pending while the GPU is taken").isEqualTo("Pending");
        c.pods().inNamespace(ns).withName("gpu-hog").delete();
        await("attempt 2 done").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    Pod p = c.pods().inNamespace(ns).withName("quickstart-attempt-2").get();
                    return p != null && p.getStatus() != null && ("Succeeded".equals(p.getStatus().getPhase())
                            || "Failed".equals(p.getStatus().getPhase()));
                });
        Pod second = c.pods().inNamespace(ns).withName("quickstart-attempt-2").get();
        ContainerStateTerminated t2 = second.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(second.getStatus().getPhase()).as("attempt 2: %s", t2.getMessage()).isEqualTo("Succeeded");
        String resumedParams = field(t2.getMessage(), "paramsSha256");

        String log2 = Files.readString(podLog(ns, "quickstart-attempt-2"));
        Matcher resume = Pattern.compile("event=resume checkpoint=(\\S+) step=(\\d+)").matcher(log2);
        assertThat(resume.find()).as("attempt 2 resumed from a checkpoint").isTrue();
        assertThat(Long.parseLong(resume.group(2))).as("at most the current step is redone").isEqualTo(preemptedAt);

        Map<Long, String> ref = reference.get();
        assertThat(resumedParams).as("paramsSha256 equals the uninterrupted run's")
                .isEqualTo(ref.get(-1L));
        Map<Long, String> clusterLr = new TreeMap<>(learningRates(Files.readString(podLog(ns, "quickstart-attempt-1"))));
        clusterLr.putAll(learningRates(log2));
        assertThat(clusterLr).hasSizeGreaterThan(10);
        clusterLr.forEach((step, lr) -> assertThat(lr).as("learning rate at step %d", step).isEqualTo(ref.get(step)));
    }

    /** Runs the trainer locally without interruption; returns lr by step and, under key -1, paramsSha256. */
    private static Map<Long, String> uninterrupted(String jobYaml) {
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
        } catch (Exception e) {
            throw new IllegalStateException("uninterrupted run failed: " + e, e);
        }
    }

    private static Map<Long, String> learningRates(String log) {
        Map<Long, String> lr = new LinkedHashMap<>();
        Matcher m = LR.matcher(log);
        while (m.find()) {
            lr.put(Long.parseLong(m.group(1)), m.group(2));
        }
        return lr;
    }

    private static String field(String message, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=(\\S+)").matcher(message == null ? "" : message);
        assertThat(m.find()).as("%s in %s", name, message).isTrue();
        return m.group(1);
    }

    /** Polls the trainer's progress channel (bearer token, HMAC-signed body) until {@code step >= minStep}. */
    private static JsonNode awaitProgress(String ns, String pod, long minStep) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        ObjectMapper json = new ObjectMapper();
        JsonNode[] last = new JsonNode[1];
        await(pod + " progress step >= " + minStep).atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                .failFast(pod + " ended before reaching step " + minStep, () -> {
                    Pod p = lastSeen.get(pod);
                    boolean ended = p != null && p.getStatus() != null
                            && ("Failed".equals(p.getStatus().getPhase()) || "Succeeded".equals(p.getStatus().getPhase()));
                    if (ended) {
                        System.err.println(pod + " ended: " + p.getStatus().getContainerStatuses().get(0).getState());
                    }
                    return ended;
                })
                .ignoreExceptions().until(() -> {
                    String ip = cp.adminClient().pods().inNamespace(ns).withName(pod).get().getStatus().getPodIP();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + ip
                                    + ":8080/v1/progress")).header("Authorization", "Bearer " + TOKEN)
                                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        return false;
                    }
                    assertThat(r.headers().firstValue("X-Annealer-Signature")).hasValue("sha256=" + hmac(r.body()));
                    last[0] = json.readTree(r.body());
                    return last[0].get("step").asLong() >= minStep;
                });
        return last[0];
    }

    private static String hmac(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(TOKEN.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    /** The quickstart with the metadata the operator writes into {@code <job>-spec}. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> quickstartJob(String ns) {
        Map<String, Object> job = (Map<String, Object>) Yaml.documents(workDir.resolve("examples/quickstart.yaml"))
                .get(0);
        Map<String, Object> md = (Map<String, Object>) job.get("metadata");
        md.put("namespace", ns);
        md.put("uid", "e2e-uid");
        md.put("generation", 1);
        return job;
    }

    /** The trainer pod as the trainer-pod contract describes it. */
    private static Pod trainerPod(String ns, String name, int attempt) {
        List<EnvVar> env = List.of(env("ANNEALER_JOB_NAME", "quickstart"), env("ANNEALER_JOB_NAMESPACE", ns),
                env("ANNEALER_ATTEMPT", Integer.toString(attempt)),
                new EnvVarBuilder().withName("POD_IP").withNewValueFrom().withNewFieldRef()
                        .withFieldPath("status.podIP").endFieldRef().endValueFrom().build(),
                env("ANNEALER_PROGRESS_PORT", "8080"),
                new EnvVarBuilder().withName("ANNEALER_PROGRESS_TOKEN").withNewValueFrom().withNewSecretKeyRef()
                        .withName("quickstart-progress").withKey("token").endSecretKeyRef().endValueFrom().build(),
                env("ANNEALER_GRACE_SECONDS", "30"), env("ANNEALER_TERMINATION_LOG", "/dev/termination-log"),
                env("TMPDIR", "/tmp"), env("DJL_CACHE_DIR", "/tmp/djl"));
        return new PodBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .withRestartPolicy("Never").withTerminationGracePeriodSeconds(30L)
                .addNewContainer().withName("trainer").withImage("ghcr.io/annealer/annealer-trainer:0.1.0")
                .withArgs("train", "-f", "/etc/annealer/job/job.yaml", "--checkpoint-dir",
                        "/var/lib/annealer/checkpoints", "--device", "cpu")
                .withEnv(env).withTerminationMessagePolicy("FallbackToLogsOnError")
                .withNewResources().addToLimits("nvidia.com/gpu", new Quantity("1")).endResources()
                .addNewVolumeMount().withName("job-spec").withMountPath("/etc/annealer/job").withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount().withName("checkpoints").withMountPath("/var/lib/annealer/checkpoints")
                .endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("job-spec").withNewConfigMap().withName("quickstart-spec").endConfigMap()
                .endVolume()
                .addNewVolume().withName("checkpoints").withNewPersistentVolumeClaim()
                .withClaimName("quickstart-checkpoints").endPersistentVolumeClaim().endVolume()
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec().build();
    }

    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static Path podLog(String ns, String pod) throws Exception {
        try (Stream<Path> s = Files.list(state.resolve("pods"))) {
            Path dir = s.filter(p -> p.getFileName().toString().startsWith(ns + "_" + pod + "_")).findFirst()
                    .orElseThrow(() -> new AssertionError("no pod directory for " + pod));
            return dir.resolve("containers/trainer/output.log");
        }
    }

    private static Path djlCache() {
        String env = System.getenv("ANNEALER_DJL_CACHE");
        return Path.of(env != null ? env : System.getProperty("user.home") + "/.cache/annealer/djl");
    }
}
