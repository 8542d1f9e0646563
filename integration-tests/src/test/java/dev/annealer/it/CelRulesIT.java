package dev.annealer.it;

import dev.annealer.api.validation.CrdValidator;
import dev.annealer.api.validation.KubeYaml;
import dev.annealer.api.validation.Violation;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.CelCases;
import dev.annealer.it.support.CelCases.CelCase;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.RepoFiles;
import dev.annealer.it.support.Yaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * CEL validation rules, row by row, on a real API server: each row's manifest must be rejected (HTTP 422) with a
 * message containing the row's {@code expectedMessage}; and the Java validator the CLI, the trainer and the operator
 * share ({@link CrdValidator}, built from the same CRD file) must give the same verdict with the same message.
 *
 * <p>Tables: {@code crds/src/test/resources/cel-cases/*.yaml} (the FineTuneJob CRD's rules, owned by the API team)
 * and this module's {@code cel-cases/} (rows for a fixture CRD that test the runner itself).
 */
@RealApiServer
class CelRulesIT {

    private static final AtomicInteger NAMES = new AtomicInteger();

    @TestFactory
    List<DynamicNode> everyRowIsRejectedWithItsMessage(ControlPlane cp) throws URISyntaxException {
        KubernetesClient client = cp.adminClient();
        List<DynamicNode> tables = new ArrayList<>();

        Crds.install(client, resource("cel-fixture-crd.yaml"));
        String fixtureNs = Namespaces.create(client, "cel-fixture");
        tables.add(table("runner fixture", resource("cel-cases/runner-fixture.yaml"), client, fixtureNs,
                validatorOf(resource("cel-fixture-crd.yaml"))));

        List<Path> apiTables = RepoFiles.yamlFiles("crds/src/test/resources/cel-cases");
        if (apiTables.isEmpty()) {
            System.err.println("CelRulesIT: crds/src/test/resources/cel-cases/ has no tables yet: only the runner's "
                    + "fixture rows ran");
        } else {
            Crds.install(client, RepoFiles.requireCrd());
            String ns = Namespaces.create(client, "cel-ftj");
            CrdValidator java = validatorOf(RepoFiles.requireCrd());
            for (Path t : apiTables) {
                tables.add(table(t.getFileName().toString(), t, client, ns, java));
            }
        }
        return tables;
    }

    @Test
    void aValidFixtureIsAcceptedSoRejectionsComeFromTheRules(ControlPlane cp) throws URISyntaxException {
        KubernetesClient client = cp.adminClient();
        Crds.install(client, resource("cel-fixture-crd.yaml"));
        String ns = Namespaces.create(client, "cel-valid");
        Map<String, Object> valid = Map.of("apiVersion", "it.annealer.dev/v1", "kind", "CelProbe",
                "spec", Map.of("learningRate", 0.01, "minLearningRate", 0.001, "periodMultiplier", 2));
        GenericKubernetesResource ok = toResource(valid, ns);
        assertThat(client.resource(ok).create().getMetadata().getUid()).isNotBlank();
        assertThat(validatorOf(resource("cel-fixture-crd.yaml")).validate(valid, null)).as("the Java validator agrees")
                .isEmpty();
    }

    private static DynamicContainer table(String title, Path file, KubernetesClient client, String ns,
                                          CrdValidator java) {
        List<CelCase> rows = CelCases.read(file);
        assertThat(rows).as("%s has no rows", file).isNotEmpty();
        return DynamicContainer.dynamicContainer(title, rows.stream().map(row ->
                DynamicTest.dynamicTest(row.name(), () -> {
                    assertRejected(client, ns, row);
                    assertRejectedInJava(java, row);
                })));
    }

    /** The same verdict from the Java validator: rejected, and the rule's message among the violations. */
    private static void assertRejectedInJava(CrdValidator java, CelCase row) {
        List<String> messages = java.validate(row.manifest(), row.old()).stream().map(Violation::message).toList();
        assertThat(messages).as("%s: the Java validator must reject it like the API server did", row.source())
                .anyMatch(m -> m.startsWith(row.expectedMessage()));
    }

    private static CrdValidator validatorOf(Path crd) {
        try {
            String text = java.nio.file.Files.readString(crd);
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) KubeYaml.parseAll(text, crd.toString()).get(0).value();
            return new CrdValidator(map);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertRejected(KubernetesClient client, String ns, CelCase row) {
        GenericKubernetesResource invalid = toResource(row.manifest(), ns);
        if (row.old() == null) {
            assertThatThrownBy(() -> client.resource(invalid).dryRun().create())
                    .as("%s (%s): the manifest must be rejected", row.source(), row.name())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> check(row, e));
            return;
        }
        // Transition rule: store `old` (spec via create, status via the status subresource), then update the spec.
        GenericKubernetesResource old = toResource(row.old(), ns);
        old.getMetadata().setName(invalid.getMetadata().getName());
        Object oldStatus = old.getAdditionalProperties().remove("status");
        GenericKubernetesResource stored;
        try {
            stored = client.resource(old).create();
            if (oldStatus != null) {
                stored.getAdditionalProperties().put("status", oldStatus);
                stored = client.resource(stored).updateStatus();
            }
        } catch (KubernetesClientException e) {
            fail("%s: its 'old' object must be valid, but the server said: %s", row.source(), e.getMessage());
            return;
        }
        GenericKubernetesResource update = stored;
        update.getAdditionalProperties().put("spec", invalid.getAdditionalProperties().get("spec"));
        try {
            assertThatThrownBy(() -> client.resource(update).dryRun().update())
                    .as("%s (%s): the update must be rejected", row.source(), row.name())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> check(row, e));
        } finally {
            client.resource(stored).withGracePeriod(0).delete();
        }
    }

    private static void check(CelCase row, KubernetesClientException e) {
        assertThat(e.getCode()).as("%s: HTTP status (422 = validation); server said: %s", row.source(),
                e.getMessage()).isEqualTo(422);
        assertThat(e.getMessage()).as("%s: server message", row.source()).contains(row.expectedMessage());
    }

    private static GenericKubernetesResource toResource(Map<String, Object> manifest, String ns) {
        GenericKubernetesResource r = Yaml.MAPPER.convertValue(manifest, GenericKubernetesResource.class);
        if (r.getMetadata() == null) {
            r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
        }
        if (r.getMetadata().getName() == null) {
            r.getMetadata().setName("cel-case-" + NAMES.incrementAndGet());
        }
        r.getMetadata().setNamespace(ns);
        return r;
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(CelRulesIT.class.getClassLoader().getResource(name).toURI());
    }
}
