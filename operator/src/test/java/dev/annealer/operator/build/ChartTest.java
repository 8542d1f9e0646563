package dev.annealer.operator.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/** charts/annealer lints and renders what the operator needs (Helm as a library). */
class ChartTest {

    static final Path CHART = GeneratedFiles.ROOT.resolve("charts/annealer");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void chartLints() {
        LintResult r = new Helm(CHART).lint().strict().call();
        assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
    }

    @Test
    @SuppressWarnings("unchecked")
    void defaultsRenderTwoReplicasTheGeneratedRbacAndAClusterWideBinding() throws IOException {
        List<Map<String, Object>> docs = render(new Helm(CHART).template().withName("annealer").withNamespace("annealer-system").call());
        Map<String, Object> deployment = kind(docs, "Deployment").get(0);
        Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
        assertThat(spec.get("replicas")).isEqualTo(2);
        Map<String, Object> container = ((List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>) spec
                .get("template")).get("spec")).get("containers")).get(0);
        assertThat(container.get("image")).isEqualTo(ImageNamesTest.OPERATOR);
        assertThat((List<Map<String, Object>>) container.get("env")).anySatisfy(e -> {
            assertThat(e.get("name")).isEqualTo("QUARKUS_OPERATOR_SDK_CONTROLLERS_FINETUNEJOB_NAMESPACES");
            assertThat(e.get("value")).isEqualTo("JOSDK_ALL_NAMESPACES");
        });
        assertThat(container.toString()).contains("/q/health/ready", "/q/health/live");

        Map<String, Object> role = named(kind(docs, "ClusterRole"), "annealer");
        Map<String, Object> generated = YAML.readValue(CHART.resolve("files/generated/clusterrole.yaml").toFile(), Map.class);
        assertThat(role.get("rules")).isEqualTo(generated.get("rules"));
        assertThat(kind(docs, "ClusterRoleBinding")).hasSize(1);
        assertThat(kind(docs, "RoleBinding")).as("only the progress key's, in the release namespace")
                .extracting(ChartTest::namespaceAndName).containsExactly("annealer-system/annealer-progress-key");
        assertThat(kind(docs, "ServiceAccount")).hasSize(1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesTheContainerPortWhateverTheServicePort() throws IOException {
        List<Map<String, Object>> docs = render(new Helm(CHART).template().withName("annealer").withNamespace("annealer-system")
                .set("metrics.service.port", 9090).call());
        Map<String, Object> podSpec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) kind(docs,
                "Deployment").get(0).get("spec")).get("template"));
        Map<String, Object> annotations = (Map<String, Object>) ((Map<String, Object>) podSpec.get("metadata")).get("annotations");
        List<Map<String, Object>> ports = (List<Map<String, Object>>) ((List<Map<String, Object>>) ((Map<String, Object>) podSpec
                .get("spec")).get("containers")).get(0).get("ports");
        assertThat(ports).singleElement().satisfies(p -> assertThat(p.get("containerPort")).isEqualTo(8080));
        assertThat(annotations).containsEntry("prometheus.io/port", "8080").containsEntry("prometheus.io/path", "/q/metrics");
        Map<String, Object> service = kind(docs, "Service").get(0);
        assertThat(service.toString()).contains("port=9090", "targetPort=http");
    }

    @Test
    @SuppressWarnings("unchecked")
    void defaultsRenderADisruptionBudgetNetworkPolicyAggregatedRolesAndTheProgressKeyRole() throws IOException {
        List<Map<String, Object>> docs = render(new Helm(CHART).template().withName("annealer").withNamespace("annealer-system").call());
        Map<String, Object> pdb = kind(docs, "PodDisruptionBudget").get(0);
        assertThat(pdb.get("spec")).isEqualTo(Map.of("maxUnavailable", 1, "selector", Map.of("matchLabels", Map.of(
                "app.kubernetes.io/name", "annealer-operator", "app.kubernetes.io/instance", "annealer"))));
        assertThat(kind(docs, "NetworkPolicy")).extracting(ChartTest::namespaceAndName)
                .as("watching all namespaces: no trainer policy unless networkPolicy.trainerNamespaces")
                .containsExactly("annealer-system/annealer");

        Map<String, Object> edit = named(kind(docs, "ClusterRole"), "annealer-edit");
        assertThat((Map<String, Object>) ((Map<String, Object>) edit.get("metadata")).get("labels"))
                .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
                .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true");
        assertThat(edit.get("rules").toString()).contains("resources=[finetunejobs]", "create", "delete");
        Map<String, Object> view = named(kind(docs, "ClusterRole"), "annealer-view");
        assertThat((Map<String, Object>) ((Map<String, Object>) view.get("metadata")).get("labels"))
                .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
                .doesNotContainKey("rbac.authorization.k8s.io/aggregate-to-edit");
        assertThat(view.get("rules").toString()).doesNotContain("create", "delete", "patch", "update");

        // the only Secret the operator reads: its key, by name, in its own namespace
        Map<String, Object> keyRole = kind(docs, "Role").get(0);
        assertThat(namespaceAndName(keyRole)).isEqualTo("annealer-system/annealer-progress-key");
        assertThat(keyRole.get("rules")).isEqualTo(List.of(
                Map.of("apiGroups", List.of(""), "resources", List.of("secrets"),
                        "resourceNames", List.of("annealer-progress-key"), "verbs", List.of("get")),
                Map.of("apiGroups", List.of(""), "resources", List.of("secrets"), "verbs", List.of("create"))));
        assertThat(kind(docs, "Deployment").get(0).toString())
                .contains("name=ANNEALER_PROGRESS_KEY_SECRET, value=annealer-progress-key");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theArgoCdHealthCheckRendersAsTheArgocdCmKeyOnlyWhenEnabled(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        assertThat(kind(render(new Helm(CHART).template().withName("annealer").withNamespace("annealer-system").call()),
                "ConfigMap")).as("off by default").isEmpty();
        Path values = tmp.resolve("values.yaml");
        Files.writeString(values, "argocd:\n  healthCheck:\n    enabled: true\n");
        List<Map<String, Object>> docs = render(new Helm(CHART).template().withName("annealer").withNamespace("annealer-system")
                .withValuesFile(values).call());
        Map<String, Object> cm = kind(docs, "ConfigMap").get(0);
        assertThat(((Map<String, Object>) cm.get("metadata")).get("name")).isEqualTo("annealer-argocd-health");
        String lua = (String) ((Map<String, Object>) cm.get("data")).get("resource.customizations.health.annealer.dev_FineTuneJob");
        assertThat(lua).as("the shipped Lua, verbatim").isEqualTo(Files.readString(CHART.resolve("files/argocd/finetunejob-health.lua")));
    }

    @Test
    void chartShipsTheCrd() {
        assertThat(Files.exists(CHART.resolve("crds/" + ChartCrdsTest.CRD))).isTrue();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> render(String text) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (YAMLParser p = new YAMLFactory().createParser(text)) {
            YAML.readValues(p, Map.class).forEachRemaining(d -> docs.add((Map<String, Object>) d));
        }
        docs.removeIf(Objects::isNull);
        return docs;
    }

    @SuppressWarnings("unchecked")
    static String namespaceAndName(Map<String, Object> doc) {
        Map<String, Object> meta = (Map<String, Object>) doc.get("metadata");
        return meta.get("namespace") + "/" + meta.get("name");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> named(List<Map<String, Object>> docs, String name) {
        return docs.stream().filter(d -> name.equals(((Map<String, Object>) d.get("metadata")).get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no object named " + name));
    }

    static List<Map<String, Object>> kind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }
}
