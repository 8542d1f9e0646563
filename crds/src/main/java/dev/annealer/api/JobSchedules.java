package dev.annealer.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.ScheduleSpec;
import dev.annealer.api.v1alpha1.ScheduleStatus;
import dev.annealer.api.v1alpha1.TrainingSpec;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import dev.annealer.schedule.SchedulePosition;
import dev.annealer.schedule.ScheduleValidationException;
import dev.annealer.schedule.TrainingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a FineTuneJob onto the schedule engine, and back.
 *
 * <p>{@code spec.optimizer} and {@code spec.schedule} are converted (Jackson {@code convertValue}) into the plain-map
 * shape {@code {optimizer: {...}, schedule: {...}}} that {@link ScheduleConfig#fromManifest} reads, with a
 * {@link TrainingContext} built from {@code spec.training}:
 * <pre>
 *   totalSteps    = training.maxSteps                                  when maxSteps is set
 *                 = ceil(training.epochs * stepsPerEpoch)              when epochs is set and stepsPerEpoch is known
 *                 = unknown (0)                                        otherwise
 *   stepsPerEpoch = the caller's measurement: ceil(records / (batchSize * gradientAccumulation)) for the trainer,
 *                   null when the data has not been read (the operator at admission)
 * </pre>
 * Errors are the engine's {@link ScheduleValidationException}: field path ({@code spec.schedule....}), value and fix.
 */
public final class JobSchedules {

    private static final ObjectMapper MAPPER = FineTuneJobs.newMapper();
    /** Reading the engine's output: whole numbers may come back as doubles; exactness is checked by the engine. */
    private static final ObjectMapper LENIENT = FineTuneJobs.newMapper()
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, true);

    private JobSchedules() {
    }

    /** The {@code {optimizer, schedule}} map of a spec, as the engine reads it (no schedule: key absent). */
    public static Map<String, Object> manifestOf(FineTuneJobSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizer", spec.getOptimizer() == null ? null
                : MAPPER.convertValue(spec.getOptimizer(), new TypeReference<Map<String, Object>>() { }));
        if (spec.getSchedule() != null) {
            m.put("schedule", MAPPER.convertValue(spec.getSchedule(), new TypeReference<Map<String, Object>>() { }));
        }
        return m;
    }

    /**
     * The training context of a spec.
     *
     * @param stepsPerEpoch optimizer steps per epoch if known (the trainer knows it once it has read the data), else null
     */
    public static TrainingContext context(FineTuneJobSpec spec, Double stepsPerEpoch) {
        return new TrainingContext(totalSteps(spec.getTraining(), stepsPerEpoch), stepsPerEpoch);
    }

    /** The training budget in optimizer steps, or 0 when unknown (epochs without a known epoch size). */
    public static long totalSteps(TrainingSpec training, Double stepsPerEpoch) {
        if (training == null) {
            return 0;
        }
        if (training.getMaxSteps() != null) {
            return training.getMaxSteps();
        }
        if (training.getEpochs() != null && stepsPerEpoch != null) {
            return (long) Math.ceil(training.getEpochs() * stepsPerEpoch);
        }
        return 0;
    }

    /** The validated engine config of a job. @throws ScheduleValidationException naming the bad field */
    public static ScheduleConfig config(FineTuneJob job, Double stepsPerEpoch) {
        return config(job.getSpec(), stepsPerEpoch);
    }

    /** The validated engine config of a spec. @throws ScheduleValidationException naming the bad field */
    public static ScheduleConfig config(FineTuneJobSpec spec, Double stepsPerEpoch) {
        return ScheduleConfig.fromManifest(manifestOf(spec), context(spec, stepsPerEpoch));
    }

    /** The schedule of a job: {@code Schedule.of(config(job, stepsPerEpoch))}. */
    public static Schedule schedule(FineTuneJob job, Double stepsPerEpoch) {
        return Schedule.of(config(job, stepsPerEpoch));
    }

    /**
     * The typed {@code spec.schedule} of an engine config (e.g. one imported from a peer), through
     * {@link ScheduleConfig#toManifest()}. Its {@code learningRate} is {@link ScheduleConfig#learningRate()}.
     */
    public static ScheduleSpec scheduleSpecOf(ScheduleConfig config) {
        Object schedule = config.toManifest().get("schedule");
        return LENIENT.convertValue(schedule, ScheduleSpec.class);
    }

    /** {@code status.schedule} for a position of a schedule. */
    public static ScheduleStatus statusOf(Schedule schedule, SchedulePosition p) {
        ScheduleStatus s = new ScheduleStatus();
        s.setCycle(p.cycle());
        s.setCycleStep(p.cycleStep());
        s.setCycleLength(p.cycleLength());
        s.setLearningRate(p.learningRate());
        s.setCyclePeak(p.cyclePeak());
        s.setPhase(p.phase().name());
        s.setFingerprint(schedule.fingerprint());
        return s;
    }
}
