package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annealer.api.validation.Violation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every file of src/test/resources/schema-cases/ gets the verdict its header states from the loader the CLI and the
 * trainer use (the real API server's verdict on the same files is checked by ValidatorParityIT).
 */
class SchemaCasesTest {

    static final Pattern VERDICT = Pattern.compile("(?m)^# verdict: (valid|invalid at (\\S+))\\s*$");

    /** The verdict of a case file: null when valid, else the field it must be rejected at. */
    static String rejectedAt(String text, Path f) {
        Matcher m = VERDICT.matcher(text);
        assertThat(m.find()).as("%s has a '# verdict: valid' or '# verdict: invalid at FIELD' line", f).isTrue();
        return m.group(2);
    }

    @TestFactory
    List<DynamicTest> eachCaseGetsItsVerdict() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> s = Files.list(Generated.moduleDir().resolve("src/test/resources/schema-cases"))) {
            for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
                    String text = Files.readString(f, StandardCharsets.UTF_8);
                    String field = rejectedAt(text, f);
                    if (field == null) {
                        FineTuneJobs.parse(text, f.getFileName().toString());
                    } else {
                        assertThatThrownBy(() -> FineTuneJobs.parse(text, f.getFileName().toString()))
                                .isInstanceOfSatisfying(ManifestException.class, e -> {
                                    List<String> fields = e instanceof InvalidManifestException i
                                            ? i.violations().stream().map(Violation::field).toList()
                                            : List.of(String.valueOf(e.field()));
                                    assertThat(fields).as(e.getMessage()).contains(field);
                                });
                    }
                }));
            }
        }
        assertThat(tests).hasSizeGreaterThan(5);
        return tests;
    }
}
