package dev.annealer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.InvalidManifestException;
import dev.annealer.api.ManifestException;
import dev.annealer.api.validation.Violation;
import dev.annealer.devcluster.CommandResult;
import dev.annealer.devcluster.ControlPlane;
import dev.annealer.it.controlplane.RealApiServer;
import dev.annealer.it.support.Crds;
import dev.annealer.it.support.Namespaces;
import dev.annealer.it.support.RepoFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The same verdict from kubectl + a real API server and from the Java validator the CLI, the trainer and the operator
 * share, on the manifests of {@code crds/src/test/resources/schema-cases/} (YAML text exactly as a user writes it: an
 * unquoted {@code y}, a typo, a wrong type, ...). CEL rules: {@link CelRulesIT}; the examples are accepted by the
 * API server ({@link ExamplesIT}) and by the Java validator ({@code CelCasesTest}, {@code ValidateCommandTest}).
 */
@RealApiServer
class ValidatorParityIT {

    private static final Pattern VERDICT = Pattern.compile("(?m)^# verdict: (valid|invalid at (\\S+))\\s*$");

    @BeforeAll
    static void installCrd(ControlPlane cp) {
        Crds.install(cp.adminClient(), RepoFiles.requireCrd());
    }

    @TestFactory
    Stream<DynamicTest> everySchemaCaseGetsTheSameVerdictFromTheApiServerAndTheJavaValidator(ControlPlane cp) {
        List<Path> cases = RepoFiles.yamlFiles("crds/src/test/resources/schema-cases");
        assertThat(cases).as("schema cases").hasSizeGreaterThan(5);
        String ns = Namespaces.create(cp.adminClient(), "schema-cases");
        return cases.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            Matcher m = VERDICT.matcher(text);
            assertThat(m.find()).as("%s: verdict line", f).isTrue();
            String field = m.group(2);
            CommandResult server = cp.kubectl("create", "--dry-run=server", "--validate=strict", "-n", ns, "-f",
                    f.toString());
            if (field == null) {
                assertThat(server.ok()).as("API server: %s", server.describe()).isTrue();
                FineTuneJobs.parse(text, f.toString());
                return;
            }
            assertThat(server.ok()).as("API server must reject %s: %s", f.getFileName(), server.describe()).isFalse();
            assertThat(server.stderr()).as("the API server names the field").contains(field);
            assertThatThrownBy(() -> FineTuneJobs.parse(text, f.toString()))
                    .as("the Java validator must reject %s", f.getFileName())
                    .isInstanceOfSatisfying(ManifestException.class, e -> {
                        List<String> fields = e instanceof InvalidManifestException i
                                ? i.violations().stream().map(Violation::field).toList() : List.of(String.valueOf(e.field()));
                        assertThat(fields).as(e.getMessage()).contains(field);
                    });
        }));
    }
}
