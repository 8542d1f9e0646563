package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/reference/finetunejob.md is what ReferenceDoc makes from the committed CRD; the CRD is fully described. */
class ReferenceDocTest {

    static JsonNode crd() throws IOException {
        return new YAMLMapper().readTree(Generated.moduleDir().resolve(Generated.CRD_FILE).toFile());
    }

    @Test
    void committedReferenceMatchesTheCrd() throws IOException {
        String fresh = ReferenceDoc.render(crd());
        Path doc = Generated.repoRoot().resolve("docs/reference/finetunejob.md");
        if (Generated.regenerate()) {
            Files.createDirectories(doc.getParent());
            Files.writeString(doc, fresh);
            return;
        }
        assertThat(doc).as("docs/reference/finetunejob.md").exists();
        List<String> have = Files.readAllLines(doc);
        List<String> want = fresh.lines().toList();
        if (!have.equals(want)) {
            fail("docs/reference/finetunejob.md is out of date with the CRD; first difference:\n"
                    + Diffs.firstDifference(have, want) + "\nRegenerate it with:\n  " + Generated.REGENERATE_COMMAND);
        }
    }

    @Test
    void everyFieldOfTheCrdHasADescription() throws IOException {
        List<String> missing = new ArrayList<>();
        undescribed(crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec"), "spec", missing);
        undescribed(crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/status"), "status", missing);
        assertThat(missing).as("CRD properties without a description (kubectl explain shows nothing)").isEmpty();
    }

    @Test
    void printerColumnsAreThoseOfTheContractInOrder() throws IOException {
        List<String> names = new ArrayList<>();
        List<String> wide = new ArrayList<>();
        crd().at("/spec/versions/0/additionalPrinterColumns").forEach(c -> (c.path("priority").asInt() == 0 ? names : wide)
                .add(c.get("name").asText()));
        assertThat(names).containsExactly("Phase", "Reason", "Step", "Cycle", "LR", "Loss", "Preempted", "Age");
        assertThat(wide).as("-o wide").containsExactly("Attempt", "Failures", "Queue", "Checkpoint", "Suggested LR");
        // LR and Loss print the short strings, not full doubles (0.0013148809320872733)
        crd().at("/spec/versions/0/additionalPrinterColumns").forEach(c -> {
            if (List.of("LR", "Loss").contains(c.get("name").asText())) {
                assertThat(c.get("jsonPath").asText()).startsWith(".status.display.");
                assertThat(c.get("type").asText()).isEqualTo("string");
            }
        });
        assertThat(crd().at("/spec/names/shortNames/0").asText()).isEqualTo("ftj");
        assertThat(crd().at("/spec/versions/0/subresources/status").isObject()).isTrue();
    }

    private static void undescribed(JsonNode schema, String path, List<String> out) {
        if (!schema.hasNonNull("description") || schema.get("description").asText().isBlank()) {
            out.add(path);
        }
        JsonNode props = schema.get("properties");
        if (props != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                undescribed(e.getValue(), path + "." + e.getKey(), out);
            }
        }
        if (schema.has("items") && schema.get("items").has("properties")) {
            JsonNode items = schema.get("items");
            for (Iterator<Map.Entry<String, JsonNode>> it = items.get("properties").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                undescribed(e.getValue(), path + "[]." + e.getKey(), out);
            }
        }
    }
}
