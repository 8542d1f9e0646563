package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Every rejection names the FineTuneJob field, the value and the reason/fix; no stack trace reaches a user. */
class ValidationTest {

    static Map<String, Object> job(double lr, Map<String, Object> schedule) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizer", Map.of("learningRate", lr));
        m.put("schedule", schedule);
        return m;
    }

    static ScheduleValidationException reject(Map<String, Object> schedule) {
        return reject(schedule, TrainingContext.NONE);
    }

    static ScheduleValidationException reject(Map<String, Object> schedule, TrainingContext ctx) {
        return catchThrowableOfType(ScheduleValidationException.class,
                () -> ScheduleConfig.fromManifest(job(3e-4, schedule), ctx));
    }

    static Map<String, Object> sgdr(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "CosineWarmRestarts");
        m.put("period", Map.of("steps", 100));
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void periodMultiplierBelowOne() {
        ScheduleValidationException e = reject(sgdr("periodMultiplier", 0.5));
        assertThat(e.field()).isEqualTo("spec.schedule.periodMultiplier");
        assertThat(e.value()).isEqualTo(0.5);
        assertThat(e).hasMessage("spec.schedule.periodMultiplier must be a finite number >= 1 (got 0.5): "
                + "a multiplier below 1 would shrink cycles forever");
        assertThat(e).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void learningRateMustBePositive() {
        ScheduleValidationException e = catchThrowableOfType(ScheduleValidationException.class,
                () -> ScheduleConfig.fromManifest(job(0, sgdr()), TrainingContext.NONE));
        assertThat(e).hasMessage("spec.optimizer.learningRate must be a finite number > 0 (got 0.0): "
                + "it is the peak learning rate the schedule scales");
        ScheduleValidationException missing = catchThrowableOfType(ScheduleValidationException.class,
                () -> ScheduleConfig.fromManifest(Map.of("optimizer", Map.of("type", "AdamW")), TrainingContext.NONE));
        assertThat(missing.field()).isEqualTo("spec.optimizer.learningRate");
        assertThat(missing).hasMessageStartingWith("spec.optimizer.learningRate must be set (got null)");
    }

    @Test
    void fieldByFieldMessages() {
        assertThat(reject(sgdr("minLearningRate", -1e-3))).hasMessage("spec.schedule.minLearningRate must be a finite "
                + "number >= 0 (got -0.001): it is a learning rate");
        assertThat(reject(sgdr("maxCycles", 0))).hasMessageStartingWith("spec.schedule.maxCycles must be >= 1");
        assertThat(reject(sgdr("maxCycles", 2.5))).hasMessageStartingWith("spec.schedule.maxCycles must be a whole number (got 2.5)");
        assertThat(reject(sgdr("peakDecay", 1.5))).hasMessageStartingWith("spec.schedule.peakDecay must be in (0, 1] (got 1.5)");
        assertThat(reject(sgdr("peakDecay", 0))).hasMessageStartingWith("spec.schedule.peakDecay must be in (0, 1] (got 0.0)");
        assertThat(reject(sgdr("period", Map.of("steps", -3)))).hasMessageStartingWith(
                "spec.schedule.period.steps must be a finite number > 0 (got -3.0)");
        assertThat(reject(sgdr("period", Map.of("steps", 10, "epochs", 1)))).hasMessageStartingWith(
                "spec.schedule.period.epochs must be omitted when steps is given (got 1.0)");
        assertThat(reject(sgdr("period", Map.of("weeks", 1)))).hasMessageStartingWith(
                "spec.schedule.period.weeks must be one of the accepted keys [steps, epochs] (got \"1\")");
        assertThat(reject(sgdr("cosineWaves", -1))).hasMessageStartingWith("spec.schedule.cosineWaves must be a finite number > 0");
        assertThat(reject(sgdr("kDecay", 0))).hasMessageStartingWith("spec.schedule.kDecay must be a finite number > 0");
        assertThat(reject(sgdr("restartOnPlateau", Map.of("patience", 0)))).hasMessageStartingWith(
                "spec.schedule.restartOnPlateau.patience must be >= 1 (got 0)");
        assertThat(reject(sgdr("restartOnPlateau", Map.of("patience", 2, "minDelta", -1)))).hasMessageStartingWith(
                "spec.schedule.restartOnPlateau.minDelta must be a finite number >= 0 (got -1.0)");
        assertThat(reject(sgdr("restartOnPlateau", Map.of("patience", 2), "maxCycles", 1))).hasMessageStartingWith(
                "spec.schedule.restartOnPlateau must be omitted when maxCycles is 1");
    }

    @Test
    void unknownKeysAndValuesListWhatIsAccepted() {
        ScheduleValidationException e = reject(sgdr("periodMultipler", 2));
        assertThat(e.field()).isEqualTo("spec.schedule.periodMultipler");
        assertThat(e).hasMessageContaining("must be one of the accepted keys [type, warmup, minLearningRate");
        assertThat(reject(Map.of("type", "Linear"))).hasMessage(
                "spec.schedule.type must be one of Constant | Cosine | CosineWarmRestarts (got \"Linear\")");
        assertThat(reject(sgdr("periodMultiplier", "two"))).hasMessageStartingWith(
                "spec.schedule.periodMultiplier must be a number (got \"two\")");
    }

    @Test
    void fieldsOfAnotherTypeAreRejected() {
        assertThat(reject(Map.of("type", "Cosine", "horizon", Map.of("steps", 10), "period", Map.of("steps", 5))))
                .hasMessageStartingWith("spec.schedule.period must be omitted for type Cosine");
        assertThat(reject(Map.of("type", "Constant", "minLearningRate", 0.0)))
                .hasMessageStartingWith("spec.schedule.minLearningRate must be omitted for type Constant");
    }

    @Test
    void missingPieces() {
        assertThat(reject(Map.of("type", "CosineWarmRestarts"))).hasMessageStartingWith(
                "spec.schedule.period must be set for CosineWarmRestarts (got null)");
        assertThat(reject(Map.of("type", "Cosine"))).hasMessageStartingWith(
                "spec.schedule.horizon must be set when the training budget is unknown (got null)");
        assertThat(reject(Map.of("type", "CosineWarmRestarts", "period", Map.of("epochs", 1.5)))).hasMessageStartingWith(
                "spec.schedule.period.epochs must be given in steps when the steps per epoch are unknown (got 1.5)");
    }

    @Test
    void warmupMustBeWholeSteps() {
        ScheduleValidationException e = reject(sgdr("warmup", Map.of("epochs", 0.5)), new TrainingContext(1000, 25.0));
        assertThat(e.field()).isEqualTo("spec.schedule.warmup.epochs");
        assertThat(e).hasMessageStartingWith("spec.schedule.warmup.epochs must be a whole number of steps (it resolves to 12.5) (got 0.5)");
        assertThat(reject(sgdr("warmup", Map.of("steps", 10, "startFactor", 0.1, "startLearningRate", 0.0))))
                .hasMessageStartingWith("spec.schedule.warmup.startLearningRate must be omitted when startFactor is given");
        assertThat(reject(sgdr("warmup", Map.of("steps", 10, "startFactor", 2)))).hasMessageStartingWith(
                "spec.schedule.warmup.startFactor must be in [0, 1] (got 2.0)");
        assertThat(reject(sgdr("warmup", Map.of("steps", 10, "placement", "Middle")))).hasMessageStartingWith(
                "spec.schedule.warmup.placement must be one of Prefix | Overlap (got \"Middle\")");
    }

    @Test
    void explicitCyclesAreValidatedPerEntry() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "CosineWarmRestarts");
        s.put("cycles", List.of(Map.of("steps", 100), Map.of("steps", 50, "warmup", Map.of("steps", 50))));
        assertThat(reject(s)).hasMessageStartingWith(
                "spec.schedule.cycles[1].warmup.steps must be shorter than the cycle (50 steps) (got 50)");
        s.put("period", Map.of("steps", 100));
        assertThat(reject(s)).hasMessageStartingWith("spec.schedule.period must be omitted when cycles is given");
    }

    @Test
    void theBuilderValidatesToo() {
        ScheduleValidationException e = catchThrowableOfType(ScheduleValidationException.class,
                () -> ScheduleConfig.builder().learningRate(0.1).type(ScheduleConfig.Type.CosineWarmRestarts)
                        .periodSteps(10).periodMultiplier(0.5).build());
        assertThat(e.field()).isEqualTo("spec.schedule.periodMultiplier");
        assertThat(catchThrowableOfType(ScheduleValidationException.class, () -> ScheduleConfig.builder().build())
                .field()).isEqualTo("spec.optimizer.learningRate");
    }

    @Test
    void yamlStringNumbersAreAccepted() {
        // YAML 1.1 reads 1e-6 (no dot) as a string
        ScheduleConfig c = ScheduleConfig.fromManifest(job(3e-4, sgdr("minLearningRate", "1e-6")), TrainingContext.NONE);
        assertThat(c.minLearningRate()).isEqualTo(1e-6);
    }
}
