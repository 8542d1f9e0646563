package dev.annealer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annealer.api.FineTuneJobs;
import dev.annealer.api.JobSchedules;
import dev.annealer.schedule.Schedule;
import dev.annealer.schedule.ScheduleConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code annealer schedule import}: a peer library's scheduler settings as FineTuneJob YAML. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Print the FineTuneJob optimizer.learningRate and schedule: equivalent to a peer's scheduler.",
            "Accepted: torch:CosineAnnealingLR, torch:CosineAnnealingWarmRestarts, "
                + "transformers:get_cosine_schedule_with_warmup, "
                + "transformers:get_cosine_with_hard_restarts_schedule_with_warmup, "
                + "transformers:get_cosine_with_min_lr_schedule_with_warmup, timm:CosineLRScheduler, "
                + "optax:warmup_cosine_decay_schedule, optax:sgdr_schedule."})
public final class ImportCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "LIB:SCHEDULER", description = "Peer scheduler, e.g. torch:CosineAnnealingWarmRestarts.")
    String from;

    @Option(names = "--args", required = true, paramLabel = "JSON",
            description = "Its constructor arguments as a JSON object; lr is the optimizer's base learning rate.")
    String args;

    @Option(names = "--steps-per-epoch", paramLabel = "K",
            description = "The peer was stepped with fractional epochs epoch + i/K (K optimizer steps per epoch), so its periods are in epochs.")
    Integer stepsPerEpoch;

    /** Durations (steps / epochs) that are whole numbers are shown as integers: {@code steps: 9000}, not 9000.0. */
    static JsonNode wholeDurations(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.fieldNames().forEachRemaining(k -> {
                JsonNode v = o.get(k);
                if ((k.equals("steps") || k.equals("epochs")) && v.isFloatingPointNumber()
                        && v.doubleValue() == Math.rint(v.doubleValue()) && Math.abs(v.doubleValue()) < 9.0e15) {
                    o.put(k, v.longValue());
                } else {
                    wholeDurations(v);
                }
            });
        } else if (n != null && n.isArray()) {
            n.forEach(ImportCommand::wholeDurations);
        }
        return n;
    }

    @Override
    public Integer call() throws JsonProcessingException {
        ScheduleConfig config = Schedules.fromPeer(from, args, stepsPerEpoch);
        Schedule schedule = Schedule.of(config);
        Map<String, Object> optimizer = new LinkedHashMap<>();
        optimizer.put("learningRate", config.learningRate());
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("optimizer", optimizer);
        doc.put("schedule", wholeDurations(FineTuneJobs.mapper().valueToTree(JobSchedules.scheduleSpecOf(config))));
        var out = spec.commandLine().getOut();
        out.println("# " + from + " " + args.strip() + (stepsPerEpoch == null ? "" : " stepped with epoch + i/" + stepsPerEpoch));
        out.println("# paste under spec: of a FineTuneJob (keep the rest of spec.optimizer); fingerprint " + schedule.fingerprint());
        out.print(FineTuneJobs.toYaml(doc));
        out.flush();
        return 0;
    }
}
