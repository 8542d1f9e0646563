package dev.annealer.it;

import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every manifest in {@code examples/*.yaml} is accepted by a real server with strict field validation (what
 * {@code kubectl apply --server-side --validate=strict} does), and an unknown field is caught, not silently pruned.
 */
@RealApiServer
class ExamplesIT {

    @BeforeAll
    static void installCrd(ControlPlane cp) {
        Crds.install(cp.adminClient(), RepoFiles.requireCrd());
    }

    @TestFactory
    Stream<DynamicTest> everyExampleIsAcceptedWithStrictValidation(ControlPlane cp) {
        List<Path> examples = RepoFiles.yamlFiles("examples");
        if (examples.isEmpty()) {
            RepoFiles.missing("examples/ holds no *.yaml yet");
        }
        return examples.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            List<String> ownNamespaces = Yaml.documents(file).stream()
                    .filter(d -> d instanceof Map<?, ?> m && m.get("metadata") instanceof Map<?, ?> md
                            && md.get("namespace") != null)
                    .map(d -> String.valueOf(((Map<?, ?>) ((Map<?, ?>) d).get("metadata")).get("namespace")))
                    .distinct().toList();
            boolean setsNamespace = !ownNamespaces.isEmpty();
            // why: an example may name its namespace (as a user's manifest would); it must exist to be accepted
            ownNamespaces.forEach(n -> cp.adminClient().namespaces().resource(new NamespaceBuilder()
                    .withNewMetadata().withName(n).endMetadata().build()).createOr(r -> r.update()));
            String ns = Namespaces.create(cp.adminClient(), "example");
            List<String> target = setsNamespace ? List.of("-f", file.toString())
                    : List.of("-n", ns, "-f", file.toString());
            CommandResult apply = cp.kubectl(concat(List.of("apply", "--server-side", "--validate=strict",
                    "--field-manager=annealer-it"), target));
            String hint = apply.stderr().contains("valueUnstructured{Value:true}")
                    || apply.stderr().contains("valueUnstructured{Value:false}")
                    ? "\nhint: kubectl reads YAML 1.1, where unquoted y/n/yes/no/on/off are booleans: quote the value"
                    : "";
            assertThat(apply.ok()).as("%s must be accepted by the API server:%n%s%s", file.getFileName(),
                    apply.describe(), hint).isTrue();
            assertThat(apply.stderr()).as("no warnings (deprecated or unknown fields) for %s", file.getFileName())
                    .doesNotContainIgnoringCase("warning");
            CommandResult delete = cp.kubectl(concat(List.of("delete", "--wait=false", "--ignore-not-found"), target));
            assertThat(delete.ok()).as(delete.describe()).isTrue();
        }));
    }

    @Test
    void unknownSpecFieldIsRejectedWithStrictValidationAndPrunedOtherwise(ControlPlane cp) {
        Map<String, Object> job = firstFineTuneJob();
        String ns = Namespaces.create(cp.adminClient(), "unknown-field");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) job.get("spec");
        spec.put("learningRateTypo", 0.1);
        GenericKubernetesResource resource = Yaml.MAPPER.convertValue(job, GenericKubernetesResource.class);
        resource.getMetadata().setNamespace(ns);
        resource.getMetadata().setName("with-unknown-field");

        assertThatThrownBy(() -> cp.adminClient().resource(resource)
                .fieldValidation(FieldValidateable.Validation.STRICT).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("unknown field \"spec.learningRateTypo\"");
                });

        // Without strict validation the structural schema prunes the field: it must not reach the operator.
        GenericKubernetesResource stored = cp.adminClient().resource(resource)
                .fieldValidation(FieldValidateable.Validation.IGNORE).create();
        @SuppressWarnings("unchecked")
        Map<String, Object> storedSpec = (Map<String, Object>) stored.getAdditionalProperties().get("spec");
        assertThat(storedSpec).isNotEmpty().doesNotContainKey("learningRateTypo");
    }

    @Test
    void kubectlValidateStrictRejectsAnUnknownTopLevelField(ControlPlane cp) throws Exception {
        Map<String, Object> job = firstFineTuneJob();
        job.put("spek", Map.of("typo", true));
        String ns = Namespaces.create(cp.adminClient(), "kubectl-strict");
        Path file = java.nio.file.Files.createTempFile("unknown-field-", ".yaml");
        try {
            java.nio.file.Files.writeString(file, Yaml.write(job));
            // What users type: client-side apply sends fieldValidation=Strict.
            CommandResult r = cp.kubectl("apply", "--validate=strict", "-n", ns, "-f", file.toString());
            assertThat(r.ok()).as(r.describe()).isFalse();
            assertThat(r.stderr()).contains("unknown field \"spek\"");
            // Server-side apply reports the same mistake in its own words.
            CommandResult ssa = cp.kubectl("apply", "--server-side", "--validate=strict", "-n", ns, "-f",
                    file.toString());
            assertThat(ssa.ok()).as(ssa.describe()).isFalse();
            assertThat(ssa.stderr()).contains(".spek: field not declared in schema");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    /** A deep copy of the first FineTuneJob in examples/ (quickstart.yaml first). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstFineTuneJob() {
        List<Path> files = RepoFiles.yamlFiles("examples").stream()
                .sorted((a, b) -> Boolean.compare(!a.endsWith("quickstart.yaml"), !b.endsWith("quickstart.yaml")))
                .toList();
        for (Path f : files) {
            for (Object d : Yaml.documents(f)) {
                if (d instanceof Map<?, ?> m && "FineTuneJob".equals(m.get("kind"))) {
                    Map<String, Object> copy = Yaml.MAPPER.convertValue(m, LinkedHashMap.class);
                    copy.remove("status");
                    // why: the tests choose the namespace; the example's own one may not exist
                    ((Map<String, Object>) copy.get("metadata")).remove("namespace");
                    return copy;
                }
            }
        }
        RepoFiles.missing("no FineTuneJob in examples/*.yaml yet");
        throw new AssertionError("unreachable");
    }

    private static String[] concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
