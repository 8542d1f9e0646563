package dev.annealer.it;

import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.devcluster.CommandResult;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed FineTuneJob CRD installs on a real server and serves the contract's names. */
@RealApiServer
class CrdIT {

    @Test
    void committedCrdInstallsAndBecomesEstablished(ControlPlane cp) {
        CustomResourceDefinition crd = Crds.install(cp.adminClient(), RepoFiles.requireCrd());

        assertThat(Crds.isEstablished(crd)).isTrue();
        assertThat(crd.getSpec().getGroup()).isEqualTo("annealer.dev");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo("FineTuneJob");
        assertThat(crd.getSpec().getNames().getShortNames()).contains("ftj");
        assertThat(crd.getSpec().getVersions()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("v1alpha1");
            assertThat(v.getServed()).isTrue();
            assertThat(v.getStorage()).isTrue();
            assertThat(v.getSubresources()).as("status subresource").isNotNull();
            assertThat(v.getSubresources().getStatus()).as("status subresource").isNotNull();
        });
        // "NamesAccepted" False would mean a clash with another CRD's names.
        assertThat(crd.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("NamesAccepted");
            assertThat(c.getStatus()).isEqualTo("True");
        });
    }

    @Test
    void installingTwiceIsANoOp(ControlPlane cp) {
        CustomResourceDefinition first = Crds.install(cp.adminClient(), RepoFiles.requireCrd());
        CustomResourceDefinition second = Crds.install(cp.adminClient(), RepoFiles.requireCrd());
        assertThat(second.getMetadata().getGeneration()).isEqualTo(first.getMetadata().getGeneration());
    }

    @Test
    void anLrRangeTestStatusSurvivesPruningAndShowsInTheWideTable(ControlPlane cp) {
        Crds.install(cp.adminClient(), RepoFiles.requireCrd());
        String ns = Namespaces.create(cp.adminClient(), "lr-range-status");
        GenericKubernetesResource job = Yaml.MAPPER.convertValue(
                Yaml.documents(RepoFiles.root().resolve("examples/quickstart.yaml")).get(0), GenericKubernetesResource.class);
        job.getMetadata().setNamespace(ns);
        GenericKubernetesResource created = cp.adminClient().resource(job).create();
        Map<String, Object> lr = new LinkedHashMap<>();
        lr.put("suggested", 0.0024094035602395267);
        lr.put("summary", "2.41e-03 (valley)");
        lr.put("valley", 0.0024094035602395267);
        lr.put("steep", 7.663410868007458E-7);
        lr.put("minimum", 0.027049597304631367);
        lr.put("slide", 0.067475440531107);
        lr.put("plot", "pvc://quickstart-checkpoints/lr-range-test.png");
        created.setAdditionalProperty("status", Map.of("phase", "Succeeded", "lrRangeTest", lr));
        GenericKubernetesResource stored = cp.adminClient().resource(created).updateStatus();

        // the structural schema keeps every field (an undeclared one would be pruned silently)
        assertThat(((Map<?, ?>) stored.getAdditionalProperties().get("status")).get("lrRangeTest")).isEqualTo(lr);
        CommandResult wide = cp.kubectl("get", "ftj", "-n", ns, "-o", "wide");
        assertThat(wide.ok()).as(wide.describe()).isTrue();
        assertThat(wide.stdout()).contains("SUGGESTED LR").contains("2.41e-03 (valley)");
        CommandResult plain = cp.kubectl("get", "ftj", "-n", ns);
        assertThat(plain.stdout()).doesNotContain("SUGGESTED LR").contains("PREEMPTED");
    }
}
