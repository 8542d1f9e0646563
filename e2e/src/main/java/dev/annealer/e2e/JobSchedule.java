package dev.annealer.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import dev.annealer.schedule.TrainingContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The learning-rate curve a FineTuneJob's spec promises, from the schedule engine (budgets in steps only). */
public final class JobSchedule {

    private final Schedule schedule;
    private final long maxSteps;

    private JobSchedule(Schedule schedule, long maxSteps) {
        this.schedule = schedule;
        this.maxSteps = maxSteps;
    }

    /** @param jobYaml a FineTuneJob manifest with {@code spec.training.maxSteps} */
    @SuppressWarnings("unchecked")
    public static JobSchedule of(String jobYaml) {
        try {
            Map<String, Object> job = new ObjectMapper(new YAMLFactory()).readValue(jobYaml, Map.class);
            Map<String, Object> spec = (Map<String, Object>) job.get("spec");
            Map<String, Object> training = (Map<String, Object>) spec.get("training");
            Object max = training == null ? null : training.get("maxSteps");
            if (!(max instanceof Number n)) {
                throw new IllegalArgumentException("spec.training.maxSteps must be set (got " + max
                        + "): the comparison needs a budget in steps");
            }
            Map<String, Object> shape = new LinkedHashMap<>();
            shape.put("optimizer", spec.get("optimizer"));
            shape.put("schedule", spec.get("schedule"));
            ScheduleConfig config = ScheduleConfig.fromManifest(shape, new TrainingContext(n.longValue(), null));
            return new JobSchedule(Schedule.of(config), n.longValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** LR of 0-based step {@code step}. */
    public double lr(long step) {
        return schedule.lr(step);
    }

    public long maxSteps() {
        return maxSteps;
    }
}
