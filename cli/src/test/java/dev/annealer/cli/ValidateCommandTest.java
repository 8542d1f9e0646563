package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code annealer validate}: the cluster's verdict, every problem with file, line, field, value and fix. */
class ValidateCommandTest {

    static String quickstart() throws IOException {
        return Files.readString(Path.of(Cli.example("quickstart.yaml")));
    }

    @Test
    void everyExampleIsValid() throws IOException {
        try (var s = Files.list(Cli.repoRoot().resolve("examples"))) {
            for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Cli r = Cli.run("validate", "-f", f.toString());
                assertThat(r.exitCode()).as("%s: %s", f, r.err()).isZero();
                assertThat(r.out()).startsWith(f + ": valid");
            }
        }
    }

    @Test
    void theIssuesManifestIsRejectedWithEveryProblem(@TempDir Path tmp) throws IOException {
        // minLearningRate above learningRate, a warmup longer than training, a bare y, and a typo
        Path f = tmp.resolve("job.yaml");
        Files.writeString(f, quickstart().replace("label: \"y\"", "label: y")
                .replace("periodMultiplier: 1.5", "periodMultipler: 1.5")
                .replace("minLearningRate: 1.0e-5", "minLearningRate: 5.0e-3")
                .replace("steps: 100", "steps: 2000"));
        Cli r = Cli.run("validate", "-f", f.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("annealer: " + f + ": invalid (")
                .contains(f + ":21: spec.data.label must be a string (got the boolean true: an unquoted y",
                        "write \"y\" in quotes")
                .contains("spec.schedule.periodMultipler is not a known field (got periodMultipler: 1.5): did you mean "
                        + "periodMultiplier?")
                .contains("spec.schedule.minLearningRate must be < spec.optimizer.learningRate")
                .contains("spec.schedule.minLearningRate=0.005, spec.optimizer.learningRate=0.003")
                .contains("spec.schedule.warmup.steps must be < spec.training.maxSteps")
                .doesNotContain("\tat ", "Exception");
    }

    @Test
    void theScheduleEnginesChecksRunToo(@TempDir Path tmp) throws IOException {
        // valid for the CRD, refused by the engine (what the operator's admission check says as InvalidSchedule)
        Path f = tmp.resolve("job.yaml");
        Files.writeString(f, quickstart().replace("maxCycles: 4", "maxCycles: 4\n    horizon: {steps: 1625}"));
        Cli r = Cli.run("validate", "-f", f.toString());
        assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).contains(f + ": spec.schedule.horizon must be omitted when period is given");
    }

    @Test
    void aKeyGivenTwiceIsWhatKubectlDoesTheLastOneWinsWithAWarning(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("job.yaml");
        Files.writeString(f, quickstart().replace("    batchSize: 32\n", "    batchSize: 32\n    maxSteps: 1725\n"));
        Cli r = Cli.run("validate", "-f", f.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).startsWith("annealer: warning: " + f + ":26: spec.training.maxSteps is given twice (lines 24 "
                + "and 26): kubectl keeps the last one");
    }

    @Test
    void severalFilesOneInvalidExitsTwoAndSaysWhichIsWhich(@TempDir Path tmp) throws IOException {
        Path bad = tmp.resolve("bad.yaml");
        Files.write(bad, new byte[] {'a', 'p', 'i', (byte) 0xE9});
        Cli r = Cli.run("validate", "-f", Cli.example("quickstart.yaml"), "-f", bad.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).contains("quickstart.yaml: valid");
        assertThat(r.err()).contains(bad + ": not UTF-8 text at byte 3 (0xE9, line 1)");
    }
}
