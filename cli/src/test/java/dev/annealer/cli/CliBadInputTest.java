package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input exits 2 with a message that says what is wrong and what is accepted; never a stack trace. */
class CliBadInputTest {

    static void assertBadInput(Cli r, String... fragments) {
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isEqualTo(2);
        assertThat(r.err()).contains(fragments);
        assertThat(r.err()).doesNotContain("\tat ", "Exception", "Caused by");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void unknownLibraryListsTheAcceptedSchedulers() {
        assertBadInput(Cli.run("schedule", "lr", "--from", "keras:CosineDecay", "--args", "{\"lr\": 0.1}", "--steps", "3"),
                "keras:CosineDecay", "torch:CosineAnnealingWarmRestarts", "optax:sgdr_schedule");
    }

    @Test
    void unknownSchedulerOfAKnownLibraryToo() {
        assertBadInput(Cli.run("schedule", "import", "--from", "torch:OneCycleLR", "--args", "{\"lr\": 0.1}"),
                "torch:OneCycleLR", "torch:CosineAnnealingLR");
    }

    @Test
    void fromWithoutAColonSaysTheFormat() {
        assertBadInput(Cli.run("schedule", "import", "--from", "CosineAnnealingLR", "--args", "{}"),
                "--from must be LIBRARY:SCHEDULER");
    }

    @Test
    void unknownArgumentListsTheAcceptedOnes() {
        assertBadInput(Cli.run("schedule", "lr", "--from", "torch:CosineAnnealingLR", "--args",
                "{\"lr\": 0.1, \"T_maxx\": 100}", "--steps", "3"), "T_maxx", "T_max", "eta_min");
    }

    @Test
    void badValueIsNamed() {
        assertBadInput(Cli.run("schedule", "lr", "--from", "torch:CosineAnnealingWarmRestarts", "--args",
                "{\"lr\": 0.1, \"T_0\": 10, \"T_mult\": 0.5}", "--steps", "3"), "0.5");
    }

    @Test
    void aBadLrIsBlamedOnTheArgsTheUserGaveNotOnAManifestField() {
        Cli r = Cli.run("schedule", "import", "--from", "torch:CosineAnnealingLR", "--args", "{\"lr\": -0.1, \"T_max\": 10}");
        assertBadInput(r, "--args lr must be a finite number > 0 (got -0.1)");
        assertThat(r.err()).doesNotContain("spec.optimizer.learningRate");
    }

    @Test
    void argsMustBeAJsonObject() {
        assertBadInput(Cli.run("schedule", "lr", "--from", "torch:CosineAnnealingLR", "--args", "{lr: 0.1", "--steps", "3"),
                "--args is not valid JSON", "'{\"lr\": 0.1, \"T_max\": 100}'");
        assertBadInput(Cli.run("schedule", "lr", "--from", "torch:CosineAnnealingLR", "--args", "[0.1]", "--steps", "3"),
                "--args must be a JSON object");
    }

    @Test
    void stepsMustBeANonNegativeNumber() {
        assertBadInput(Cli.run("schedule", "lr", "--from", "torch:CosineAnnealingLR", "--args",
                "{\"lr\": 0.1, \"T_max\": 10}", "--steps", "-1"), "--steps must be >= 0 (got -1)");
        assertBadInput(Cli.run("schedule", "lr", "--from", "torch:CosineAnnealingLR", "--args",
                "{\"lr\": 0.1, \"T_max\": 10}", "--steps", "ten"), "--steps", "ten");
    }

    @Test
    void missingOptionsAndMixedSourcesAreUsageErrors() {
        Cli r = Cli.run("schedule", "lr", "--steps", "3");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--from", "--file");
        Cli both = Cli.run("schedule", "lr", "-f", Cli.example("quickstart.yaml"), "--from", "torch:CosineAnnealingLR",
                "--args", "{}", "--steps", "3");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Cli none = Cli.run("schedule");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("import, lr or preview");
    }

    @Test
    void invalidManifestNamesFileFieldAndValue(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("job.yaml");
        Files.writeString(f, Files.readString(Path.of(Cli.example("quickstart.yaml")))
                .replace("periodMultiplier: 1.5", "periodMultiplier: 0.5"));
        assertBadInput(Cli.run("schedule", "preview", "-f", f.toString()),
                f.toString(), "spec.schedule.periodMultiplier must be", "(got 0.5)");
        Files.writeString(f, Files.readString(Path.of(Cli.example("quickstart.yaml")))
                .replace("maxCycles: 4", "maxCycle: 4"));
        assertBadInput(Cli.run("schedule", "lr", "-f", f.toString(), "--steps", "5"),
                f.toString(), "spec.schedule.maxCycle is not a known field", "maxCycles");
    }

    @Test
    void aBareYIsABooleanAsForKubectlSoTheManifestIsRejectedWithTheFix(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("job.yaml");
        Files.writeString(f, Files.readString(Path.of(Cli.example("quickstart.yaml"))).replace("label: \"y\"", "label: y"));
        assertBadInput(Cli.run("schedule", "lr", "-f", f.toString(), "--steps", "2"),
                f + ": spec.data.label must be a string (got the boolean true", "write \"y\" in quotes");
    }

    @Test
    void missingFileIsSaidPlainly(@TempDir Path tmp) {
        Path f = tmp.resolve("nope.yaml");
        assertBadInput(Cli.run("schedule", "preview", "-f", f.toString()), f + ": no such file");
    }

    @Test
    void plotFormatIsChecked(@TempDir Path tmp) {
        assertBadInput(Cli.run("schedule", "preview", "-f", Cli.example("quickstart.yaml"), "--out",
                tmp.resolve("plot.jpg").toString()), "--out must end with .png or .svg");
        assertThat(tmp.resolve("plot.jpg")).doesNotExist();
    }

    @Test
    void epochBudgetWithoutEpochSizeSaysWhatToGive() {
        assertBadInput(Cli.run("schedule", "preview", "-f", Cli.example("torchscript-finetune.yaml")),
                "spec.schedule.warmup.epochs", "steps per epoch");
    }

    @Test
    void theCommandListShowsWholeSentences() {
        // picocli lists each command with the first line of its description: it must not stop mid-sentence
        String help = Cli.run("--help").out();
        String commands = help.substring(help.indexOf("Commands:"));
        java.util.List<String> lines = commands.lines().toList();
        for (String name : java.util.List.of("validate", "schedule", "train")) {
            int i = 0;
            while (!lines.get(i).strip().startsWith(name + " ")) {
                i++;
            }
            StringBuilder entry = new StringBuilder(lines.get(i).strip());
            while (i + 1 < lines.size() && lines.get(i + 1).startsWith("              ")) { // wrapped by picocli
                entry.append(' ').append(lines.get(++i).strip());
            }
            assertThat(entry.toString()).as("%s in:%n%s", name, help).endsWith(".");
        }
    }

    @Test
    void helpAndVersionExitZero() {
        assertThat(Cli.run("--help").exitCode()).isZero();
        assertThat(Cli.run("schedule", "lr", "--help").out()).contains("--steps", "--from", "--args", "-f");
        assertThat(Cli.run("--version").out()).startsWith("annealer ");
    }
}
