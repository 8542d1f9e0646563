package dev.annealer.operator.build;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The chart's CRD is a byte-for-byte copy of the API module's generated CRD (never hand-edited). */
class ChartCrdsTest {

    static final String CRD = "finetunejobs.annealer.dev-v1.yml";

    @Test
    void chartCrdIsACopyOfTheGeneratedCrd() throws IOException {
        Path source = GeneratedFiles.ROOT.resolve("crds").resolve(CRD);
        GeneratedFiles.assertUpToDate(GeneratedFiles.ROOT.resolve("charts/annealer/crds").resolve(CRD), Files.readString(source),
                "copy it with `mvn -pl operator -am test -Dtest=ChartCrdsTest -Dregenerate=true` (or `cp crds/"
                        + CRD + " charts/annealer/crds/`)");
    }
}
