package dev.annealer.operator.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Committed generated files: compared with what the build generates; {@code -Dregenerate=true} rewrites
 * them instead (then review and commit the diff).
 */
final class GeneratedFiles {

    /** The repository root (tests run in the operator module's directory). */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private GeneratedFiles() {
    }

    static void assertUpToDate(Path committed, String generated, String howToRegenerate) throws IOException {
        if (Boolean.getBoolean("regenerate")) {
            Files.createDirectories(committed.getParent());
            Files.writeString(committed, generated);
            return;
        }
        assertThat(committed).as(ROOT.relativize(committed) + " is missing; " + howToRegenerate).exists();
        assertThat(Files.readString(committed)).as(ROOT.relativize(committed) + " differs from what the build generates; "
                + howToRegenerate).isEqualTo(generated);
    }
}
