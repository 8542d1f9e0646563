package dev.annealer.it.support;

import dev.annealer.it.controlplane.K8sBinaries;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files other modules commit that these tests check (the CRD, examples/, CEL case tables).
 *
 * <p>Missing product files follow the same rule as missing binaries: skipped with a message on a developer
 * machine, a failure when {@code CI=true}.
 */
public final class RepoFiles {

    public static final String CRD = "crds/finetunejobs.annealer.dev-v1.yml";

    private RepoFiles() {
    }

    public static Path root() {
        return K8sBinaries.repoRoot();
    }

    /** The committed FineTuneJob CRD, or abort/fail when it does not exist (yet). */
    public static Path requireCrd() {
        Path crd = root().resolve(CRD);
        if (!Files.isRegularFile(crd)) {
            missing(CRD + " does not exist: the crds module generates and commits it (mvn -pl crds test)");
        }
        return crd;
    }

    /** The YAML files directly in {@code dir} (sorted); empty when the folder is absent. */
    public static List<Path> yamlFiles(String dir) {
        Path d = root().resolve(dir);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().matches(".*\\.ya?ml")).filter(Files::isRegularFile)
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Skips (developer machine) or fails (CI=true) for a product file that is missing. */
    public static void missing(String what) {
        if (K8sBinaries.onCi()) {
            throw new IllegalStateException("CI=true and " + what);
        }
        System.err.println("SKIPPED: " + what);
        Assumptions.abort(what + " (CI is unset, so this test is skipped)");
    }
}
