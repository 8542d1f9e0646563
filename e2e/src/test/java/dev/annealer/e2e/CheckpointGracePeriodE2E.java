package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Issue 16, "a grace period that fits", on the devcluster: two real trainers (short quickstarts, a checkpoint every
 * 50 steps) report the size and write throughput of their checkpoints; the operator puts them into
 * {@code status.checkpoint} and decides {@code CheckpointFitsGracePeriod} (rule: {@code estimate x 1.5 + 10 s <=
 * the pod's terminationGracePeriodSeconds}).
 * <ul>
 *   <li>{@code roomy} keeps the operator's default grace period (120 s): the condition is {@code True}
 *       ({@code CheckpointFits});</li>
 *   <li>{@code tight} asks for {@code spec.template.terminationGracePeriodSeconds: 10}, the smallest the CRD admits,
 *       which no measured write fits (10 s is the margin alone): {@code False}
 *       ({@code CheckpointExceedsGracePeriod}) and one Warning event naming the grace period to set, not repeated
 *       while the condition stays False.</li>
 * </ul>
 * Every figure is read from the API server and checked against the trainer's own {@code event=checkpoint} log line.
 */
@ExtendWith(E2eExtension.class)
class CheckpointGracePeriodE2E {

    private static final String REASON_FITS = "CheckpointFits";
    private static final String REASON_EXCEEDS = "CheckpointExceedsGracePeriod";
    private static final Pattern SET_GRACE = Pattern.compile("set spec\\.template\\.terminationGracePeriodSeconds: (\\d+)");

    @Test
    void statusReportsTheCheckpointCostAndTheConditionFollowsTheGracePeriod(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-grace");
        Map<String, Object> roomy = Jobs.shortQuickstart(env.root(), "roomy");
        Jobs.spec(roomy, "checkpoint").put("everySteps", 50);
        Map<String, Object> tight = Jobs.shortQuickstart(env.root(), "tight");
        Jobs.spec(tight, "checkpoint").put("everySteps", 50);
        Jobs.spec(tight, "template").put("terminationGracePeriodSeconds", 10);
        // both fit on the node at once (2 of its 4 CPUs each, no GPU)
        Jobs.apply(env, ns, roomy);
        Jobs.apply(env, ns, tight);

        for (String job : List.of("roomy", "tight")) {
            env.await(job + ": status.checkpoint and CheckpointFitsGracePeriod set", Duration.ofMinutes(4), ns, job,
                    () -> status(env.job(ns, job).get(), "checkpoint.estimatedWriteSeconds") != null
                            && condition(env.job(ns, job).get(), "CheckpointFitsGracePeriod") != null);
        }

        // roomy: the operator's default grace period holds the measured write with margin
        GenericKubernetesResource r = env.job(ns, "roomy").get();
        Pod roomyPod = env.lastSeen(ns, "roomy-1");
        assertThat(roomyPod.getSpec().getTerminationGracePeriodSeconds()).as("operator default").isEqualTo(120L);
        double estimate = assertCostMatchesTrainerLog(env, ns, "roomy", r);
        assertThat(estimate * 1.5 + 10).as("the rule holds for the figure in status").isLessThanOrEqualTo(120);
        Map<String, Object> fits = condition(r, "CheckpointFitsGracePeriod");
        assertThat(fits).containsEntry("status", "True").containsEntry("reason", REASON_FITS);
        assertThat((String) fits.get("message")).contains("within terminationGracePeriodSeconds 120");
        assertThat(warnings(env, ns, "roomy", REASON_EXCEEDS)).as("no warning for roomy").isEmpty();

        // tight: 10 s cannot hold any write plus the 10 s margin
        GenericKubernetesResource t = env.job(ns, "tight").get();
        assertThat(env.lastSeen(ns, "tight-1").getSpec().getTerminationGracePeriodSeconds()).isEqualTo(10L);
        double tightEstimate = assertCostMatchesTrainerLog(env, ns, "tight", t);
        Map<String, Object> exceeds = condition(t, "CheckpointFitsGracePeriod");
        assertThat(exceeds).containsEntry("status", "False").containsEntry("reason", REASON_EXCEEDS);
        String message = (String) exceeds.get("message");
        assertThat(message).contains("exceeds terminationGracePeriodSeconds 10");
        Matcher m = SET_GRACE.matcher(message);
        assertThat(m.find()).as("the condition names the value to set: %s", message).isTrue();
        long toSet = Long.parseLong(m.group(1));
        assertThat(toSet % 30).as("rounded up to 30 s").isZero();
        assertThat((double) toSet).as("the value to set fits the estimate with margin")
                .isGreaterThanOrEqualTo(tightEstimate * 1.5 + 10).isLessThan(tightEstimate * 1.5 + 10 + 30);

        env.await("tight: the Warning event", Duration.ofSeconds(30), ns, "tight",
                () -> !warnings(env, ns, "tight", REASON_EXCEEDS).isEmpty());
        Event warning = warnings(env, ns, "tight", REASON_EXCEEDS).get(0);
        assertThat(warning.getType()).isEqualTo("Warning");
        assertThat(warning.getInvolvedObject().getKind()).isEqualTo("FineTuneJob");
        assertThat(warning.getMessage()).contains("set spec.template.terminationGracePeriodSeconds: " + toSet);

        // later checkpoints keep the condition False without a second warning (one event per flip)
        long firstStep = statusLong(t, "lastCheckpoint.step");
        env.await("tight: two more checkpoints reported", Duration.ofMinutes(3), ns, "tight",
                () -> statusLong(env.job(ns, "tight").get(), "lastCheckpoint.step") >= firstStep + 100
                        || "Succeeded".equals(status(env.job(ns, "tight").get(), "phase")));
        GenericKubernetesResource later = env.job(ns, "tight").get();
        assertThat(condition(later, "CheckpointFitsGracePeriod")).containsEntry("status", "False");
        assertThat(warnings(env, ns, "tight", REASON_EXCEEDS)).as("one warning while it stays False").hasSize(1);
        System.err.printf("e2e: checkpoint cost roomy=%s tight=%s; tight must set %d s%n",
                status(r, "checkpoint"), status(later, "checkpoint"), toSet);

        // free the node for the next test
        for (String job : List.of("roomy", "tight")) {
            env.job(ns, job).delete();
        }
        for (String job : List.of("roomy", "tight")) {
            env.await(job + " deleted", Duration.ofMinutes(2), ns, job, () -> env.job(ns, job).get() == null);
        }
    }

    /**
     * status.checkpoint of {@code job} is the figure the trainer logged for the checkpoint status.lastCheckpoint
     * names ({@code event=checkpoint name=N ... bytes=B bytesPerSecond=R}), and estimatedWriteSeconds = B / R.
     */
    private static double assertCostMatchesTrainerLog(E2eEnvironment env, String ns, String job,
                                                      GenericKubernetesResource j) {
        String name = (String) status(j, "lastCheckpoint.name");
        assertThat(name).as(job + " status.lastCheckpoint.name").isNotNull();
        long size = Quantity.getAmountInBytes(new Quantity(String.valueOf(status(j, "checkpoint.size"))))
                .longValueExact();
        long rate = statusLong(j, "checkpoint.writeBytesPerSecond");
        double estimate = ((Number) status(j, "checkpoint.estimatedWriteSeconds")).doubleValue();
        Matcher logged = Pattern.compile("event=checkpoint name=" + name + " step=\\d+ seconds=\\S+ bytes=(\\d+) "
                + "bytesPerSecond=(\\d+)").matcher(env.podLogText(ns, job + "-1"));
        assertThat(logged.find()).as(job + ": trainer log line of " + name).isTrue();
        assertThat(size).as(job + " status.checkpoint.size").isEqualTo(Long.parseLong(logged.group(1)))
                .isGreaterThan(1_000_000); // the quickstart's MLP with AdamW moments: about 13 MB
        assertThat(rate).as(job + " status.checkpoint.writeBytesPerSecond").isEqualTo(Long.parseLong(logged.group(2)))
                .isPositive();
        assertThat(estimate).as(job + " status.checkpoint.estimatedWriteSeconds")
                .isCloseTo((double) size / rate, within(0.0051)); // status rounds to 0.01 s
        return estimate;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> condition(GenericKubernetesResource job, String type) {
        if (!(status(job, "conditions") instanceof List<?> list)) {
            return null;
        }
        return list.stream().map(o -> (Map<String, Object>) o).filter(c -> type.equals(c.get("type"))).findFirst()
                .orElse(null);
    }

    private static List<Event> warnings(E2eEnvironment env, String ns, String job, String reason) {
        return env.client().v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> job.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }
}
