package dev.annealer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/annealer: relative to its own location, and says how to build when the CLI jar is missing. */
class LauncherTest {

    static final Path LAUNCHER = Cli.repoRoot().resolve("bin/annealer");

    @Test
    void launcherHasNoAbsolutePathsAndRunsTheMainClass() throws IOException {
        String script = Files.readString(LAUNCHER);
        assertThat(script).startsWith("#!/usr/bin/env bash");
        assertThat(script).contains("cli/target/annealer-cli.jar", "cli/target/lib/*", "dev.annealer.cli.Main \"$@\"");
        assertThat(script).doesNotContain("/work/", "/root/", "/home/");
        assertThat(Files.isExecutable(LAUNCHER)).isTrue();
    }

    @Test
    void withoutABuildItSaysHowToBuild(@TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.copy(LAUNCHER, bin.resolve("annealer"));
        Process p = new ProcessBuilder("bash", bin.resolve("annealer").toString(), "schedule", "--help")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(3);
        assertThat(out).contains("the CLI is not built yet", "mvn -B -DskipTests install", "make build");
    }
}
