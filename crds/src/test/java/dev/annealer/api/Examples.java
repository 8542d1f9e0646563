package dev.annealer.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The repository's examples/*.yaml. */
final class Examples {

    private Examples() {
    }

    static Path dir() {
        return Generated.repoRoot().resolve("examples");
    }

    static List<Path> files() throws IOException {
        return yamlIn(dir());
    }

    /** Jobs that build what an example uses (hack/flagship/pretrain-base.yaml makes the flagship's base model). */
    static List<Path> buildJobs() throws IOException {
        return yamlIn(Generated.repoRoot().resolve("hack/flagship"));
    }

    private static List<Path> yamlIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
    }
}
