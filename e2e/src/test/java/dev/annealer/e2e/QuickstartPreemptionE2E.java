package dev.annealer.e2e;

import dev.annealer.devcluster.CommandResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.annealer.e2e.E2eEnvironment.conditionReason;
import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The product's central promise, end to end: {@code kubectl apply -f examples/quickstart.yaml}; the operator runs the
 * trainer; a high-priority pod takes the node; kube-scheduler preempts the trainer ({@code DisruptionTarget}
 * {@code PreemptionByScheduler}); the trainer checkpoints on SIGTERM and exits 75; the operator counts a preemption
 * and creates the next attempt, which stays Pending until the node is free; it resumes and the job Succeeds.
 *
 * <p>The quickstart asks for no GPU ({@code resources.gpus: 0}, so it runs anywhere) and 2 CPUs; the high-priority
 * pod asks for the node's GPU and 3 of its 4 CPUs, so it only fits once the trainer is gone.
 */
@ExtendWith(E2eExtension.class)
class QuickstartPreemptionE2E {

    private static final Pattern PREEMPTED = Pattern.compile(
            "^checkpointed after preemption: step=(\\d+) checkpoint=(step-\\d{12})$");

    @Test
    void quickstartIsPreemptedResumesExactlyAndSucceeds(E2eEnvironment env) throws Exception {
        KubernetesClient c = env.client();
        String ns = env.namespace("e2e-quickstart");
        String job = "quickstart";
        CommandResult apply = env.kubectl("apply", "-n", ns, "-f", env.root().resolve("examples/quickstart.yaml").toString());
        assertThat(apply.ok()).as(apply.describe()).isTrue();

        // 1-2. The trainer runs and reports progress into status.
        env.await("attempt 1 training, status.step >= 300", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 300);
        String jobYaml = c.configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");
        CompletableFuture<TrainerLog> reference = CompletableFuture.supplyAsync(() -> env.uninterrupted(job, jobYaml));
        String attempt1 = job + "-" + statusLong(env.job(ns, job).get(), "attempt");
        assertThat(c.pods().inNamespace(ns).withName(attempt1).get().getStatus().getPhase()).isEqualTo("Running");

        // 3-4. A high-priority pod takes the node: the scheduler preempts the trainer, which checkpoints on SIGTERM.
        env.createHog(ns, "gpu-hog");
        env.await("preemption recorded", Duration.ofMinutes(2), ns, job,
                () -> statusLong(env.job(ns, job).get(), "preemptions") == 1);
        env.await("attempt 1 gone", Duration.ofMinutes(1), ns, job,
                () -> c.pods().inNamespace(ns).withName(attempt1).get() == null);
        Pod first = env.lastSeen(ns, attempt1);
        assertThat(first.getStatus().getConditions()).anySatisfy(pc -> {
            assertThat(pc.getType()).isEqualTo("DisruptionTarget");
            assertThat(pc.getStatus()).isEqualTo("True");
            assertThat(pc.getReason()).isEqualTo("PreemptionByScheduler");
        });
        ContainerStateTerminated t1 = first.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        assertThat(t1.getExitCode()).as("checkpointed after preemption").isEqualTo(75);
        Matcher m = PREEMPTED.matcher(t1.getMessage());
        assertThat(m.matches()).as("termination message %s", t1.getMessage()).isTrue();
        long checkpointedAt = Long.parseLong(m.group(1));

        // 5. The next attempt exists and stays Pending while the node is taken.
        String attempt2 = job + "-" + (Long.parseLong(attempt1.substring(job.length() + 1)) + 1);
        env.await(attempt2 + " created", Duration.ofMinutes(1), ns, job,
                () -> c.pods().inNamespace(ns).withName(attempt2).get() != null);
        env.await("gpu-hog running", Duration.ofMinutes(1), ns, job,
                () -> "Running".equals(c.pods().inNamespace(ns).withName("gpu-hog").get().getStatus().getPhase()));
        Thread.sleep(3000);
        Pod pending = c.pods().inNamespace(ns).withName(attempt2).get();
        assertThat(pending.getStatus().getPhase()).as("attempt 2 waits for the node").isEqualTo("Pending");
        assertThat(pending.getSpec().getNodeName()).isNull();
        GenericKubernetesResource mid = env.job(ns, job).get();
        assertThat(statusLong(mid, "failures")).isZero();
        assertThat(conditionReason(mid, "Running")).isEqualTo("PodPending");
        assertThat(status(mid, "lastCheckpoint.name")).as("status names the SIGTERM checkpoint attempt 2 resumes from")
                .isEqualTo(m.group(2));
        assertThat(statusLong(mid, "step")).isEqualTo(checkpointedAt);

        // 6. The node frees up: attempt 2 resumes from the checkpoint and the job succeeds.
        c.pods().inNamespace(ns).withName("gpu-hog").delete();
        env.await("job Succeeded", Duration.ofMinutes(6), ns, job, () -> {
            Object phase = status(env.job(ns, job).get(), "phase");
            if ("Failed".equals(phase)) {
                throw new AssertionError("job Failed:\n" + env.dump(ns, job));
            }
            return "Succeeded".equals(phase);
        });
        GenericKubernetesResource done = env.job(ns, job).get();
        assertThat(statusLong(done, "preemptions")).isEqualTo(1);
        assertThat(statusLong(done, "failures")).isZero();
        assertThat(env.podsEverSeen(ns, job + "-")).as("trainer pods").containsExactly(attempt1, attempt2);

        TrainerLog log1 = TrainerLog.parse(env.podLogText(ns, attempt1));
        TrainerLog log2 = TrainerLog.parse(env.podLogText(ns, attempt2));
        assertThat(log1.preemptedAt()).as("attempt 1 checkpointed after preemption").hasValue(checkpointedAt);
        assertThat(log2.resumedAt()).as("attempt 2 resumes at the step attempt 1 checkpointed: at most the "
                + "current step is redone").hasValue(checkpointedAt);

        String finalMessage = String.valueOf(status(done, "lastTerminationMessage"));
        TrainerLog ref = reference.get(10, TimeUnit.MINUTES);
        RunComparison.Result r = RunComparison.compare(List.of(log1, log2),
                TrainerLog.field(finalMessage, "paramsSha256").orElse(null), ref);
        System.err.printf("e2e: job=%s phase=%s preemptions=%d failures=%d lrContinuous=%s "
                        + "paramsMatchUninterrupted=%s (preempted at step %d)%n", job, status(done, "phase"),
                statusLong(done, "preemptions"), statusLong(done, "failures"), r.lrContinuous(), r.paramsMatch(),
                checkpointedAt);
        assertThat(r.differences()).as("cluster run vs uninterrupted run").isEmpty();
        assertThat(r.lrContinuous()).isTrue();
        assertThat(r.paramsMatch()).isTrue();
        assertThat(r.stepsCompared()).as("logged steps (every 50 of 1725)").isGreaterThanOrEqualTo(34);

        // The logged learning rates are also exactly the schedule engine's curve for this spec.
        JobSchedule schedule = JobSchedule.of(jobYaml);
        for (TrainerLog a : List.of(log1, log2)) {
            for (TrainerLog.StepLine s : a.steps()) {
                assertThat(s.lr()).as("lr of step %d", s.step() - 1).isEqualTo(schedule.lr(s.step() - 1));
            }
        }
        assertThat(status(done, "finalModel")).isNotNull();
        LrLossPlot.write(env.out().resolve("quickstart-lr-loss.png"), job, schedule, List.of(log1, log2), ref);
    }
}
