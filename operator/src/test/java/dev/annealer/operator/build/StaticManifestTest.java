package dev.annealer.operator.build;

import com.marcnuri.helm.Helm;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/install.yaml, the kubectl-only install (no Helm on the user's side), is the chart rendered with its default
 * values as release {@code annealer} in {@code annealer-system}, preceded by the Namespace and the CRD.
 */
class StaticManifestTest {

    static final Path MANIFEST = GeneratedFiles.ROOT.resolve("deploy/install.yaml");
    static final String NAMESPACE = "annealer-system";

    static String render() throws IOException {
        String templates = new Helm(ChartTest.CHART).template().withName("annealer").withNamespace(NAMESPACE).call();
        // the API module's CRD, of which the chart's is a checked copy (so one regenerate run suffices)
        String crd = Files.readString(GeneratedFiles.ROOT.resolve("crds").resolve(ChartCrdsTest.CRD));
        StringBuilder out = new StringBuilder()
                .append("# Annealer operator, static install for kubectl only (no Helm needed):\n")
                .append("#   kubectl apply --server-side -f deploy/install.yaml\n")
                .append("# GENERATED from charts/annealer with its default values (release annealer, namespace ")
                .append(NAMESPACE).append(")\n# by StaticManifestTest: do not edit; `make regenerate` rewrites it.\n")
                .append("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ").append(NAMESPACE).append('\n')
                .append("---\n# Source: annealer/crds/").append(ChartCrdsTest.CRD).append('\n')
                .append(crd.startsWith("---") ? crd.substring(crd.indexOf('\n') + 1) : crd);
        if (!crd.endsWith("\n")) {
            out.append('\n');
        }
        return out.append(templates.strip()).append('\n').toString();
    }

    @Test
    void manifestIsTheRenderedChart() throws IOException {
        GeneratedFiles.assertUpToDate(MANIFEST, render(),
                "rewrite it with `make regenerate` (or mvn -pl operator -am test -Dtest=StaticManifestTest -Dregenerate=true)");
    }

    @Test
    void manifestHoldsEverythingAnInstallNeedsOnce() throws IOException {
        List<Map<String, Object>> docs = ChartTest.render(Files.readString(MANIFEST));
        for (String kind : List.of("Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRoleBinding",
                "Role", "RoleBinding", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy")) {
            assertThat(ChartTest.kind(docs, kind)).as(kind).hasSize(1);
        }
        // the operator's, and the two aggregated into edit/admin and view
        assertThat(ChartTest.kind(docs, "ClusterRole")).extracting(ChartTest::namespaceAndName)
                .containsExactlyInAnyOrder("null/annealer", "null/annealer-edit", "null/annealer-view");
    }
}
