package dev.annealer.it;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.Namespaces;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test control plane itself: a real server with RBAC authorization and working ServiceAccount tokens. */
@RealApiServer
class ControlPlaneIT {

    @Test
    void kubectlTalksToTheServerWithTheGeneratedKubeconfig(ControlPlane cp) {
        CommandResult r = cp.kubectl("get", "--raw", "/readyz");
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.stdout()).isEqualTo("ok");
    }

    @Test
    void userWithoutBindingsIsRefused(ControlPlane cp) {
        try (KubernetesClient nobody = cp.nobodyClient()) {
            assertThatThrownBy(() -> nobody.secrets().inNamespace("default").list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage()).contains(ControlPlane.NOBODY_USER);
                    });
        }
    }

    @Test
    void serviceAccountGetsExactlyWhatItsRoleGrants(ControlPlane cp) {
        KubernetesClient admin = cp.adminClient();
        String granted = Namespaces.create(admin, "rbac-granted");
        String other = Namespaces.create(admin, "rbac-other");
        for (String ns : new String[] {granted, other}) {
            admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("cm")
                    .endMetadata().withData(Map.of("k", "v")).build()).create();
        }
        admin.serviceAccounts().inNamespace(granted).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("reader").endMetadata().build()).create();
        admin.rbac().roles().inNamespace(granted).resource(new RoleBuilder().withNewMetadata().withName("cm-reader")
                .endMetadata().addNewRule().withApiGroups("").withResources("configmaps").withVerbs("get", "list")
                .endRule().build()).create();
        admin.rbac().roleBindings().inNamespace(granted).resource(new RoleBindingBuilder().withNewMetadata()
                .withName("cm-reader").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "cm-reader")
                .addNewSubject().withKind("ServiceAccount").withName("reader").withNamespace(granted).endSubject()
                .build()).create();

        try (KubernetesClient sa = cp.serviceAccountClient(granted, "reader")) {
            assertThat(sa.configMaps().inNamespace(granted).withName("cm").get().getData()).containsEntry("k", "v");
            assertThatThrownBy(() -> sa.configMaps().inNamespace(other).withName("cm").get())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
            assertThatThrownBy(() -> sa.configMaps().inNamespace(granted).withName("cm").delete())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        }
    }
}
