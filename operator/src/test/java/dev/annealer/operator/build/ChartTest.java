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

        Map<String, Object> role = kind(docs, "ClusterRole").get(0);
        Map<String, Object> generated = YAML.readValue(CHART.resolve("files/generated/clusterrole.yaml").toFile(), Map.class);
        assertThat(role.get("rules")).isEqualTo(generated.get("rules"));
        assertThat(kind(docs, "ClusterRoleBinding")).hasSize(1);
        assertThat(kind(docs, "RoleBinding")).isEmpty();
        assertThat(kind(docs, "ServiceAccount")).hasSize(1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void watchedNamespacesGetRoleBindingsInsteadOfAClusterRoleBinding(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        Path values = tmp.resolve("values.yaml");
        Files.writeString(values, "watchNamespaces: [team-a, team-b]\n");
        List<Map<String, Object>> docs = render(new Helm(CHART).template().withName("annealer").withNamespace("annealer-system")
                .withValuesFile(values).call());
        assertThat(kind(docs, "ClusterRoleBinding")).isEmpty();
        assertThat(kind(docs, "RoleBinding")).extracting(d -> ((Map<String, Object>) d.get("metadata")).get("namespace"))
                .containsExactlyInAnyOrder("team-a", "team-b", "annealer-system");
        assertThat(kind(docs, "Deployment").get(0).toString())
                .contains("name=QUARKUS_OPERATOR_SDK_CONTROLLERS_FINETUNEJOB_NAMESPACES, value=team-a,team-b");
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

    static List<Map<String, Object>> kind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }
}
