package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code annealer schedule lr --from LIB:SCHEDULER --args <case args>} reproduces every shared conformance vector
 * (src/test/resources/lr-schedules.json, copied from the shared conformance folder) to 1e-9 relative, and
 * {@code schedule import} followed by {@code schedule lr -f} on the imported YAML gives the same numbers.
 */
class ScheduleLrConformanceTest {

    static final Pattern PER_EPOCH = Pattern.compile("epoch \\+ i / (\\d+)");
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode cases() throws IOException {
        try (InputStream in = ScheduleLrConformanceTest.class.getResourceAsStream("/lr-schedules.json")) {
            return JSON.readTree(in).get("cases");
        }
    }

    static List<String> lrArgs(JsonNode c) {
        List<String> a = new ArrayList<>(List.of("schedule", "lr", "--from",
                c.get("library").asText() + ":" + c.get("scheduler").asText(), "--args", c.get("args").toString(),
                "--steps", String.valueOf(c.get("lr").size())));
        Matcher m = PER_EPOCH.matcher(c.get("stepping").asText());
        if (m.find()) {
            a.add("--steps-per-epoch");
            a.add(m.group(1));
        }
        return a;
    }

    static double maxRelativeError(JsonNode expected, String[] lines) {
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            double want = expected.get(i).asDouble();
            double got = Double.parseDouble(lines[i]);
            double err = want == 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    @TestFactory
    List<DynamicTest> lrReproducesEveryPeerVector() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.get("id").asText() + " " + c.get("scheduler").asText(), () -> {
                Cli r = Cli.run(lrArgs(c).toArray(String[]::new));
                assertThat(r.err()).isEmpty();
                assertThat(r.exitCode()).isZero();
                String[] lines = r.out().split("\n");
                assertThat(lines).hasSize(c.get("lr").size());
                for (String l : lines) {
                    // round-trip digits: what we print parses back to the very double we computed
                    assertThat(Double.toString(Double.parseDouble(l))).isEqualTo(l);
                }
                double err = maxRelativeError(c.get("lr"), lines);
                System.out.printf("[cli conformance] %s %-55s max rel error %.3e%n", c.get("id").asText(),
                        c.get("library").asText() + ":" + c.get("scheduler").asText(), err);
                assertThat(err).isLessThanOrEqualTo(1e-9);
            }));
        }
        assertThat(tests).hasSize(23);
        return tests;
    }

    @TestFactory
    List<DynamicTest> importedYamlInAJobGivesTheSameVector() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("annealer-import");
        for (JsonNode c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.get("id").asText(), () -> {
                List<String> a = lrArgs(c);
                a.set(1, "import");
                a.remove(a.indexOf("--steps") + 1);
                a.remove("--steps");
                Cli imp = Cli.run(a.toArray(String[]::new));
                assertThat(imp.err()).isEmpty();
                assertThat(imp.exitCode()).isZero();
                assertThat(imp.out()).contains("optimizer:", "learningRate:", "schedule:", "type:");
                int n = c.get("lr").size();
                String job = """
                        apiVersion: annealer.dev/v1alpha1
                        kind: FineTuneJob
                        metadata: {name: imported}
                        spec:
                          model: {source: "builtin:mlp"}
                          data: {train: train.csv, label: "y"}
                          training: {maxSteps: %d}
                        """.formatted(n) + indent(imp.out());
                java.nio.file.Path f = dir.resolve(c.get("id").asText() + ".yaml");
                java.nio.file.Files.writeString(f, job);
                Cli lr = Cli.run("schedule", "lr", "-f", f.toString(), "--steps", String.valueOf(n));
                assertThat(lr.err()).as(job).isEmpty();
                assertThat(lr.exitCode()).isZero();
                assertThat(maxRelativeError(c.get("lr"), lr.out().split("\n"))).isLessThanOrEqualTo(1e-9);
            }));
        }
        return tests;
    }

    static String indent(String yaml) {
        StringBuilder sb = new StringBuilder();
        for (String line : yaml.split("\n")) {
            sb.append("  ").append(line).append('\n');
        }
        return sb.toString();
    }
}
