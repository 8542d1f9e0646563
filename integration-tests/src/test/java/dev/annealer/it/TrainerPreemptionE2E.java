package dev.annealer.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.it.support.DevClusterHarness;
import dev.annealer.it.support.Namespaces;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private static final String TOKEN = "e2e-progress-token";
    private static DevClusterHarness dc;

    @BeforeAll
    static void up() throws Exception {
        dc = DevClusterHarness.start("trainer-e2e");
    }

    @AfterAll
    static void down() {
        if (dc != null) {
            dc.close();
        }
    }

    @Test
    void preemptedTrainerResumesAndMatchesAnUninterruptedRun() throws Exception {
        KubernetesClient c = dc.client();
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
        CompletableFuture<Map<Long, String>> reference = CompletableFuture.supplyAsync(() -> dc.uninterrupted(jobYaml));

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
        Pod first = dc.lastSeen("quickstart-attempt-1");
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
        String resumedParams = DevClusterHarness.field(t2.getMessage(), "paramsSha256");

        String log2 = Files.readString(dc.podLog(ns, "quickstart-attempt-2", "trainer"));
        Matcher resume = Pattern.compile("event=resume checkpoint=(\\S+) step=(\\d+)").matcher(log2);
        assertThat(resume.find()).as("attempt 2 resumed from a checkpoint").isTrue();
        assertThat(Long.parseLong(resume.group(2))).as("at most the current step is redone").isEqualTo(preemptedAt);

        Map<Long, String> ref = reference.get();
        assertThat(resumedParams).as("paramsSha256 equals the uninterrupted run's")
                .isEqualTo(ref.get(-1L));
        Map<Long, String> clusterLr = new TreeMap<>(DevClusterHarness.learningRates(Files.readString(dc.podLog(ns, "quickstart-attempt-1", "trainer"))));
        clusterLr.putAll(DevClusterHarness.learningRates(log2));
        assertThat(clusterLr).hasSizeGreaterThan(10);
        clusterLr.forEach((step, lr) -> assertThat(lr).as("learning rate at step %d", step).isEqualTo(ref.get(step)));
    }

    /** Polls the trainer's progress channel (bearer token, HMAC-signed body) until {@code step >= minStep}. */
    private static JsonNode awaitProgress(String ns, String pod, long minStep) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        ObjectMapper json = new ObjectMapper();
        JsonNode[] last = new JsonNode[1];
        await(pod + " progress step >= " + minStep).atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                .failFast(pod + " ended before reaching step " + minStep, () -> {
                    Pod p = dc.lastSeen(pod);
                    boolean ended = p != null && p.getStatus() != null
                            && ("Failed".equals(p.getStatus().getPhase()) || "Succeeded".equals(p.getStatus().getPhase()));
                    if (ended) {
                        System.err.println(pod + " ended: " + p.getStatus().getContainerStatuses().get(0).getState());
                    }
                    return ended;
                })
                .ignoreExceptions().until(() -> {
                    String ip = dc.client().pods().inNamespace(ns).withName(pod).get().getStatus().getPodIP();
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
        Map<String, Object> job = (Map<String, Object>) Yaml.documents(dc.workDir().resolve("examples/quickstart.yaml"))
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

}
