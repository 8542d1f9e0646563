package dev.annealer.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code kubectl get ftj} on a real API server: short LR and loss, a REASON, and it fits 120 columns. */
@RealApiServer
class PrinterColumnsIT {

    @Test
    void aFailedJobReadsAtAGlanceIn120Columns(ControlPlane cp) {
        KubernetesClient client = cp.adminClient();
        Crds.install(client, RepoFiles.requireCrd());
        String ns = Namespaces.create(client, "columns");
        @SuppressWarnings("unchecked")
        Map<String, Object> manifest = (Map<String, Object>) Yaml.documents(RepoFiles.root().resolve("examples/quickstart.yaml")).get(0);
        GenericKubernetesResource job = Yaml.MAPPER.convertValue(manifest, GenericKubernetesResource.class);
        job.getMetadata().setNamespace(ns);
        job.getMetadata().setName("support-encoder-sgdr-finetune");
        job.getMetadata().setLabels(Map.of("kueue.x-k8s.io/queue-name", "gpu-team-a"));
        GenericKubernetesResource stored = client.resource(job).create();
        stored.getAdditionalProperties().put("status", Map.of(
                "phase", "Failed", "step", 1725, "attempt", 13, "failures", 2, "preemptions", 11,
                "schedule", Map.of("cycle", 3, "learningRate", 0.0013148809320872733),
                "loss", 0.042137781, "lastCheckpoint", Map.of("step", 1700, "name", "step-000000001700"),
                "display", Map.of("learningRate", "1.31e-03", "loss", "0.04214", "reason", "MaxPreemptionsExceeded")));
        client.resource(stored).updateStatus();

        CommandResult get = cp.kubectl("get", "ftj", "-n", ns);
        assertThat(get.ok()).as(get.describe()).isTrue();
        List<String> lines = get.stdout().lines().toList();
        assertThat(lines.get(0)).contains("PHASE", "REASON", "STEP", "CYCLE", "LR", "LOSS", "PREEMPTED", "AGE");
        assertThat(lines.get(1)).contains("Failed", "MaxPreemptionsExceeded", "1725", "1.31e-03", "0.04214")
                .doesNotContain("0.0013148809320872733");
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as("width of: %s", l).isLessThanOrEqualTo(120));

        CommandResult wide = cp.kubectl("get", "ftj", "-n", ns, "-o", "wide");
        assertThat(wide.ok()).as(wide.describe()).isTrue();
        assertThat(wide.stdout().lines().findFirst().orElseThrow()).contains("ATTEMPT", "FAILURES", "QUEUE", "CHECKPOINT");
        assertThat(wide.stdout()).contains("gpu-team-a", "1700");
    }
}
