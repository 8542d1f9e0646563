package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.annealer.api.v1alpha1.DataFormat;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.ModelFormat;
import dev.annealer.api.v1alpha1.OnBadRecord;
import dev.annealer.api.v1alpha1.OptimizerType;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.ScheduleType;
import dev.annealer.api.v1alpha1.TaskType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTuneJobsTest {

    /** Compares numbers by value (2000 == 2000.0), everything else exactly. */
    static final Comparator<JsonNode> NUMERIC_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    static String resource(String name) {
        try (InputStream in = FineTuneJobsTest.class.getResourceAsStream("/manifests/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + name, e);
        }
    }

    @Test
    void readsEveryConceptOfTheProductOwnersSketch() {
        FineTuneJob job = FineTuneJobs.parse(resource("sketch.yaml"), "sketch.yaml");
        var s = job.getSpec();
        assertThat(job.getMetadata().getName()).isEqualTo("support-encoder-sgdr");
        assertThat(s.getSuspend()).isFalse();
        assertThat(s.getModel().getFormat()).isEqualTo(ModelFormat.TORCHSCRIPT);
        assertThat(s.getModel().getTrainable()).containsExactly("head.*");
        assertThat(s.getModel().getLearningRateMultipliers()).containsEntry("head.*", 10.0);
        assertThat(s.getData().getFormat()).isEqualTo(DataFormat.CSV);
        assertThat(s.getData().getFeatures()).containsExactly("f0", "f1", "f2", "f3");
        assertThat(s.getData().getTask()).isEqualTo(TaskType.REGRESSION);
        assertThat(s.getTraining().getMaxSteps()).isEqualTo(20000L);
        assertThat(s.getTraining().getGradientAccumulation()).isEqualTo(4);
        assertThat(s.getOptimizer().getType()).isEqualTo(OptimizerType.ADAMW);
        assertThat(s.getOptimizer().getLearningRate()).isEqualTo(3.0e-4);
        assertThat(s.getOptimizer().getBetas()).containsExactly(0.9, 0.999);
        assertThat(s.getSchedule().getType()).isEqualTo(ScheduleType.COSINE_WARM_RESTARTS);
        assertThat(s.getSchedule().getWarmup().getSteps()).isEqualTo(500L);
        assertThat(s.getSchedule().getPeriod().getSteps()).isEqualTo(2000L);
        assertThat(s.getSchedule().getPeriodMultiplier()).isEqualTo(2.0);
        assertThat(s.getSchedule().getPeakDecay()).isEqualTo(0.8);
        assertThat(s.getSchedule().getMaxCycles()).isEqualTo(5);
        assertThat(s.getSchedule().getRestartOnPlateau().getPatience()).isEqualTo(3);
        assertThat(s.getCheckpoint().getStorage().getSize().toString()).isEqualTo("20Gi");
        assertThat(s.getResources().getGpus()).isEqualTo(1);
        assertThat(s.getResources().getCpu().toString()).isEqualTo("8");
        assertThat(s.getTemplate().getTolerations()).hasSize(1);
        assertThat(s.getTemplate().getTolerations().get(0).getOperator()).isEqualTo("Exists");
        assertThat(s.getFailurePolicy().getMaxPreemptions()).isEqualTo(-1);
        assertThat(s.getTtlSecondsAfterFinished()).isEqualTo(86400L);
        assertThat(job.getStatus().getPhase()).isEqualTo(Phase.RUNNING);
        assertThat(job.getStatus().getSchedule().getCycleLength()).isEqualTo(8000L);
        assertThat(job.getStatus().getLastCheckpoint().getDigest()).isEqualTo("sha256:...");
    }

    @Test
    void roundTripsThroughYamlWithoutLosingOrAddingAnything() throws IOException {
        String original = resource("sketch.yaml");
        FineTuneJob job = FineTuneJobs.parse(original, "sketch.yaml");
        String written = FineTuneJobs.toYaml(job);
        FineTuneJob again = FineTuneJobs.parse(written, "written.yaml");
        assertThat(again).isEqualTo(job);
        assertThat(again.getSpec()).isEqualTo(job.getSpec());
        assertThat(again.getStatus()).isEqualTo(job.getStatus());
        // the written tree is the input tree: no defaults added, nulls dropped, numbers kept (2000 may come back as
        // 2000.0 where the field is a number, which the API server treats the same)
        JsonNode in = FineTuneJobs.mapper().readTree(original);
        JsonNode out = FineTuneJobs.mapper().readTree(written);
        assertThat(out.equals(NUMERIC_VALUE, in)).as("written:%n%s", written).isTrue();
    }

    @Test
    void readsFromAFileAndNamesItInErrors(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("job.yaml");
        Files.writeString(f, resource("sketch.yaml").replace("maxSteps: 20000", "maxStep: 20000"));
        assertThatThrownBy(() -> FineTuneJobs.read(f))
                .isInstanceOfSatisfying(ManifestException.class, e -> {
                    assertThat(e.file()).isEqualTo(f.toString());
                    assertThat(e.field()).isEqualTo("spec.training.maxStep");
                    assertThat(e.value()).isEqualTo("20000");
                })
                .hasMessageStartingWith(f + ": spec.training.maxStep is not a known field")
                .hasMessageContaining("(got maxStep: 20000)")
                .hasMessageContaining("spec.training accepts: batchSize, epochs, evalEverySteps, gradientAccumulation, "
                        + "lrRangeTest, maxSteps, mode, seed");
    }

    @Test
    void missingFileIsSaidPlainly(@TempDir Path tmp) {
        Path f = tmp.resolve("nope.yaml");
        assertThatThrownBy(() -> FineTuneJobs.read(f)).isInstanceOf(ManifestException.class)
                .hasMessage(f + ": no such file");
    }

    @Test
    void wrongTypeNamesFieldValueAndExpectedType() {
        String bad = resource("sketch.yaml").replace("batchSize: 64", "batchSize: sixty-four");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(ManifestException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.training.batchSize");
                    assertThat(e.value()).isEqualTo("sixty-four");
                })
                .hasMessageStartingWith("job.yaml: spec.training.batchSize must be an integer (got sixty-four)");
    }

    @Test
    void fractionalStepsAreRejectedNotTruncated() {
        String bad = resource("sketch.yaml").replace("maxSteps: 20000", "maxSteps: 200.5");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .hasMessageStartingWith("job.yaml: spec.training.maxSteps must be an integer (got 200.5)");
    }

    @Test
    void numbersWrittenAsStringsAreRejectedLikeTheApiServerDoes() {
        String bad = resource("sketch.yaml").replace("learningRate: 3.0e-4", "learningRate: \"3.0e-4\"");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .hasMessageStartingWith("job.yaml: spec.optimizer.learningRate must be a number (got 3.0e-4)");
    }

    @Test
    void unknownEnumValueListsTheAcceptedOnes() {
        String bad = resource("sketch.yaml").replace("type: AdamW", "type: Adam");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.field()).isEqualTo("spec.optimizer.type"))
                .hasMessageStartingWith("job.yaml: spec.optimizer.type must be one of AdamW, SGD (got Adam)");
        String bad2 = resource("sketch.yaml").replace("onBadRecord", "x").replace("task: regression", "task: ranking");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad2, "job.yaml"))
                .hasMessageStartingWith("job.yaml: spec.data.task must be one of causalLM, classification, regression (got ranking)");
    }

    @Test
    void missingRequiredFieldIsNamed() {
        String bad = resource("sketch.yaml").replace("    learningRate: 3.0e-4\n", "");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(ManifestException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.optimizer.learningRate");
                    assertThat(e.value()).isNull();
                })
                .hasMessage("job.yaml: spec.optimizer.learningRate is required (missing)");
    }

    @Test
    void wrongKindOrApiVersionOrSyntaxIsSaid() {
        String sketch = resource("sketch.yaml");
        assertThatThrownBy(() -> FineTuneJobs.parse(sketch.replace("kind: FineTuneJob", "kind: Job"), "a.yaml"))
                .hasMessage("a.yaml: kind must be FineTuneJob (got Job)");
        assertThatThrownBy(() -> FineTuneJobs.parse(sketch.replace("annealer.dev/v1alpha1", "annealer.dev/v1"), "a.yaml"))
                .hasMessage("a.yaml: apiVersion must be annealer.dev/v1alpha1 (got annealer.dev/v1)");
        assertThatThrownBy(() -> FineTuneJobs.parse("spec: [unclosed", "a.yaml"))
                .hasMessageStartingWith("a.yaml: not valid YAML at line");
        assertThatThrownBy(() -> FineTuneJobs.parse("", "a.yaml")).hasMessageStartingWith("a.yaml: empty manifest");
        assertThatThrownBy(() -> FineTuneJobs.parse(sketch.replace("spec:\n", "spek:\n"), "a.yaml"))
                .hasMessageStartingWith("a.yaml: spek is not a known field");
    }

    @Test
    void unquotedYaml11BooleansAreBooleansAsForKubectlSoTheyAreRejectedWithTheFix() {
        String bad = resource("sketch.yaml").replace("    label: \"y\"\n", "    label: n\n");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(InvalidManifestException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.data.label");
                    assertThat(e.violations()).singleElement().satisfies(v -> assertThat(v.line()).isEqualTo(20));
                })
                .hasMessage("job.yaml: spec.data.label must be a string (got the boolean false: an unquoted n is a "
                        + "boolean for kubectl and the API server (YAML 1.1)); write \"n\" in quotes");
        String list = resource("sketch.yaml").replace("features: [f0, f1, f2, f3]", "features: [f0, on]");
        assertThatThrownBy(() -> FineTuneJobs.parse(list, "job.yaml"))
                .hasMessageStartingWith("job.yaml: spec.data.features[1] must be a string (got the boolean true");
        // quoted strings and true/false are fine
        FineTuneJobs.parse(resource("sketch.yaml"), "job.yaml");
    }

    @Test
    void theCrdsCelRulesAreEvaluatedWithTheValuesTheyRead() {
        // the manifest: the LR would rise in every cycle, and the warmup outlasts training
        String rising = resource("sketch.yaml").replace("learningRate: 3.0e-4", "learningRate: 3.0e-3")
                .replace("minLearningRate: 1.0e-6", "minLearningRate: 5.0e-3");
        assertThatThrownBy(() -> FineTuneJobs.parse(rising, "job.yaml"))
                .isInstanceOfSatisfying(InvalidManifestException.class, e ->
                        assertThat(e.violations()).singleElement().satisfies(v -> assertThat(v.kind())
                                .isEqualTo(dev.annealer.api.validation.Violation.Kind.CEL)))
                .hasMessageStartingWith("job.yaml: spec.schedule.minLearningRate must be < spec.optimizer.learningRate")
                .hasMessageEndingWith("(got spec.schedule.minLearningRate=0.005, spec.optimizer.learningRate=0.003)");
        String longWarmup = resource("sketch.yaml").replace("steps: 500", "steps: 20001");
        assertThatThrownBy(() -> FineTuneJobs.parse(longWarmup, "job.yaml"))
                .hasMessageContaining("spec.schedule.warmup.steps must be < spec.training.maxSteps")
                .hasMessageContaining("spec.schedule.warmup.steps=20001, spec.training.maxSteps=20000");
    }

    @Test
    void everyViolationIsListedOnePerLineAndUnknownFieldsGetASuggestion() {
        String bad = resource("sketch.yaml").replace("periodMultiplier: 2.0", "periodMultipler: 2.0")
                .replace("batchSize: 64", "batchSize: -1");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(InvalidManifestException.class, e -> assertThat(e.violations()).hasSize(2))
                .hasMessageContaining("job.yaml: spec.schedule.periodMultipler is not a known field (got "
                        + "periodMultipler: 2): did you mean periodMultiplier? spec.schedule accepts: ")
                .hasMessageContaining("job.yaml: spec.training.batchSize must be >= 1 (got -1)\n");
    }

    @Test
    void aFileThatIsNotUtf8IsSaidWithTheByteOffset(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("job.yaml");
        byte[] text = resource("sketch.yaml").getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(text, text.length + 3);
        System.arraycopy("# \u00e9".getBytes(StandardCharsets.ISO_8859_1), 0, bad, text.length, 3);
        Files.write(f, bad);
        assertThatThrownBy(() -> FineTuneJobs.read(f)).isInstanceOf(ManifestException.class)
                .hasMessageStartingWith(f + ": not UTF-8 text at byte " + (text.length + 2) + " (0xE9, line ")
                .hasMessageContaining("save the file as UTF-8");
    }

    @Test
    void aWholeFloatIsAnIntegerAsForKubectl() {
        // kubectl sends 20000.0 as JSON 20000: the API server accepts it for an integer field, so do we
        FineTuneJob job = FineTuneJobs.parse(resource("sketch.yaml").replace("maxSteps: 20000", "maxSteps: 20000.0"),
                "job.yaml");
        assertThat(job.getSpec().getTraining().getMaxSteps()).isEqualTo(20000L);
    }

    @Test
    void quantitiesUseTheKubernetesSyntax() {
        String bad = resource("sketch.yaml").replace("memory: 32Gi", "memory: 32GB");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.field()).isEqualTo("spec.resources.memory"))
                .hasMessage("job.yaml: spec.resources.memory must be a Kubernetes quantity such as 8, 500m or 32Gi (got 32GB)");
        FineTuneJobs.parse(resource("sketch.yaml").replace("memory: 32Gi", "memory: 1.5e9"), "job.yaml");
        FineTuneJobs.parse(resource("sketch.yaml").replace("cpu: \"8\"", "cpu: 500m"), "job.yaml");
    }

    @Test
    void listElementsAreAddressedByIndex() {
        String bad = resource("sketch.yaml").replace("betas: [0.9, 0.999]", "betas: [0.9, high]");
        assertThatThrownBy(() -> FineTuneJobs.parse(bad, "job.yaml"))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.field()).isEqualTo("spec.optimizer.betas[1]"))
                .hasMessageStartingWith("job.yaml: spec.optimizer.betas[1] must be a number (got high)");
    }

    @Test
    void effectiveDefaultsFollowTorchOptim() {
        FineTuneJob job = FineTuneJobs.parse(resource("sketch.yaml"), "sketch.yaml");
        var opt = job.getSpec().getOptimizer();
        opt.setWeightDecay(null);
        opt.setBetas(null);
        opt.setEpsilon(null);
        assertThat(opt.effectiveWeightDecay()).isEqualTo(0.01);
        assertThat(opt.effectiveBetas()).isEqualTo(List.of(0.9, 0.999));
        assertThat(opt.effectiveEpsilon()).isEqualTo(1e-8);
        opt.setType(OptimizerType.SGD);
        assertThat(opt.effectiveWeightDecay()).isEqualTo(0.0);
        var model = job.getSpec().getModel();
        model.setFormat(null);
        assertThat(model.effectiveFormat()).isEqualTo(ModelFormat.TORCHSCRIPT);
        model.setSource("builtin:mlp?hidden=64,64");
        assertThat(model.effectiveFormat()).isEqualTo(ModelFormat.BUILTIN);
        model.setSource("pvc://models/m/model.params");
        assertThat(model.effectiveFormat()).isEqualTo(ModelFormat.DJL);
        assertThat(job.getSpec().getData().getOnBadRecord()).isNull();
        assertThat(OnBadRecord.valueOf("SKIP")).isNotNull();
        assertThat(Map.of()).isEmpty();
    }
}
