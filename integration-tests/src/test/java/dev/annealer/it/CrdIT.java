package dev.annealer.it;

import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.RepoFiles;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import org.junit.jupiter.api.Test;

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
}
