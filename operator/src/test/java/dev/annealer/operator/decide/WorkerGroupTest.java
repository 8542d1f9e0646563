package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.operator.Jobs;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.PodSnapshot;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gang of a job with {@code spec.workers: 2}: {@link WorkerGroup} alone, and observe -> decide -> act sequences
 * through {@link Decider} (rank 0 = pod {@code ft-<attempt>}, rank 1 = pod {@code ft-<attempt>-w1}).
 */
class WorkerGroupTest {

    private static final String CKPT = "checkpointed after preemption: step=1200 checkpoint=step-000000001200";
    private static final long GRACE = 90; // the job's spec.template.terminationGracePeriodSeconds

    /** A 2-worker job and its pods; {@link #decide} feeds the new status back like the API server would. */
    static final class Gang {
        FineTuneJob job = Jobs.load("workers.yaml");
        Instant now = T0;
        /** Observed pods by name; rank 0 of the current attempt becomes {@code Observation.pod}. */
        final Map<String, PodSnapshot> pods = new LinkedHashMap<>();
        Decision last;

        Decision decide() {
            int attempt = job.getStatus() == null || job.getStatus().getAttempt() == null ? 0 : job.getStatus().getAttempt();
            String rank0 = DesiredResources.podName("ft", attempt);
            List<PodSnapshot> others = new ArrayList<>(pods.values().stream().filter(p -> !p.name().equals(rank0)).toList());
            Observation obs = Observation.empty().withOwnedResources(DesiredResources.specVersion(job), true, false, true)
                    .withPod(pods.get(rank0)).withOtherPods(others);
            last = Decider.decide(job, obs, now);
            FineTuneJob next = Serialization.clone(job);
            next.setStatus(last.status());
            job = next;
            return last;
        }

        Gang put(Pods p) {
            PodSnapshot s = p.build();
            pods.put(s.name(), s);
            return this;
        }

        Gang gone(String name) {
            pods.remove(name);
            return this;
        }

        Gang at(Duration sinceT0) {
            now = T0.plus(sinceT0);
            return this;
        }

        FineTuneJobCondition running() {
            return Conditions.find(job.getStatus().getConditions(), ConditionTypes.RUNNING).orElseThrow();
        }

        /** Attempt 1 formed: both workers seen running. */
        static Gang formed() {
            Gang g = new Gang();
            g.decide();
            g.put(pod().named("ft-1", 1)).put(pod().named("ft-1-w1", 1)).decide();
            assertThat(g.running().getStatus()).isEqualTo("True");
            return g;
        }
    }

    @Test
    void rankZeroComesFirstAndTheOtherRanksFollowOnceItHasAnAddress() {
        Gang g = new Gang();
        Decision d = g.decide();
        assertThat(d.actions()).filteredOn(a -> a instanceof Action.CreatePod || a instanceof Action.CreateWorkerPod)
                .containsExactly(new Action.CreatePod(1, Optional.empty()));

        d = g.put(pod().named("ft-1", 1).waiting("ContainerCreating").noIp()).decide();
        assertThat(d.actions()).isEmpty();
        assertThat(g.running().getReason()).isEqualTo(Reasons.POD_PENDING);

        d = g.put(pod().named("ft-1", 1).waiting("ContainerCreating")).decide();
        assertThat(d.actions()).containsExactly(new Action.CreateWorkerPod(1, 1, "10.0.0.7"));
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
    }

    @Test
    void theAttemptRunsOnlyWhenAllWorkersRun() {
        Gang g = new Gang();
        g.decide();
        Decision d = g.put(pod().named("ft-1", 1)).put(pod().named("ft-1-w1", 1).unscheduled()).decide();
        assertThat(d.actions()).isEmpty();
        assertThat(g.running().getStatus()).isEqualTo("False");
        assertThat(g.running().getReason()).isEqualTo(Reasons.POD_PENDING);
        assertThat(g.running().getMessage()).startsWith("1 of 2 workers running (pods ft-1, ft-1-w1)");
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);

        d = g.put(pod().named("ft-1-w1", 1)).decide();
        assertThat(g.running().getStatus()).isEqualTo("True");
        assertThat(d.status().getPhase()).isEqualTo(Phase.RUNNING);
    }

    @Test
    void aWorkerMissingWhileTheGroupFormsIsCreatedAgainNotCounted() {
        Gang g = new Gang();
        g.decide();
        g.put(pod().named("ft-1", 1)).decide(); // rank 1 created now; the cache does not show it yet
        Decision d = g.decide();
        assertThat(d.actions()).containsExactly(new Action.CreateWorkerPod(1, 1, "10.0.0.7"));
        assertThat(d.status().getPreemptions()).isZero();
        assertThat(d.accountedEnding()).isEmpty();
    }

    @Test
    void aDeletedWorkerPreemptsTheWholeAttemptOnceAndTheNextAttemptWaitsForTheSigtermCheckpoint() {
        Gang g = Gang.formed();

        // the scheduler's victim is rank 1: its pod is deleted (SIGTERM) and goes
        Decision d = g.gone("ft-1-w1").at(Duration.ofMinutes(10)).decide();
        assertThat(d.status().getPreemptions()).isEqualTo(1);
        assertThat(d.status().getFailures()).isZero();
        assertThat(d.accountedEnding()).map(PodEnding::kind).contains(PodEnding.Kind.PREEMPTION);
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.PREEMPTED);
        // every other worker gets SIGTERM with its grace period; no new worker starts while one still runs
        assertThat(d.actions()).containsExactly(new Action.DeletePod("ft-1", GRACE));
        assertThat(d.status().getAttempt()).isEqualTo(1);
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
        assertThat(g.running().getReason()).isEqualTo(Reasons.PREEMPTED);

        // rank 0 checkpoints (the workers agreed on the step): still terminating, nothing new, nothing counted again
        d = g.put(pod().named("ft-1", 1).deleting(g.now)).at(Duration.ofMinutes(10).plusSeconds(5)).decide();
        assertThat(d.actions()).isEmpty();
        assertThat(d.status().getPreemptions()).isEqualTo(1);
        assertThat(d.status().getAttempt()).isEqualTo(1);

        // rank 0 wrote the SIGTERM checkpoint and exited 75: the next attempt recreates the whole group
        d = g.put(pod().named("ft-1", 1).deleting(g.now).exited(75, "Error", CKPT)).decide();
        assertThat(d.actions()).containsExactly(new Action.CreatePod(2, Optional.empty()));
        assertThat(d.status().getAttempt()).isEqualTo(2);
        assertThat(d.status().getPreemptions()).isEqualTo(1);
        assertThat(d.status().getFailures()).isZero();

        g.gone("ft-1");
        d = g.put(pod().named("ft-2", 2).waiting("ContainerCreating")).decide();
        assertThat(d.actions()).containsExactly(new Action.CreateWorkerPod(2, 1, "10.0.0.7"));
        d = g.put(pod().named("ft-2", 2)).put(pod().named("ft-2-w1", 2)).decide();
        assertThat(g.running().getStatus()).isEqualTo("True");
        assertThat(d.status().getPreemptions()).isEqualTo(1);
    }

    @Test
    void workersThatAllCheckpointedAfterOneSigtermAreOnePreemption() {
        Gang g = Gang.formed();
        Decision d = g.put(pod().named("ft-1", 1).exited(75, "Error", CKPT))
                .put(pod().named("ft-1-w1", 1).disruption("PreemptionByScheduler").exited(75, "Error", CKPT))
                .at(Duration.ofMinutes(5)).decide();
        assertThat(d.status().getPreemptions()).isEqualTo(1);
        assertThat(d.status().getFailures()).isZero();
        // both ended: rank 0's termination message names the checkpoint the next attempt resumes from
        assertThat(d.status().getLastCheckpoint().getName()).isEqualTo("step-000000001200");
        assertThat(d.actions()).containsExactly(new Action.CreatePod(2, Optional.of(T0.plusSeconds(60))));
    }

    @Test
    void aPeerFailingBecauseItsPartnerWasPreemptedIsNotAFailure() {
        Gang g = Gang.formed();
        Decision d = g.put(pod().named("ft-1", 1).exited(1, "Error", "failed: reason=CollectiveFailed gloo: connection closed"))
                .put(pod().named("ft-1-w1", 1).disruption("PreemptionByScheduler").exited(143, "Error", "")).decide();
        assertThat(d.status().getPreemptions()).isEqualTo(1);
        assertThat(d.status().getFailures()).isZero();
        assertThat(d.accountedEnding()).map(PodEnding::kind).contains(PodEnding.Kind.PREEMPTION);
    }

    @Test
    void aFailedWorkerFailsTheAttemptOnceStopsTheOthersAndBacksOff() {
        Gang g = Gang.formed();
        Decision d = g.put(pod().named("ft-1-w1", 1).exited(137, "OOMKilled", "")).at(Duration.ofMinutes(1)).decide();
        assertThat(d.status().getFailures()).isEqualTo(1);
        assertThat(d.status().getPreemptions()).isZero();
        assertThat(d.accountedEnding()).map(PodEnding::cause).contains(Causes.OOM_KILLED);
        assertThat(d.actions()).containsExactly(new Action.DeletePod("ft-1", GRACE));
        assertThat(g.running().getReason()).isEqualTo(Reasons.BACKING_OFF);

        // rank 0 stops on the SIGTERM the operator sent: not counted again (its exit 75 is not a second ending)
        g.at(Duration.ofMinutes(1).plusSeconds(5));
        d = g.put(pod().named("ft-1", 1).deleting(g.now).exitedAt(75, "Error", CKPT, g.now)).decide();
        assertThat(d.status().getFailures()).isEqualTo(1);
        assertThat(d.status().getPreemptions()).isZero();
        assertThat(d.accountedEnding()).isEmpty();
        assertThat(d.actions()).isEmpty(); // the backoff runs
    }

    @Test
    void theNextAttemptWaitsForEveryWorkerToStopEvenAfterTheBackoff() {
        Gang g = Gang.formed();
        g.put(pod().named("ft-1-w1", 1).exited(1, "Error", "boom")).decide();
        Decision d = g.put(pod().named("ft-1", 1).deleting(g.now)).at(Duration.ofHours(1)).decide();
        assertThat(d.actions()).isEmpty();
        assertThat(d.status().getAttempt()).isEqualTo(1);
        assertThat(d.requeueAfter()).isPresent();
        d = g.gone("ft-1").decide();
        assertThat(d.actions()).filteredOn(a -> a instanceof Action.CreatePod).hasSize(1);
        assertThat(d.status().getAttempt()).isEqualTo(2);
    }

    @Test
    void aWorkerThatFinishedWaitsForRankZerosSuccess() {
        Gang g = Gang.formed();
        Decision d = g.put(pod().named("ft-1-w1", 1).exited(0, "Completed", "")).decide();
        assertThat(d.accountedEnding()).isEmpty();
        assertThat(d.actions()).isEmpty();
        d = g.put(pod().named("ft-1", 1).exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000")).decide();
        assertThat(d.status().getPhase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(d.status().getFailures()).isZero();
    }

    @Test
    void aJobThatFailsForGoodStopsItsOtherWorkers() {
        Gang g = Gang.formed();
        Decision d = g.put(pod().named("ft-1-w1", 1).exited(2, "Error", "failed: reason=InvalidSpec bad")).decide();
        assertThat(d.status().getPhase()).isEqualTo(Phase.FAILED);
        assertThat(d.actions()).contains(new Action.DeletePod("ft-1", GRACE));
    }

    @Test
    void suspendStopsEveryWorker() {
        Gang g = Gang.formed();
        g.job.getSpec().setSuspend(true);
        Decision d = g.decide();
        assertThat(d.actions()).containsExactlyInAnyOrder(new Action.DeletePod("ft-1", GRACE),
                new Action.DeletePod("ft-1-w1", GRACE));
        d = g.put(pod().named("ft-1", 1).deleting(g.now)).put(pod().named("ft-1-w1", 1).deleting(g.now)).decide();
        assertThat(d.actions()).isEmpty();
        d = g.gone("ft-1").gone("ft-1-w1").decide();
        assertThat(d.status().getPhase()).isEqualTo(Phase.SUSPENDED);
        assertThat(d.status().getPreemptions()).isZero();
        assertThat(d.status().getFailures()).isZero();
        assertThat(d.actions()).isEmpty();
    }

    @Test
    void aRankZeroTakenByTheSchedulerStopsTheOtherWorkersToo() {
        Gang g = Gang.formed();
        Decision d = g.put(pod().named("ft-1", 1).disruption("PreemptionByScheduler").deleting(T0)).decide();
        assertThat(d.actions()).containsExactly(new Action.DeletePod("ft-1-w1", GRACE));
        assertThat(d.status().getPreemptions()).isZero(); // counted when it ends
    }

    @Test
    void theGroupViewNamesRanksAndIgnoresOtherAttempts() {
        WorkerGroup group = new WorkerGroup("ft", 3, 2, Optional.of(pod().named("ft-2", 2).build()), List.of(
                pod().named("ft-2-w2", 2).build(), pod().named("ft-1-w1", 1).exited(75, "Error", CKPT).build(),
                pod().named("ft-1-w2", 1).deleting(T0).build()));
        assertThat(group.podName(0)).isEqualTo("ft-2");
        assertThat(group.podName(2)).isEqualTo("ft-2-w2");
        assertThat(group.members()).containsOnlyKeys(2);
        assertThat(group.missing()).containsExactly(1);
        assertThat(group.running()).isEqualTo(2);
        assertThat(group.allRunning()).isFalse();
        assertThat(group.toCreate(false)).containsExactly(new Action.CreateWorkerPod(2, 1, "10.0.0.7"));
        assertThat(group.toCreate(true)).isEmpty();
        // the finished pod of attempt 1 does not hold anything up; its terminating one does
        assertThat(group.unfinished()).extracting(PodSnapshot::name).containsExactly("ft-2", "ft-2-w2", "ft-1-w2");
        assertThat(group.stopUnfinished(30)).containsExactly(new Action.DeletePod("ft-2", 30),
                new Action.DeletePod("ft-2-w2", 30));
        // formed: the missing rank 1 is gone, a preemption of the attempt
        assertThat(group.ending(Optional.empty(), true, false, T0, PodEndingClassifier.Settings.DEFAULT))
                .map(WorkerGroup.Ending::podName).contains("ft-2-w1");
        assertThat(group.ending(Optional.empty(), false, false, T0, PodEndingClassifier.Settings.DEFAULT)).isEmpty();
    }
}
