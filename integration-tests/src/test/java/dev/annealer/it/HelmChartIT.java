package dev.annealer.it;

import dev.annealer.it.support.HelmCli;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * charts/annealer installed by the real {@code helm} (built from the Go module proxy by hack/helm.sh, cached under
 * ~/.cache/annealer/helm) into a real kube-apiserver: the objects it creates are the chart's (generated RBAC, the
 * Deployment with the images of images.properties under the registry given at install), the ServiceAccount may do
 * the operator's job and no more, {@code helm upgrade} to watched namespaces swaps the ClusterRoleBinding for
 * RoleBindings (a listed namespace that does not exist yet does not fail it), the operator reads no Secret but its own
 * key ({@code kubectl auth can-i}), and {@code helm uninstall} removes everything but the CRD. No pod runs (no node in
 * this tier).
 */
@RealApiServer
class HelmChartIT {

    static final String RELEASE = "annealer-it";
    static final String NS = "annealer-helm-it";
    static final String REGISTRY = "127.0.0.1:5000/annealer";
    static Path helm;
    static Properties images;

    @BeforeAll
    static void findHelm() throws IOException {
        helm = HelmCli.locateBinary();
        images = new Properties();
        try (Reader r = Files.newBufferedReader(RepoFiles.root().resolve("images.properties"))) {
            images.load(r);
        }
    }

    @Test
    void helmInstallUpgradeUninstall(ControlPlane cp) {
        KubernetesClient admin = cp.adminClient();
        String tag = images.getProperty("IMAGE_TAG");
        String chart = RepoFiles.root().resolve("charts/annealer").toString();

        helm(cp, "install", RELEASE, chart, "-n", NS, "--create-namespace", "--set", "imageRegistry=" + REGISTRY);
        assertThat(helm(cp, "list", "-n", NS, "-o", "json")).contains("\"name\":\"" + RELEASE + "\"", "\"status\":\"deployed\"");

        // the CRD (from crds/), established by the API server
        assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("finetunejobs.annealer.dev").get())
                .isNotNull();

        // the Deployment: images of images.properties under the registry given at install, locked-down container
        Deployment d = admin.apps().deployments().inNamespace(NS).withName(RELEASE).get();
        assertThat(d).as("Deployment %s/%s", NS, RELEASE).isNotNull();
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(RELEASE);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo(REGISTRY + "/" + images.getProperty("OPERATOR_IMAGE") + ":" + tag);
        Map<String, String> env = c.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        String trainer = REGISTRY + "/" + images.getProperty("TRAINER_IMAGE") + ":" + tag;
        assertThat(env).containsEntry("ANNEALER_TRAINER_IMAGE", trainer)
                .containsEntry("ANNEALER_TRAINER_GPU_IMAGE", trainer + images.getProperty("TRAINER_CUDA_SUFFIX"))
                .containsEntry("QUARKUS_OPERATOR_SDK_CONTROLLERS_FINETUNEJOB_NAMESPACES", "JOSDK_ALL_NAMESPACES");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();

        // RBAC: the generated rules, bound cluster-wide to the release's ServiceAccount
        assertThat(admin.serviceAccounts().inNamespace(NS).withName(RELEASE).get()).isNotNull();
        ClusterRole role = admin.rbac().clusterRoles().withName(RELEASE).get();
        assertThat(role).isNotNull();
        @SuppressWarnings("unchecked")
        List<Object> generated = (List<Object>) ((Map<String, Object>) Yaml.documents(
                RepoFiles.root().resolve("charts/annealer/files/generated/clusterrole.yaml")).get(0)).get("rules");
        assertThat(role.getRules()).isEqualTo(generated.stream().map(r -> Yaml.MAPPER.convertValue(r, PolicyRule.class)).toList());
        ClusterRoleBinding binding = admin.rbac().clusterRoleBindings().withName(RELEASE).get();
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo(RELEASE);
            assertThat(s.getNamespace()).isEqualTo(NS);
        });
        assertThat(allowed(admin, "annealer.dev", "finetunejobs", "watch", null)).isTrue();
        assertThat(allowed(admin, "", "pods", "create", "team-a")).isTrue();
        assertThat(allowed(admin, "coordination.k8s.io", "leases", "patch", NS)).isTrue();
        assertThat(allowed(admin, "", "nodes", "delete", null)).isFalse();
        assertThat(allowed(admin, "rbac.authorization.k8s.io", "clusterrolebindings", "create", null)).isFalse();

        // no Secret reads outside its own key: kubectl auth can-i as the operator's ServiceAccount
        String sa = "--as=system:serviceaccount:" + NS + ":" + RELEASE;
        assertThat(canI(cp, "get", "secrets", "-n", "team-a", sa)).as("get secrets in a job namespace").isEqualTo("no");
        assertThat(canI(cp, "list", "secrets", "--all-namespaces", sa)).isEqualTo("no");
        assertThat(canI(cp, "watch", "secrets", "-n", "team-a", sa)).isEqualTo("no");
        assertThat(canI(cp, "get", "secrets", "-n", NS, sa)).as("not even in its own namespace, but by name").isEqualTo("no");
        assertThat(canI(cp, "create", "secrets", "-n", "team-a", sa)).isEqualTo("yes");
        assertThat(canI(cp, "get", "secrets/" + RELEASE + "-progress-key", "-n", NS, sa)).isEqualTo("yes");
        assertThat(canI(cp, "get", "secrets/" + RELEASE + "-progress-key", "-n", "team-a", sa)).isEqualTo("no");
        assertThat(role.getRules()).filteredOn(r -> r.getResources().contains("secrets"))
                .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("create"));

        // the rest of the chart: disruption budget, network policy, edit/view roles for FineTuneJobs
        assertThat(admin.policy().v1().podDisruptionBudget().inNamespace(NS).withName(RELEASE).get().getSpec()
                .getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(admin.network().v1().networkPolicies().inNamespace(NS).withName(RELEASE).get()).isNotNull();
        assertThat(admin.rbac().clusterRoles().withName(RELEASE + "-edit").get().getMetadata().getLabels())
                .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true");
        assertThat(admin.rbac().clusterRoles().withName(RELEASE + "-view").get().getMetadata().getLabels())
                .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true");
        // (aggregation into edit/view is kube-controller-manager's, not running in this tier: bind the roles directly)
        bind(admin, "team-a", "alice", RELEASE + "-edit");
        bind(admin, "team-a", "bob", RELEASE + "-view");
        assertThat(canI(cp, "create", "finetunejobs.annealer.dev", "-n", "team-a", "--as=alice")).isEqualTo("yes");
        assertThat(canI(cp, "delete", "finetunejobs.annealer.dev", "-n", "team-a", "--as=alice")).isEqualTo("yes");
        assertThat(canI(cp, "list", "finetunejobs.annealer.dev", "-n", "team-a", "--as=bob")).isEqualTo("yes");
        assertThat(canI(cp, "create", "finetunejobs.annealer.dev", "-n", "team-a", "--as=bob")).isEqualTo("no");

        // upgrade to watched namespaces, one of which does not exist yet: the upgrade succeeds, RoleBindings where
        // the namespaces exist (and in the release namespace, for the lease), NOTES name the missing one
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("helm-it-team-a").endMetadata()
                .build()).createOr(r -> r.update());
        String notes = helm(cp, "upgrade", RELEASE, chart, "-n", NS, "--set", "imageRegistry=" + REGISTRY,
                "--set-json", "watchNamespaces=[\"helm-it-team-a\",\"helm-it-later\"]");
        assertThat(notes).contains("do not exist yet", "helm-it-later");
        assertThat(admin.rbac().roleBindings().inNamespace("helm-it-later").withName(RELEASE).get()).isNull();
        assertThat(admin.rbac().clusterRoleBindings().withName(RELEASE).get()).as("no ClusterRoleBinding").isNull();
        assertThat(admin.rbac().roleBindings().inNamespace("helm-it-team-a").withName(RELEASE).get()).isNotNull();
        assertThat(admin.network().v1().networkPolicies().inNamespace("helm-it-team-a").withName(RELEASE + "-trainers")
                .get()).as("trainer pods: progress port from the operator only").isNotNull();
        // the namespace appears; the same upgrade again binds it
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("helm-it-later").endMetadata()
                .build()).createOr(r -> r.update());
        assertThat(helm(cp, "upgrade", RELEASE, chart, "-n", NS, "--set", "imageRegistry=" + REGISTRY,
                "--set-json", "watchNamespaces=[\"helm-it-team-a\",\"helm-it-later\"]")).doesNotContain("do not exist yet");
        assertThat(admin.rbac().roleBindings().inNamespace("helm-it-later").withName(RELEASE).get()).isNotNull();
        assertThat(allowed(admin, "", "pods", "create", "helm-it-later")).isTrue();
        helm(cp, "upgrade", RELEASE, chart, "-n", NS, "--set", "imageRegistry=" + REGISTRY,
                "--set-json", "watchNamespaces=[\"helm-it-team-a\"]");
        assertThat(admin.rbac().roleBindings().inNamespace("helm-it-later").withName(RELEASE).get()).isNull();
        assertThat(admin.rbac().roleBindings().inNamespace(NS).withName(RELEASE).get()).isNotNull();
        assertThat(allowed(admin, "", "pods", "create", "helm-it-team-a")).isTrue();
        assertThat(allowed(admin, "", "pods", "create", "team-b")).as("namespaces not watched").isFalse();
        assertThat(admin.apps().deployments().inNamespace(NS).withName(RELEASE).get().getSpec().getTemplate().getSpec()
                .getContainers().get(0).getEnv()).anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("QUARKUS_OPERATOR_SDK_CONTROLLERS_FINETUNEJOB_NAMESPACES");
                    assertThat(e.getValue()).isEqualTo("helm-it-team-a");
                });
        // the schema refuses bad values before anything is applied
        List<String> bad = List.of(helm.toString(), "--kubeconfig", cp.kubeconfig().toString(), "upgrade", RELEASE, chart,
                "-n", NS, "--set", "replicaCount=two");
        CommandResult refused = CommandResult.run(bad, Duration.ofMinutes(2));
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("/replicaCount", "want integer");

        // uninstall: everything but the CRD (Helm never deletes crds/)
        helm(cp, "uninstall", RELEASE, "-n", NS, "--wait");
        assertThat(admin.apps().deployments().inNamespace(NS).withName(RELEASE).get()).isNull();
        assertThat(admin.rbac().clusterRoles().withName(RELEASE).get()).isNull();
        assertThat(admin.rbac().roleBindings().inNamespace("helm-it-team-a").withName(RELEASE).get()).isNull();
        assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("finetunejobs.annealer.dev").get())
                .isNotNull();
    }

    private static boolean allowed(KubernetesClient admin, String group, String resource, String verb, String namespace) {
        return admin.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder().withNewSpec()
                .withUser("system:serviceaccount:" + NS + ":" + RELEASE)
                .withGroups("system:serviceaccounts", "system:serviceaccounts:" + NS, "system:authenticated")
                .withNewResourceAttributes().withGroup(group).withResource(resource).withVerb(verb)
                .withNamespace(namespace).endResourceAttributes().endSpec().build()).getStatus().getAllowed();
    }

    private static String canI(ControlPlane cp, String... args) {
        List<String> all = new ArrayList<>(List.of("auth", "can-i"));
        all.addAll(List.of(args));
        CommandResult r = cp.kubectl(all.toArray(String[]::new));
        // exit 0 = yes, 1 = no; anything else (or other output) is an error
        assertThat(r.stdout().strip()).as("kubectl %s%n%s", String.join(" ", all), r.stderr()).isIn("yes", "no");
        return r.stdout().strip();
    }

    private static void bind(KubernetesClient admin, String ns, String user, String clusterRole) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .createOr(r -> r.update());
        admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata()
                .withName(user + "-" + clusterRole).endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", clusterRole)
                .addNewSubject().withKind("User").withApiGroup("rbac.authorization.k8s.io").withName(user).endSubject()
                .build()).createOr(r -> r.update());
    }

    private static String helm(ControlPlane cp, String... args) {
        List<String> cmd = new ArrayList<>(List.of(helm.toString(), "--kubeconfig", cp.kubeconfig().toString()));
        cmd.addAll(List.of(args));
        CommandResult r = CommandResult.run(cmd, Duration.ofMinutes(2));
        assertThat(r.exitCode()).as("%s%nstdout: %s%nstderr: %s", String.join(" ", cmd), r.stdout(), r.stderr()).isZero();
        return r.stdout();
    }
}
