package dev.annealer.api;

import dev.annealer.api.v1alpha1.FineTuneJob;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Generated files committed in the repository, and the way to regenerate them.
 *
 * <p>Regenerate everything with
 * {@value #REGENERATE_COMMAND}
 * (the up-to-date tests then write the files instead of failing).
 */
final class Generated {

    static final String REGENERATE_COMMAND =
            "mvn -B -pl crds -am test -Dtest='Crd*Test,Reference*Test' -Dsurefire.failIfNoSpecifiedTests=false -Dannealer.regenerate=true";

    static final String CRD_FILE = "finetunejobs.annealer.dev-v1.yml";

    private Generated() {
    }

    /** True when the build was asked to rewrite generated files rather than check them. */
    static boolean regenerate() {
        return Boolean.getBoolean("annealer.regenerate");
    }

    /** The crds/ module directory (surefire runs with it as working directory). */
    static Path moduleDir() {
        Path here = Paths.get("").toAbsolutePath();
        if (Files.exists(here.resolve("src/main/java/dev/annealer/api/v1alpha1"))) {
            return here;
        }
        return here.resolve("crds");
    }

    /** The repository root. */
    static Path repoRoot() {
        return moduleDir().getParent();
    }

    /**
     * The generator sorts printer columns by JSON path; kubectl shows them in list order, so put them back in the
     * order the {@code @AdditionalPrinterColumn} annotations are declared on {@link FineTuneJob}.
     */
    static HasMetadata orderPrinterColumns(HasMetadata crd) {
        List<String> order = Arrays.stream(FineTuneJob.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        for (CustomResourceDefinitionVersion v : ((CustomResourceDefinition) crd).getSpec().getVersions()) {
            List<CustomResourceColumnDefinition> cols = new ArrayList<>(v.getAdditionalPrinterColumns());
            cols.sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
            v.setAdditionalPrinterColumns(cols);
        }
        return crd;
    }

    /** Runs fabric8's crd-generator (API v2) on the model into {@code dir}; returns the CRD file. */
    static Path generateCrd(Path dir) throws IOException {
        Files.createDirectories(dir);
        new CRDGenerator()
                .customResourceClasses(FineTuneJob.class)
                .forCRDVersions(List.of("v1"))
                .inOutputDir(dir.toFile())
                .withParallelGenerationEnabled(false)
                .withPostProcessor(new CRDPostProcessor() {
                    @Override
                    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
                        return orderPrinterColumns(crd);
                    }
                })
                .generate();
        return dir.resolve(CRD_FILE);
    }
}
