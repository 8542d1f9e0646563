package dev.annealer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.JobSchedules;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.schedule.PeerImporter;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import java.nio.file.Path;
import java.util.Map;

/** Where the CLI's schedules come from: a peer library's settings or a FineTuneJob manifest. */
final class Schedules {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private Schedules() {
    }

    /** Parses {@code --args}: a JSON object of the peer's constructor arguments. */
    static Map<String, Object> parseArgs(String json) {
        if (json == null || json.isBlank()) {
            throw new BadInputException("--args must be a JSON object of the scheduler's constructor arguments, "
                    + "e.g. --args '{\"lr\": 0.1, \"T_0\": 10, \"T_mult\": 2}' (got nothing)");
        }
        try {
            Object v = JSON.readValue(json, Object.class);
            if (!(v instanceof Map<?, ?>)) {
                throw new BadInputException("--args must be a JSON object such as '{\"lr\": 0.1, \"T_max\": 100}' (got "
                        + abbreviate(json) + ")");
            }
            return JSON.convertValue(v, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new BadInputException("--args is not valid JSON (" + e.getOriginalMessage() + "): give an object "
                    + "such as '{\"lr\": 0.1, \"T_max\": 100}' (got " + abbreviate(json) + ")");
        }
    }

    /** The engine config of a peer scheduler; unknown names/arguments list what is accepted. */
    static ScheduleConfig fromPeer(String from, String argsJson, Integer stepsPerEpoch) {
        if (from == null || !from.contains(":")) {
            throw new BadInputException("--from must be LIBRARY:SCHEDULER, one of " + String.join(", ", PeerImporter.NAMES)
                    + " (got " + from + ")");
        }
        if (stepsPerEpoch != null && stepsPerEpoch < 1) {
            throw new BadInputException("--steps-per-epoch must be >= 1 (got " + stepsPerEpoch + "): it is K in "
                    + "scheduler.step(epoch + i/K), the optimizer steps per epoch");
        }
        Map<String, Object> peerArgs = parseArgs(argsJson);
        ScheduleConfig config;
        try {
            config = PeerImporter.fromPeer(from, peerArgs, stepsPerEpoch);
            dev.annealer.schedule.Schedule.of(config);
        } catch (dev.annealer.schedule.ScheduleValidationException e) {
            if ("spec.optimizer.learningRate".equals(e.field())) {
                // the user wrote lr, not a FineTuneJob: name what they gave
                throw new BadInputException("--args lr must be a finite number > 0 (got " + peerArgs.get("lr")
                        + "): it is the optimizer's base learning rate, the peak the schedule scales");
            }
            throw e;
        }
        return config;
    }

    /** A job's manifest and its schedule. */
    record Job(FineTuneJob job, Schedule schedule, long totalSteps) {
    }

    /** Reads a FineTuneJob and builds its schedule ({@code stepsPerEpoch} resolves epoch-based durations). */
    static Job fromJob(Path file, Double stepsPerEpoch, java.io.PrintWriter err) {
        if (stepsPerEpoch != null && !(stepsPerEpoch > 0)) {
            throw new BadInputException("--steps-per-epoch must be > 0 (got " + stepsPerEpoch + ")");
        }
        FineTuneJob job = FineTuneJobs.read(file);
        try {
            Schedule s = JobSchedules.schedule(job, stepsPerEpoch);
            return new Job(job, s, JobSchedules.totalSteps(job.getSpec().getTraining(), stepsPerEpoch));
        } catch (dev.annealer.schedule.ScheduleValidationException e) {
            throw new dev.annealer.schedule.ScheduleValidationException(e.field(), e.value(), file + ": " + e.getMessage());
        }
    }

    static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
