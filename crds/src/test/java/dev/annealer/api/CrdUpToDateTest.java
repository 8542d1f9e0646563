package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed CRD is exactly what the crd-generator makes from the model. */
class CrdUpToDateTest {

    @Test
    void committedCrdMatchesTheModel(@TempDir Path tmp) throws IOException {
        Path fresh = Generated.generateCrd(tmp);
        Path committed = Generated.moduleDir().resolve(Generated.CRD_FILE);
        if (Generated.regenerate()) {
            Files.copy(fresh, committed, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        assertThat(committed).as("committed CRD crds/%s", Generated.CRD_FILE).exists();
        List<String> want = Files.readAllLines(fresh);
        List<String> have = Files.readAllLines(committed);
        if (!want.equals(have)) {
            fail("crds/" + Generated.CRD_FILE + " is out of date with the Java model; first difference:\n"
                    + Diffs.firstDifference(have, want) + "\nRegenerate it with:\n  " + Generated.REGENERATE_COMMAND);
        }
    }
}
