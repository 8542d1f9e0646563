package dev.annealer.operator;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.metrics.OperatorMetrics;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two operator replicas with leader election on one lease (plain JOSDK, Fabric8 mock server): only the leader
 * reconciles (so only it creates pods and polls trainers); when it stops, the other takes over.
 */
@EnableKubernetesMockClient(crud = true)
class LeaderElectionTest {

    static KubernetesMockServer server;
    static KubernetesClient client;
    private final List<Operator> operators = new ArrayList<>();

    @AfterEach
    void stop() {
        operators.forEach(o -> {
            try {
                o.stop();
            } catch (RuntimeException ignored) {
                // already stopped
            }
        });
    }

    @Test
    void onlyTheLeaderReconcilesAndTheOtherTakesOver() throws Exception {
        CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
                Files.readString(Path.of("../crds/finetunejobs.annealer.dev-v1.yml")), CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        // JOSDK checks lease RBAC with a SelfSubjectRulesReview, which the CRUD mock cannot answer: allow leases
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder()
                        .withNewMetadata().endMetadata().withNewStatus().withIncomplete(false)
                        .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("get", "create", "update").endResourceRule().endStatus().build())
                .always();

        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        Operator a = start("replica-a", registryA);
        await().atMost(Duration.ofSeconds(20)).until(() -> lease() != null && "replica-a".equals(holder()));
        Operator b = start("replica-b", registryB);

        FineTuneJob job = Jobs.sgdr();
        job.getMetadata().setName("le");
        job.getMetadata().setUid(null);
        job.getMetadata().setGeneration(null);
        client.resource(job).inNamespace("team-a").create();

        await().atMost(Duration.ofSeconds(20)).until(() -> client.pods().inNamespace("team-a").withName("le-1").get() != null);
        Thread.sleep(1500);
        assertThat(jobsSeen(registryA)).as("the leader reconciled").isEqualTo(1);
        assertThat(jobsSeen(registryB)).as("the follower never reconciles").isZero();

        a.stop();
        await().atMost(Duration.ofSeconds(45)).until(() -> "replica-b".equals(holder()));
        // a change after the failover is handled by the new leader
        FineTuneJob current = client.resources(FineTuneJob.class).inNamespace("team-a").withName("le").get();
        current.getSpec().setSuspend(true);
        client.resource(current).update();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(jobsSeen(registryB)).isEqualTo(1));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            var p = client.pods().inNamespace("team-a").withName("le-1").get();
            return p == null || p.getMetadata().getDeletionTimestamp() != null;
        });
        assertThat(client.pods().inNamespace("team-a").withName("le-2").get()).as("no duplicate attempt").isNull();
    }

    private Operator start(String identity, SimpleMeterRegistry registry) {
        KubernetesClient own = server.createClient();
        Operator op = new Operator(o -> o.withKubernetesClient(own)
                .withUseSSAToPatchPrimaryResource(false)
                .withLeaderElectionConfiguration(new LeaderElectionConfiguration("annealer-operator-lock", "annealer-system",
                        // lease 10 s / renew 7 s: a loaded CI machine (load 15+ on 2 cores) missed a 2 s renew
                        // deadline, so the follower took over while the leader still reconciled
                        Duration.ofSeconds(10), Duration.ofSeconds(7), Duration.ofMillis(500), identity, null, false)));
        op.register(new FineTuneJobReconciler(TestConfig.INSTANCE, new OperatorMetrics(registry)));
        op.start();
        operators.add(op);
        return op;
    }

    private static double jobsSeen(SimpleMeterRegistry registry) {
        return registry.find("annealer.jobs").gauges().stream().mapToDouble(g -> g.value()).sum();
    }

    private static io.fabric8.kubernetes.api.model.coordination.v1.Lease lease() {
        return client.leases().inNamespace("annealer-system").withName("annealer-operator-lock").get();
    }

    private static String holder() {
        var l = lease();
        return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
    }
}
