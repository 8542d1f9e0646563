package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/reference/cli.md is the help of every command, generated from the picocli model. Regenerate with
 * {@code mvn -B -pl cli -am test -Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dannealer.regenerate=true}.
 */
class CliReferenceTest {

    static final String REGENERATE = "mvn -B -pl cli -am test -Dtest=CliReferenceTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dannealer.regenerate=true";

    /** The CLI's own commands; `annealer train` is the trainer's command and documented with the trainer. */
    static final List<List<String>> COMMANDS = List.of(List.of("validate"), List.of("schedule"), List.of("schedule", "import"),
            List.of("schedule", "lr"), List.of("schedule", "preview"), List.of("lr-find"));

    static String render() {
        StringBuilder md = new StringBuilder();
        md.append("<!-- Generated from the picocli commands by cli/src/test/java/dev/annealer/cli/CliReferenceTest.java; ")
                .append("do not edit. Regenerate: ").append(REGENERATE).append(" -->\n\n");
        md.append("# `annealer` command reference\n\n");
        md.append("Run it as `bin/annealer ...` from the repository (build first: `mvn -B -DskipTests install` or "
                + "`make build`).\n\n");
        md.append("Exit codes: `0` success; `2` bad input (unknown library, scheduler or argument, bad value, invalid "
                + "manifest, missing file), with a message on stderr that says what is wrong and what is accepted; "
                + "`1` internal error. `annealer train` adds the trainer's codes (`75` = checkpointed after preemption).\n\n");
        md.append("Examples:\n\n```\n")
                .append("bin/annealer validate -f examples/quickstart.yaml\n")
                .append("bin/annealer schedule import --from torch:CosineAnnealingWarmRestarts --args '{\"lr\": 0.1, \"T_0\": 10, \"T_mult\": 2}'\n")
                .append("bin/annealer schedule lr --from timm:CosineLRScheduler --args '{\"lr\": 0.1, \"t_initial\": 50, \"warmup_t\": 5}' --steps 100\n")
                .append("bin/annealer schedule lr -f examples/quickstart.yaml --steps 1725\n")
                .append("bin/annealer schedule preview -f examples/quickstart.yaml\n")
                .append("bin/annealer schedule preview -f examples/quickstart.yaml --out quickstart.png\n")
                .append("bin/annealer train -f examples/quickstart.yaml --checkpoint-dir /tmp/quickstart\n")
                .append("bin/annealer lr-find -f examples/quickstart.yaml --min-lr-ratio keep > tuned.yaml\n```\n\n");
        md.append("`annealer train` is the trainer's own command (`dev.annealer.trainer.TrainCommand`, the same code that "
                + "runs in the job's pod): see [trainer-contract.md](trainer-contract.md) and `bin/annealer train --help`.\n\n");
        for (List<String> c : COMMANDS) {
            String name = String.join(" ", c);
            md.append("## `annealer").append(name.isEmpty() ? "" : " " + name).append("`\n\n```\n");
            String[] args = new String[c.size() + 1];
            for (int i = 0; i < c.size(); i++) {
                args[i] = c.get(i);
            }
            args[c.size()] = "--help";
            Cli r = Cli.run(args);
            assertThat(r.exitCode()).as(name).isZero();
            md.append(r.out().stripTrailing()).append("\n```\n\n");
        }
        return md.toString().stripTrailing() + "\n";
    }

    @Test
    void committedReferenceMatchesTheCommands() throws IOException {
        String fresh = render();
        Path doc = Cli.repoRoot().resolve("docs/reference/cli.md");
        if (Boolean.getBoolean("annealer.regenerate")) {
            Files.writeString(doc, fresh);
            return;
        }
        assertThat(doc).exists();
        if (!Files.readString(doc).equals(fresh)) {
            fail("docs/reference/cli.md is out of date with the commands; regenerate it with:\n  " + REGENERATE);
        }
    }
}
