package dev.annealer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.ScheduleSpec;
import dev.annealer.api.v1alpha1.ScheduleStatus;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import dev.annealer.schedule.SchedulePosition;
import dev.annealer.schedule.ScheduleValidationException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class JobSchedulesTest {

    /** Steps per epoch assumed for examples whose budget or durations are in epochs. */
    static final double STEPS_PER_EPOCH = 250.0;

    static FineTuneJob example(String name) {
        return FineTuneJobs.read(Examples.dir().resolve(name));
    }

    @TestFactory
    List<DynamicTest> everyExampleMapsToAValidScheduleAndBack() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : Examples.files()) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
                FineTuneJob job = FineTuneJobs.read(f);
                Schedule s = JobSchedules.schedule(job, STEPS_PER_EPOCH);
                assertThat(s.fingerprint()).startsWith("sha256:");
                long total = JobSchedules.totalSteps(job.getSpec().getTraining(), STEPS_PER_EPOCH);
                assertThat(total).isPositive();
                for (long step = 0; step < total; step += Math.max(1, total / 97)) {
                    double lr = s.lr(step);
                    assertThat(lr).as("lr(%d)", step).isFinite().isGreaterThanOrEqualTo(0.0)
                            .isLessThanOrEqualTo(job.getSpec().getOptimizer().getLearningRate() * (1 + 1e-12));
                }
                // the engine writes back exactly the spelling of the example
                if (job.getSpec().getSchedule() != null) {
                    assertThat(JobSchedules.scheduleSpecOf(s.config())).isEqualTo(job.getSpec().getSchedule());
                }
                assertThat(s.config().learningRate()).isEqualTo(job.getSpec().getOptimizer().getLearningRate());
            }));
        }
        return tests;
    }

    @Test
    void quickstartIsFourDecayingCyclesThatEndExactlyWithTheBudget() {
        FineTuneJob job = example("quickstart.yaml");
        Schedule s = JobSchedules.schedule(job, null);
        assertThat(s.warmupSteps()).isEqualTo(100);
        assertThat(s.cycleCount()).isEqualTo(4);
        assertThat(List.of(s.cycleStart(0), s.cycleStart(1), s.cycleStart(2), s.cycleStart(3)))
                .containsExactly(100L, 300L, 600L, 1050L);
        assertThat(s.endStep()).isEqualTo(job.getSpec().getTraining().getMaxSteps());
        assertThat(s.lr(0)).isCloseTo(3.0e-5, within(1e-18));
        assertThat(s.lr(100)).isEqualTo(3.0e-3);
        assertThat(s.lr(300)).isCloseTo(3.0e-3 * 0.7, within(1e-15));
        assertThat(s.lr(1050)).isCloseTo(3.0e-3 * 0.7 * 0.7 * 0.7, within(1e-15));
        assertThat(s.lr(1724)).isCloseTo(1.0e-5, within(1e-7));
        SchedulePosition p = s.position(700);
        assertThat(p.cycle()).isEqualTo(2);
        assertThat(p.cycleStep()).isEqualTo(100);
        assertThat(p.cycleLength()).isEqualTo(450);
        ScheduleStatus st = JobSchedules.statusOf(s, p);
        assertThat(st.getCycle()).isEqualTo(2L);
        assertThat(st.getCycleLength()).isEqualTo(450L);
        assertThat(st.getLearningRate()).isEqualTo(s.lr(700));
        assertThat(st.getPhase()).isEqualTo("ANNEALING");
        assertThat(st.getFingerprint()).isEqualTo(s.fingerprint());
    }

    @Test
    void epochBudgetsNeedTheEpochSize() {
        FineTuneJob job = example("torchscript-finetune.yaml");
        assertThat(JobSchedules.totalSteps(job.getSpec().getTraining(), null)).isZero();
        assertThat(JobSchedules.totalSteps(job.getSpec().getTraining(), 99.5)).isEqualTo(995);
        // warmup in epochs cannot be resolved without the epoch size: the engine says what to do
        assertThatThrownBy(() -> JobSchedules.schedule(job, null)).isInstanceOf(ScheduleValidationException.class)
                .satisfies(e -> assertThat(((ScheduleValidationException) e).field()).isEqualTo("spec.schedule.warmup.epochs"));
        Schedule s = JobSchedules.schedule(job, 100.0);
        assertThat(s.warmupSteps()).isEqualTo(50);
    }

    @Test
    void noScheduleMeansConstant() {
        FineTuneJob job = example("quickstart.yaml");
        job.getSpec().setSchedule(null);
        Schedule s = JobSchedules.schedule(job, null);
        assertThat(s.lr(0)).isEqualTo(3.0e-3);
        assertThat(s.lr(1_000_000)).isEqualTo(3.0e-3);
    }

    @Test
    void engineErrorsNameTheFineTuneJobField() {
        FineTuneJob job = example("quickstart.yaml");
        job.getSpec().getSchedule().setPeriodMultiplier(0.5);
        assertThatThrownBy(() -> JobSchedules.schedule(job, null))
                .isInstanceOfSatisfying(ScheduleValidationException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.schedule.periodMultiplier");
                    assertThat(String.valueOf(e.value())).isEqualTo("0.5");
                })
                .hasMessageContaining("spec.schedule.periodMultiplier must be");
    }

    /** Every field of spec.schedule, in three schedules that together use all of them. */
    static final String[] KITCHEN_SINKS = {
        """
        optimizer: {learningRate: 0.01}
        schedule:
          type: CosineWarmRestarts
          warmup: {steps: 10, startFactor: 0.1, placement: Overlap}
          minLearningRate: 0.0001
          period: {steps: 20.5}
          periodMultiplier: 1.5
          peakDecay: 0.9
          maxCycles: 4
          cycleIndexArithmetic: Float64Log
          restartOnPlateau: {patience: 2, minDelta: 0.01}
          cosineWaves: 0.5
          kDecay: 2.0
          cosineExponent: 1.5
        """,
        """
        optimizer: {learningRate: 0.01}
        schedule:
          type: CosineWarmRestarts
          warmup: {epochs: 0.5, startLearningRate: 0.001}
          cycles:
            - {steps: 100, warmup: {steps: 10, startLearningRate: 0.001}, peakLearningRate: 0.01, minLearningRate: 0.0001, cosineExponent: 1.0}
            - {epochs: 2, warmup: {epochs: 0.25, startFactor: 0.5}, peakLearningRate: 0.005}
        """,
        """
        optimizer: {learningRate: 0.01}
        schedule:
          type: Cosine
          minLearningRate: 0.0
          horizon: {epochs: 3}
          afterHorizon: Continue
        """,
        """
        optimizer: {learningRate: 0.01}
        schedule:
          type: CosineWarmRestarts
          horizon: {steps: 3000}
          maxCycles: 3
        """,
        """
        optimizer: {learningRate: 0.01}
        schedule:
          type: CosineWarmRestarts
          period: {epochs: 1.5}
        """,
    };

    @Test
    void theCrdScheduleShapeIsTheEnginesFieldByField() throws IOException {
        YAMLMapper yaml = new YAMLMapper();
        Set<String> used = new TreeSet<>();
        for (String text : KITCHEN_SINKS) {
            Map<String, Object> manifest = yaml.readValue(text, new TypeReference<>() { });
            // through our typed model ...
            FineTuneJobSpec spec = new FineTuneJobSpec();
            spec.setOptimizer(FineTuneJobs.mapper().convertValue(manifest.get("optimizer"),
                    dev.annealer.api.v1alpha1.OptimizerSpec.class));
            spec.setSchedule(FineTuneJobs.mapper().convertValue(manifest.get("schedule"), ScheduleSpec.class));
            spec.setTraining(new dev.annealer.api.v1alpha1.TrainingSpec());
            spec.getTraining().setMaxSteps(5000L);
            ScheduleConfig config = JobSchedules.config(spec, 100.0);
            // ... the engine reads every field, and writes back the same tree
            JsonNode want = yaml.valueToTree(manifest.get("schedule"));
            JsonNode got = yaml.valueToTree(config.toManifest().get("schedule"));
            assertThat(got.equals(FineTuneJobsTest.NUMERIC_VALUE, want)).as("engine round trip of%n%s%ngot %s", text, got)
                    .isTrue();
            assertThat(JobSchedules.scheduleSpecOf(config)).isEqualTo(spec.getSchedule());
            collectPaths(want, "", used);
        }
        // and together they use every property the CRD declares under spec.schedule
        Map<String, Object> crd = yaml.readValue(Generated.moduleDir().resolve(Generated.CRD_FILE).toFile(),
                new TypeReference<>() { });
        JsonNode schema = yaml.valueToTree(crd).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/schedule");
        Set<String> declared = new TreeSet<>();
        collectSchemaPaths(schema, "", declared);
        assertThat(used).as("schedule fields exercised").containsAll(declared);
        assertThat(declared).as("schedule fields declared in the CRD").containsAll(used);
    }

    private static void collectPaths(JsonNode n, String prefix, Set<String> out) {
        if (n.isObject()) {
            n.fieldNames().forEachRemaining(k -> {
                out.add(prefix + k);
                collectPaths(n.get(k), prefix + k + ".", out);
            });
        } else if (n.isArray()) {
            n.forEach(e -> collectPaths(e, prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1) + "[].", out));
        }
    }

    private static void collectSchemaPaths(JsonNode schema, String prefix, Set<String> out) {
        JsonNode props = schema.get("properties");
        if (props != null) {
            props.fieldNames().forEachRemaining(k -> {
                out.add(prefix + k);
                collectSchemaPaths(props.get(k), prefix + k + ".", out);
            });
        }
        if (schema.has("items")) {
            collectSchemaPaths(schema.get("items"), prefix.substring(0, prefix.length() - 1) + "[].", out);
        }
    }
}
