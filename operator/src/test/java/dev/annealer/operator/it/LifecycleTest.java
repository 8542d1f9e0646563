package dev.annealer.operator.it;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.EvaluationStatus;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.Jobs;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Controller wiring against the fabric8 mock server (CRUD mode), pods driven by the test:
 * Pending -> Running -> preempted -> Running -> Succeeded, then the no-hot-loop check.
 */
@QuarkusTest
@WithKubernetesTestServer
@QuarkusTestResource(FakeTrainer.class)
class LifecycleTest {

    static final String NS = "team-a";

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient client;

    @BeforeEach
    void crd() throws Exception {
        if (client.apiextensions().v1().customResourceDefinitions().withName("finetunejobs.annealer.dev").get() == null) {
            CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
                    Files.readString(Path.of("../crds/finetunejobs.annealer.dev-v1.yml")), CustomResourceDefinition.class);
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
    }

    @Test
    void pendingRunningPreemptedRunningSucceeded() {
        FineTuneJob job = Jobs.sgdr();
        job.getMetadata().setName("life");
        job.getMetadata().setUid(null);
        job.getMetadata().setGeneration(null);
        client.resource(job).inNamespace(NS).create();

        // Pending: resources and pod 1 appear, status says so
        Pod pod1 = await().atMost(Duration.ofSeconds(30)).until(() -> pod("life-1"), p -> p != null);
        String uid = job(  "life").getMetadata().getUid();
        assertThat(pod1.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getController()).isTrue();
            assertThat(o.getUid()).isEqualTo(uid);
        });
        assertThat(client.configMaps().inNamespace(NS).withName("life-spec").get().getData()).containsKey("job.yaml");
        assertThat(client.persistentVolumeClaims().inNamespace(NS).withName("life-checkpoints").get()).isNotNull();
        Secret secret = client.secrets().inNamespace(NS).withName("life-progress").get();
        assertThat(secret).isNotNull();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            FineTuneJob j = job("life");
            assertThat(j.getStatus().getPhase()).isEqualTo(Phase.PENDING);
            assertThat(j.getStatus().getAttempt()).isEqualTo(1);
            assertThat(condition(j, ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.POD_PENDING);
            assertThat(j.getStatus().getConditions()).extracting(FineTuneJobCondition::getType)
                    .containsExactlyElementsOf(ConditionTypes.ALL);
        });

        // Running, with progress from the (fake) trainer within 10 s
        FakeTrainer.token = token(secret);
        FakeTrainer.body = report(uid, 1, 700);
        setStatus("life-1", running());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            FineTuneJob j = job("life");
            assertThat(j.getStatus().getPhase()).isEqualTo(Phase.RUNNING);
            assertThat(condition(j, ConditionTypes.RUNNING).getStatus()).isEqualTo("True");
            assertThat(j.getStatus().getStep()).isEqualTo(700L);
            assertThat(j.getStatus().getSchedule().getCycle()).isEqualTo(0L);
            assertThat(j.getStatus().getLastCheckpoint().getStep()).isEqualTo(500L);
        });

        // Preempted by the scheduler: the trainer checkpoints and exits 75; attempt 2 starts at once
        setStatus("life-1", new PodStatusBuilder(running()).withPhase("Failed")
                .addToConditions(new PodConditionBuilder().withType("DisruptionTarget").withStatus("True")
                        .withReason("PreemptionByScheduler").withMessage("preempted by a higher-priority pod").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("trainer").withNewState().withNewTerminated()
                        .withExitCode(75).withReason("Error").withFinishedAt(Instant.now().toString())
                        .withMessage("checkpointed after preemption: step=700 checkpoint=step-000000000700")
                        .endTerminated().endState().build()).build());
        await().atMost(Duration.ofSeconds(15)).until(() -> pod("life-2"), p -> p != null);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            FineTuneJob j = job("life");
            assertThat(j.getStatus().getPreemptions()).isEqualTo(1);
            assertThat(j.getStatus().getFailures()).isZero();
            assertThat(j.getStatus().getAttempt()).isEqualTo(2);
            assertThat(j.getStatus().getPhase()).isEqualTo(Phase.PENDING);
        });

        // Running again
        FakeTrainer.body = report(uid, 2, 1500);
        setStatus("life-2", running());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            FineTuneJob j = job("life");
            assertThat(j.getStatus().getPhase()).isEqualTo(Phase.RUNNING);
            assertThat(j.getStatus().getStep()).isEqualTo(1500L);
        });

        // Succeeded
        setStatus("life-2", new PodStatusBuilder(running()).withPhase("Succeeded")
                .withContainerStatuses(new ContainerStatusBuilder().withName("trainer").withNewState().withNewTerminated()
                        .withExitCode(0).withReason("Completed").withFinishedAt(Instant.now().toString())
                        .withMessage("succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=ab12 loss=0.042")
                        .endTerminated().endState().build()).build());
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            FineTuneJob j = job("life");
            assertThat(j.getStatus().getPhase()).isEqualTo(Phase.SUCCEEDED);
            assertThat(j.getStatus().getPreemptions()).isEqualTo(1);
            assertThat(j.getStatus().getFailures()).isZero();
            assertThat(j.getStatus().getStep()).isEqualTo(20000L);
            assertThat(j.getStatus().getFinalModel()).isEqualTo("pvc://life-checkpoints/step-000000020000");
            assertThat(condition(j, ConditionTypes.SUCCEEDED).getStatus()).isEqualTo("True");
            assertThat(condition(j, ConditionTypes.FAILED).getStatus()).isEqualTo("False");
            assertThat(condition(j, ConditionTypes.RUNNING).getStatus()).isEqualTo("False");
            assertThat(condition(j, ConditionTypes.ACCEPTED).getStatus()).isEqualTo("True");
            assertThat(condition(j, ConditionTypes.SUSPENDED).getStatus()).isEqualTo("False");
        });
        assertThat(pod("life-3")).isNull();

        List<String> reasons = client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "life".equals(e.getInvolvedObject().getName())).map(Event::getReason).toList();
        assertThat(reasons).contains(Reasons.CREATED, Reasons.PREEMPTED, Reasons.RESUMED, "Succeeded");

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("annealer_preemptions_total{cause=\"PreemptionByScheduler\"} 1.0");
        assertThat(metrics).contains("annealer_resume_latency_seconds_count");
        // the trainer poller's counters (the scale benchmark reads them)
        assertThat(metrics).contains("annealer_progress_fetches_total", "annealer_progress_fetches_failed_total",
                "annealer_progress_fetches_in_flight");
        assertThat(metrics).containsPattern("annealer_jobs\\{phase=\"Succeeded\"} [1-9]");
        assertThat(metrics).contains("reconciliations_");
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void suspendRemovesThePodAndResumeStartsTheNextAttempt() {
        FineTuneJob job = Jobs.sgdr();
        job.getMetadata().setName("pause");
        job.getMetadata().setUid(null);
        job.getMetadata().setGeneration(null);
        client.resource(job).inNamespace(NS).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> pod("pause-1"), p -> p != null);
        setStatus("pause-1", running());

        FineTuneJob current = job("pause");
        current.getSpec().setSuspend(true);
        client.resource(current).inNamespace(NS).update();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            FineTuneJob j = job("pause");
            assertThat(j.getStatus().getPhase()).isEqualTo(Phase.SUSPENDED);
            assertThat(condition(j, ConditionTypes.SUSPENDED).getStatus()).isEqualTo("True");
            assertThat(j.getStatus().getPreemptions()).isZero();
            assertThat(j.getStatus().getFailures()).isZero();
        });
        assertThat(pod("pause-1")).as("deleted gracefully by the operator").isNull();

        current = job("pause");
        current.getSpec().setSuspend(false);
        client.resource(current).inNamespace(NS).update();
        await().atMost(Duration.ofSeconds(15)).until(() -> pod("pause-2"), p -> p != null);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            FineTuneJob j = job("pause");
            assertThat(condition(j, ConditionTypes.SUSPENDED).getStatus()).isEqualTo("False");
            assertThat(j.getStatus().getAttempt()).isEqualTo(2);
        });
    }

    @Test
    void reconcilingAnUnchangedRunningJobMakesNoApiWrites() throws Exception {
        FineTuneJob job = Jobs.sgdr();
        job.getMetadata().setName("quiet");
        job.getMetadata().setUid(null);
        job.getMetadata().setGeneration(null);
        client.resource(job).inNamespace(NS).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> pod("quiet-1"), p -> p != null);
        String uid = job("quiet").getMetadata().getUid();
        FakeTrainer.token = token(client.secrets().inNamespace(NS).withName("quiet-progress").get());
        FakeTrainer.body = report(uid, 1, 42);
        setStatus("quiet-1", running());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(job("quiet").getStatus().getStep()).isEqualTo(42L));
        Thread.sleep(1500); // let the write that set step=42 and its echoes settle

        drain();
        int pollsBefore = FakeTrainer.POLLS.get();
        Thread.sleep(4000); // poll interval is 1 s in the test profile: several reconciles happen here
        List<String> writes = new ArrayList<>();
        for (RecordedRequest r : drain()) {
            if (!"GET".equals(r.getMethod())) {
                writes.add(r.getMethod() + " " + r.getPath());
            }
        }
        assertThat(FakeTrainer.POLLS.get() - pollsBefore).as("reconciles (each polls the trainer once)").isGreaterThanOrEqualTo(2);
        assertThat(writes).as("API writes while nothing changed").isEmpty();
    }

    @Test
    void aPodTheApiServerRefusesLeavesItsMessageInStatusAndIsRetried() {
        String quota = "pods \"refused-1\" is forbidden: exceeded quota: gpu-quota, requested: nvidia.com/gpu=1, "
                + "used: nvidia.com/gpu=8, limited: nvidia.com/gpu=8";
        server.expect().post().withPath("/api/v1/namespaces/" + NS + "/pods")
                .andReturn(403, new io.fabric8.kubernetes.api.model.StatusBuilder().withStatus("Failure").withCode(403)
                        .withReason("Forbidden").withMessage(quota).build()).once();
        FineTuneJob job = Jobs.sgdr();
        job.getMetadata().setName("refused");
        job.getMetadata().setUid(null);
        job.getMetadata().setGeneration(null);
        client.resource(job).inNamespace(NS).create();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            FineTuneJob j = job("refused");
            assertThat(j.getStatus()).isNotNull();
            FineTuneJobCondition running = condition(j, ConditionTypes.RUNNING);
            assertThat(running.getReason()).isEqualTo(Reasons.POD_CREATE_REJECTED);
            assertThat(running.getMessage()).contains("HTTP 403").contains(quota);
            assertThat(j.getStatus().getAttempt()).isZero();
        });
        // events are recorded right after the status write
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo(Reasons.POD_CREATE_REJECTED);
                    assertThat(e.getMessage()).contains("exceeded quota");
                }));
        // the quota frees up: the retry (6 polls = 6 s in the test profile) creates the pod
        await().atMost(Duration.ofSeconds(30)).until(() -> pod("refused-1"), p -> p != null);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(condition(job("refused"), ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.POD_PENDING));
    }

    private List<RecordedRequest> drain() throws InterruptedException {
        List<RecordedRequest> out = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.getKubernetesMockServer().takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
            out.add(r);
        }
        return out;
    }

    /**
     * The trainer's validation metrics reach {@code status.evaluation} through the progress polling: causal-LM
     * perplexity with the step of the evaluation, then classification accuracy and macro-F1; a later report without a
     * new evaluation keeps the newest one.
     */
    @Test
    void validationMetricsAppearInStatusEvaluation() {
        FineTuneJob job = Jobs.sgdr();
        job.getMetadata().setName("evals");
        job.getMetadata().setUid(null);
        job.getMetadata().setGeneration(null);
        client.resource(job).inNamespace(NS).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> pod("evals-1"), p -> p != null);
        String uid = job("evals").getMetadata().getUid();
        Secret secret = await().atMost(Duration.ofSeconds(10))
                .until(() -> client.secrets().inNamespace(NS).withName("evals-progress").get(), s -> s != null);
        FakeTrainer.token = token(secret);

        // causal LM: loss and perplexity measured after step 600, reported at step 640
        FakeTrainer.body = evalReport(uid, 640, "\"validationLoss\":1.2345678,\"validationPerplexity\":3.4368,"
                + "\"validationStep\":600");
        setStatus("evals-1", running());
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            EvaluationStatus e = job("evals").getStatus().getEvaluation();
            assertThat(e).isNotNull();
            assertThat(e.getStep()).isEqualTo(600L);
            assertThat(e.getLoss()).isEqualTo(1.2345678);
            assertThat(e.getPerplexity()).isEqualTo(3.4368);
            assertThat(e.getAccuracy()).isNull();
            assertThat(e.getF1()).isNull();
            assertThat(e.getSummary()).isEqualTo("step 600: loss 1.235 ppl 3.437");
            assertThat(job("evals").getStatus().getValidationLoss()).isEqualTo(1.2345678);
        });

        // classification metrics of a later evaluation replace them
        FakeTrainer.body = evalReport(uid, 900, "\"validationLoss\":0.41,\"validationAccuracy\":0.875,"
                + "\"validationMacroF1\":0.86111,\"validationStep\":900");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            EvaluationStatus e = job("evals").getStatus().getEvaluation();
            assertThat(e.getStep()).isEqualTo(900L);
            assertThat(e.getAccuracy()).isEqualTo(0.875);
            assertThat(e.getF1()).isEqualTo(0.86111);
            assertThat(e.getPerplexity()).isNull();
            assertThat(e.getSummary()).isEqualTo("step 900: loss 0.41 acc 0.8750 F1 0.8611");
        });

        // a report without a validation loss (e.g. a resumed attempt before its first evaluation) keeps the newest
        FakeTrainer.body = evalReport(uid, 950, "\"validationLoss\":null");
        await().atMost(Duration.ofSeconds(15)).until(() -> Long.valueOf(950L).equals(job("evals").getStatus().getStep()));
        assertThat(job("evals").getStatus().getEvaluation().getStep()).isEqualTo(900L);
        assertThat(job("evals").getStatus().getEvaluation().getAccuracy()).isEqualTo(0.875);
        client.resources(FineTuneJob.class).inNamespace(NS).withName("evals").delete();
    }

    private static String evalReport(String uid, long step, String validation) {
        return "{\"jobUid\":\"" + uid + "\",\"attempt\":1,\"step\":" + step + ",\"epoch\":0.25,\"cycle\":0,"
                + "\"cycleStep\":" + step + ",\"cycleLength\":2500,\"learningRate\":2.4e-4,\"loss\":0.5," + validation
                + ",\"lastCheckpoint\":null,\"phase\":\"Running\",\"reportedAt\":\"2026-11-28T10:00:01Z\"}";
    }

    private static String report(String uid, int attempt, long step) {
        return "{\"jobUid\":\"" + uid + "\",\"attempt\":" + attempt + ",\"step\":" + step + ",\"epoch\":0.25,\"cycle\":0,"
                + "\"cycleStep\":" + step + ",\"cycleLength\":2500,\"learningRate\":2.4e-4,\"loss\":0.5,\"validationLoss\":0.6,"
                + "\"lastCheckpoint\":{\"step\":500,\"time\":\"2026-11-28T10:00:00Z\",\"digest\":\"sha256:aa\","
                + "\"name\":\"step-000000000500\"},\"phase\":\"Running\",\"reportedAt\":\"2026-11-28T10:00:01Z\"}";
    }

    private static PodStatus running() {
        return new PodStatusBuilder().withPhase("Running").withPodIP("127.0.0.1")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True")
                        .withLastTransitionTime(Instant.now().toString()).build())
                .addToContainerStatuses(new ContainerStatusBuilder().withName("trainer").withReady(true).withNewState()
                        .withNewRunning().withStartedAt(Instant.now().toString()).endRunning().endState().build())
                .build();
    }

    private void setStatus(String podName, PodStatus status) {
        Pod p = pod(podName);
        p.setStatus(status);
        client.pods().inNamespace(NS).resource(p).updateStatus();
    }

    private Pod pod(String name) {
        return client.pods().inNamespace(NS).withName(name).get();
    }

    private FineTuneJob job(String name) {
        return client.resources(FineTuneJob.class).inNamespace(NS).withName(name).get();
    }

    private static FineTuneJobCondition condition(FineTuneJob j, String type) {
        return j.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    private static String token(Secret s) {
        if (s.getData() != null && s.getData().containsKey("token")) {
            return new String(Base64.getDecoder().decode(s.getData().get("token")), StandardCharsets.UTF_8);
        }
        return s.getStringData().get("token");
    }
}
