package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.api.v1alpha1.FineTuneJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every examples/*.yaml (and hack/flagship/*.yaml, the job that pretrains the flagship's base) parses strictly and round-trips. */
class ExamplesTest {

    @Test
    void theQuickstartAndAtLeastThreeOtherExamplesExist() throws IOException {
        assertThat(Examples.files()).extracting(p -> p.getFileName().toString()).contains("quickstart.yaml")
                .hasSizeGreaterThanOrEqualTo(4);
    }

    @Test
    void theFlagshipAndTheJobThatPretrainsItsBaseExist() throws IOException {
        assertThat(Examples.files()).extracting(p -> p.getFileName().toString()).contains("support-assistant-lora.yaml");
        assertThat(Examples.buildJobs()).extracting(p -> p.getFileName().toString()).contains("pretrain-base.yaml");
    }

    @TestFactory
    List<DynamicTest> everyExampleParsesAndRoundTrips() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        List<Path> files = new ArrayList<>(Examples.files());
        files.addAll(Examples.buildJobs());
        for (Path f : files) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
                FineTuneJob job = FineTuneJobs.read(f);
                assertThat(job.getMetadata().getName()).isNotBlank();
                assertThat(job.getStatus()).isNull();
                String written = FineTuneJobs.toYaml(job);
                assertThat(FineTuneJobs.parse(written, "written")).isEqualTo(job);
                JsonNode in = FineTuneJobs.mapper().readTree(Files.readString(f));
                JsonNode out = FineTuneJobs.mapper().readTree(written);
                assertThat(out.equals(FineTuneJobsTest.NUMERIC_VALUE, in)).as("round trip of %s:%n%s", f, written).isTrue();
            }));
        }
        return tests;
    }
}
