package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.annealer.e2e.E2eEnvironment.conditionReason;
import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A genuine failure next to a preemption. The job trains from a data file outside the image ({@code file:///...},
 * as a dataset on a shared volume would be); it is preempted (counted as a preemption, not a failure); while the
 * next attempt waits for the node, a bad record lands in the data file; the next attempt refuses it with
 * {@code BadRecord} (exit 2, naming file:line and field).
 *
 * <p>{@code BadRecord} is data on a volume, which the user can fix between attempts, so the operator counts it as an
 * ordinary failure and retries after the backoff (shortened here to 1 s, capped at 2 s) until the budget runs out:
 * {@code FailureBudget} fails the job when {@code failures > maxFailures}, so with {@code maxFailures: 2} attempts
 * 2, 3 and 4 fail and the job ends Failed with reason {@code BadRecord}, failures=3, preemptions=1 (docs/operator.md).
 */
@ExtendWith(E2eExtension.class)
class BadRecordE2E {

    @Test
    void badRecordIsRetriedUntilPastMaxFailuresAndThePreemptionIsNotAFailure(E2eEnvironment env) throws Exception {
        KubernetesClient c = env.client();
        String ns = env.namespace("e2e-bad-record");
        String job = "bad-record";
        Path data = env.out().resolve("data").resolve(ns).resolve("train.csv");
        Files.createDirectories(data.getParent());
        Files.copy(env.root().resolve("examples/data/quickstart-train.csv"), data,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, Object> manifest = Jobs.shortQuickstart(env.root(), job);
        Jobs.spec(manifest, "data").put("train", "file://" + data.toAbsolutePath());
        Jobs.spec(manifest, "failurePolicy").put("maxFailures", 2);
        Jobs.spec(manifest, "failurePolicy").put("backoff", Map.of("initialSeconds", 1, "maxSeconds", 2));
        Jobs.apply(env, ns, manifest);

        env.await("attempt 1 training, status.step >= 100", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 100);
        env.createHog(ns, "gpu-hog");
        env.await("preemption recorded", Duration.ofMinutes(2), ns, job,
                () -> statusLong(env.job(ns, job).get(), "preemptions") == 1);
        env.await("attempt 2 created", Duration.ofMinutes(1), ns, job,
                () -> c.pods().inNamespace(ns).withName(job + "-2").get() != null);
        GenericKubernetesResource mid = env.job(ns, job).get();
        assertThat(statusLong(mid, "failures")).as("the preemption is not a failure").isZero();

        // A bad record lands in the data while attempt 2 waits for the node: line 202, field f3.
        List<String> lines = new ArrayList<>(Files.readAllLines(data));
        String[] fields = lines.get(201).split(",", -1);
        fields[3] = "x";
        lines.set(201, String.join(",", fields));
        Files.write(data, lines);
        assertThat(c.pods().inNamespace(ns).withName(job + "-2").get().getStatus().getPhase()).isEqualTo("Pending");
        c.pods().inNamespace(ns).withName("gpu-hog").delete();

        env.await("job Failed", Duration.ofMinutes(4), ns, job,
                () -> "Failed".equals(status(env.job(ns, job).get(), "phase")));
        GenericKubernetesResource failed = env.job(ns, job).get();
        assertThat(conditionReason(failed, "Failed")).isEqualTo("BadRecord");
        assertThat(statusLong(failed, "failures")).as("failures > maxFailures=2 ends the job").isEqualTo(3);
        assertThat(statusLong(failed, "preemptions")).as("the preemption is counted apart").isEqualTo(1);
        assertThat(statusLong(failed, "attempt")).isEqualTo(4);
        assertThat(conditionMessage(failed, "Failed")).contains("3 failures exceed spec.failurePolicy.maxFailures=2")
                .contains("failed: reason=BadRecord ");
        String message = String.valueOf(status(failed, "lastTerminationMessage"));
        assertThat(message).startsWith("failed: reason=BadRecord ").contains("train.csv:202").contains("f3");
        // the first BadRecord was retried: attempts 2, 3 and 4 each refused the record, each after the previous ended
        java.time.Instant previousEnd = null;
        for (int attempt = 2; attempt <= 4; attempt++) {
            Pod pod = env.lastSeen(ns, job + "-" + attempt);
            assertThat(pod).as("pod of attempt %d", attempt).isNotNull();
            ContainerStateTerminated t = pod.getStatus().getContainerStatuses().get(0).getState().getTerminated();
            assertThat(t).as("attempt %d terminated", attempt).isNotNull();
            assertThat(t.getExitCode()).as("attempt %d exit", attempt).isEqualTo(2);
            assertThat(t.getMessage()).as("attempt %d message", attempt).startsWith("failed: reason=BadRecord ")
                    .contains("train.csv:202");
            if (previousEnd != null) {
                assertThat(java.time.Instant.parse(pod.getMetadata().getCreationTimestamp()))
                        .as("attempt %d is created after attempt %d ended (backoff)", attempt, attempt - 1)
                        .isAfterOrEqualTo(previousEnd);
            }
            previousEnd = java.time.Instant.parse(t.getFinishedAt());
        }
        Thread.sleep(3000);
        assertThat(env.podsEverSeen(ns, job + "-")).as("no attempt after the job failed")
                .containsExactly(job + "-1", job + "-2", job + "-3", job + "-4");
    }

    /** Message of condition {@code type}, or null. */
    @SuppressWarnings("unchecked")
    private static String conditionMessage(GenericKubernetesResource job, String type) {
        if (!(status(job, "conditions") instanceof List<?> list)) {
            return null;
        }
        return list.stream().map(o -> (Map<String, Object>) o).filter(c -> type.equals(c.get("type")))
                .map(c -> (String) c.get("message")).findFirst().orElse(null);
    }
}
