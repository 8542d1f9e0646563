package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.api.v1alpha1.ReclaimPolicy;
import dev.annealer.operator.Jobs;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.PodSnapshot;
import dev.annealer.operator.progress.ProgressReport;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static dev.annealer.operator.decide.Pods.T0;
import static dev.annealer.operator.decide.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;

/** Table and sequence tests of {@code decide()}: the whole policy without a cluster. */
class DeciderTest {

    private static final String CKPT = "checkpointed after preemption: step=1200 checkpoint=step-000000001200";

    /** A job plus the world around it; {@link #decide} feeds the new status back like the API server would. */
    static final class World {
        FineTuneJob job = Jobs.sgdr();
        Observation obs = Observation.empty();
        Instant now = T0;
        Decision last;

        Decision decide() {
            last = Decider.decide(job, obs, now);
            FineTuneJob next = Serialization.clone(job);
            next.setStatus(Serialization.clone(job).getStatus() == null ? null : job.getStatus());
            next.setStatus(last.status());
            job = next;
            // owned resources appear once created
            String cm = last.actions().contains(new Action.ApplySpecConfigMap()) ? DesiredResources.specVersion(job)
                    : obs.specConfigMapVersion().orElse(null);
            obs = obs.withOwnedResources(cm,
                    obs.pvcExists() || last.actions().contains(new Action.CreateCheckpointPvc()),
                    obs.pvcOwnedByJob() || (last.actions().contains(new Action.CreateCheckpointPvc())
                            && !DesiredResources.checkpointPvc(job).getMetadata().getOwnerReferences().isEmpty()),
                    obs.secretExists() || last.actions().contains(new Action.CreateProgressSecret()));
            // a created pod exists from now on, pending (the Observer only ever looks at the current attempt's pod)
            last.actions().stream().filter(a -> a instanceof Action.CreatePod).map(a -> ((Action.CreatePod) a).attempt())
                    .forEach(n -> obs = obs.withPod(Pods.pod().named("ft-" + n, n).waiting("ContainerCreating").build()));
            return last;
        }

        World pod(Pods p) {
            obs = obs.withPod(p.build());
            return this;
        }

        World noPod() {
            obs = obs.withPod(null);
            return this;
        }

        World at(Duration sinceT0) {
            now = T0.plus(sinceT0);
            return this;
        }

        /** A started job whose attempt 1 runs. */
        static World running() {
            World w = new World();
            w.decide();
            w.pod(Pods.pod()).decide();
            return w;
        }

        FineTuneJobCondition condition(String type) {
            return Conditions.find(job.getStatus().getConditions(), type).orElseThrow();
        }
    }

    @Test
    void aNewJobGetsItsResourcesAndTheFirstPod() {
        World w = new World();
        Decision d = w.decide();
        assertThat(d.actions()).containsExactly(new Action.ApplySpecConfigMap(), new Action.CreateCheckpointPvc(),
                new Action.CreateProgressSecret(), new Action.CreatePod(1, java.util.Optional.empty()));
        FineTuneJobStatus s = d.status();
        assertThat(s.getAttempt()).isEqualTo(1);
        assertThat(s.getPhase()).isEqualTo(Phase.PENDING);
        assertThat(s.getObservedGeneration()).isEqualTo(1L);
        assertThat(s.getPreemptions()).isZero();
        assertThat(s.getFailures()).isZero();
        assertThat(s.getStartTime()).isEqualTo(T0.toString());
        assertThat(s.getConditions()).extracting(FineTuneJobCondition::getType).containsExactlyElementsOf(ConditionTypes.ALL);
        assertThat(s.getConditions()).allSatisfy(c -> {
            assertThat(c.getReason()).isNotBlank();
            assertThat(c.getLastTransitionTime()).isNotBlank();
            assertThat(c.getObservedGeneration()).isEqualTo(1L);
        });
        assertThat(w.condition(ConditionTypes.ACCEPTED).getStatus()).isEqualTo("True");
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.POD_PENDING);
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.CREATED);
    }

    @Test
    void reconcilingAnUnchangedJobChangesNothing() {
        World w = World.running();
        FineTuneJobStatus before = w.job.getStatus();
        Decision again = w.decide();
        assertThat(again.actions()).isEmpty();
        assertThat(again.events()).isEmpty();
        assertThat(again.status()).isEqualTo(before);
        assertThat(again.requeueAfter()).contains(Duration.ofSeconds(5));
    }

    @Test
    void aGatedPodIsPendingWithAKueueHint() {
        World w = new World();
        w.decide();
        Decision d = w.pod(pod().unscheduled()).decide();
        assertThat(d.actions()).isEmpty();
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
        assertThat(w.condition(ConditionTypes.RUNNING).getMessage()).contains("Kueue");
    }

    @Test
    void aRunningTrainersProgressGoesIntoStatus() {
        World w = World.running();
        assertThat(w.job.getStatus().getPhase()).isEqualTo(Phase.RUNNING);
        assertThat(w.condition(ConditionTypes.RUNNING).getStatus()).isEqualTo("True");
        w.obs = w.obs.withProgress(new ProgressReport(w.job.getMetadata().getUid(), 1, 4321L, 1.5, 1L, 1321L, 4000L, 2.1e-4,
                0.25, 0.3, 100.0, 600.0, new ProgressReport.Checkpoint(4000L, "2026-11-28T10:05:00Z", "sha256:ab",
                "step-000000004000"), "Running", "2026-11-28T10:05:01Z"));
        FineTuneJobStatus s = w.decide().status();
        assertThat(s.getStep()).isEqualTo(4321L);
        assertThat(s.getEpoch()).isEqualTo(1.5);
        assertThat(s.getSchedule().getCycle()).isEqualTo(1L);
        assertThat(s.getSchedule().getCycleStep()).isEqualTo(1321L);
        assertThat(s.getSchedule().getCycleLength()).isEqualTo(4000L);
        assertThat(s.getSchedule().getLearningRate()).isEqualTo(2.1e-4);
        assertThat(s.getLoss()).isEqualTo(0.25);
        assertThat(s.getValidationLoss()).isEqualTo(0.3);
        assertThat(s.getLastCheckpoint().getStep()).isEqualTo(4000L);
        assertThat(s.getLastCheckpoint().getDigest()).isEqualTo("sha256:ab");
        assertThat(s.getLastCheckpoint().getTime()).isEqualTo("2026-11-28T10:05:00Z");
    }

    @Test
    void aCheckpointSlowerThanTheGracePeriodSetsTheConditionAndWarnsOnceWithTheValueToSet() {
        World w = World.running(); // no terminationGracePeriodSeconds in the spec: 120 s
        // 16 GiB at 200 MiB/s = 82 s; x1.5 + 10 s = 133 s > 120 s
        w.obs = w.obs.withProgress(progress(w, 16L << 30, 200.0 * (1 << 20)));
        Decision d = w.decide();
        assertThat(d.status().getCheckpoint().getSize().getAmount()).isEqualTo(Long.toString(16L << 30));
        assertThat(d.status().getCheckpoint().getEstimatedWriteSeconds()).isEqualTo(81.92);
        assertThat(w.condition(ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD).getStatus()).isEqualTo("False");
        assertThat(w.condition(ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD).getReason())
                .isEqualTo(Reasons.CHECKPOINT_EXCEEDS_GRACE_PERIOD);
        assertThat(d.events()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo("Warning");
            assertThat(e.reason()).isEqualTo(Reasons.CHECKPOINT_EXCEEDS_GRACE_PERIOD);
            assertThat(e.message()).contains("terminationGracePeriodSeconds: 150");
        });
        // the same verdict again: no second event
        assertThat(w.decide().events()).isEmpty();
        // a faster write fits: True, no event
        w.obs = w.obs.withProgress(progress(w, 1L << 30, 1000.0 * (1 << 20)));
        Decision fits = w.decide();
        assertThat(w.condition(ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD).getStatus()).isEqualTo("True");
        assertThat(fits.events()).isEmpty();
    }

    private static ProgressReport progress(World w, long bytes, double bytesPerSecond) {
        return new ProgressReport(w.job.getMetadata().getUid(), 1, 4321L, 1.5, 1L, 1321L, 4000L, 2.1e-4, 0.25, 0.3, 100.0,
                600.0, new ProgressReport.Checkpoint(4000L, "2026-11-28T10:05:00Z", "sha256:ab", "step-000000004000",
                bytes, bytes / bytesPerSecond, bytesPerSecond), "Running", "2026-11-28T10:05:01Z");
    }

    @Test
    void progressOfAnotherJobOrAttemptIsIgnored() {
        World w = World.running();
        FineTuneJobStatus before = w.job.getStatus();
        w.obs = w.obs.withProgress(new ProgressReport("other-uid", 1, 99L, null, null, null, null, null, null, null, null,
                null, null, "Running", null));
        assertThat(w.decide().status()).isEqualTo(before);
        w.obs = w.obs.withProgress(new ProgressReport(w.job.getMetadata().getUid(), 7, 99L, null, null, null, null, null,
                null, null, null, null, null, "Running", null));
        assertThat(w.decide().status()).isEqualTo(before);
    }

    static Stream<Arguments> preemptions() {
        return Stream.of(
                Arguments.of("PreemptionByScheduler", pod().disruption("PreemptionByScheduler").exited(75, "Error", CKPT)),
                Arguments.of("EvictionByEvictionAPI", pod().disruption("EvictionByEvictionAPI").exited(75, "Error", CKPT)),
                Arguments.of("DeletionByTaintManager", pod().disruption("DeletionByTaintManager").exited(137, "Error", null)),
                Arguments.of("TerminationByKubelet", pod().disruption("TerminationByKubelet").exited(137, "Error", null)),
                Arguments.of("deleted by someone else", pod().deleting(T0).exited(75, "Error", CKPT)),
                Arguments.of("node lost", pod().reason("NodeLost", "unreachable").phase("Failed").noContainer()),
                Arguments.of("exit 75", pod().exited(75, "Error", CKPT)),
                Arguments.of("pod gone", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("preemptions")
    void aPreemptionStartsTheNextAttemptAtOnceAndIsNotAFailure(String name, Pods ended) {
        World w = World.running();
        if (ended == null) {
            w.noPod();
        } else {
            w.pod(ended);
        }
        Decision d = w.at(Duration.ofMinutes(2)).decide();
        assertThat(d.status().getPreemptions()).isEqualTo(1);
        assertThat(d.status().getFailures()).isZero();
        assertThat(d.status().getAttempt()).isEqualTo(2);
        assertThat(d.actions()).singleElement().isInstanceOfSatisfying(Action.CreatePod.class, c -> {
            assertThat(c.attempt()).isEqualTo(2);
            assertThat(c.replacedPodEnd()).isPresent();
        });
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.PREEMPTED, Reasons.RESUMED);
        assertThat(d.accountedEnding()).get().extracting(PodEnding::kind).isEqualTo(PodEnding.Kind.PREEMPTION);
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.POD_PENDING);
        assertThat(w.condition(ConditionTypes.FAILED).getStatus()).isEqualTo("False");
        // the old pod lingering in the cache is not counted twice
        Decision again = w.decide();
        assertThat(again.status().getPreemptions()).isEqualTo(1);
        assertThat(again.actions()).isEmpty();
    }

    @Test
    void theSigtermCheckpointIsWhatStatusAndTheResumedEventName() {
        World w = World.running();
        w.pod(pod().disruption("PreemptionByScheduler").exited(75, "Error", CKPT));
        Decision d = w.at(Duration.ofMinutes(2)).decide();
        assertThat(d.status().getStep()).isEqualTo(1200);
        assertThat(d.status().getLastCheckpoint().getName()).isEqualTo("step-000000001200");
        assertThat(d.status().getLastCheckpoint().getStep()).isEqualTo(1200);
        assertThat(d.status().getLastCheckpoint().getTime()).as("written just before the trainer exited")
                .isEqualTo(T0.plusSeconds(60).toString());
        assertThat(d.events()).filteredOn(e -> e.reason().equals(Reasons.RESUMED)).singleElement()
                .satisfies(e -> assertThat(e.message()).endsWith("resumes from checkpoint step-000000001200"));
    }

    @Test
    void preemptionsNeverExhaustMaxFailuresButMaxPreemptionsCanFailTheJob() {
        World w = World.running();
        for (int i = 1; i <= 10; i++) {
            // each attempt gets further (preemptions without progress back off: see preemptionsWithoutProgress...)
            String ckpt = "checkpointed after preemption: step=" + (1200 + i) + " checkpoint=step-" + (1200 + i);
            w.pod(pod().named("ft-" + i, i).disruption("PreemptionByScheduler").exited(75, "Error", ckpt)).decide();
            w.pod(pod().named("ft-" + (i + 1), i + 1)).decide();
        }
        assertThat(w.job.getStatus().getPreemptions()).isEqualTo(10);
        assertThat(w.job.getStatus().getPhase()).isEqualTo(Phase.RUNNING);

        World limited = new World();
        limited.job.getSpec().getFailurePolicy().setMaxPreemptions(1);
        limited.decide();
        limited.pod(pod()).decide();
        limited.pod(pod().disruption("EvictionByEvictionAPI").exited(75, "Error", CKPT)).decide();
        limited.pod(pod().named("ft-2", 2)).decide();
        Decision d = limited.pod(pod().named("ft-2", 2).disruption("EvictionByEvictionAPI").exited(75, "Error", CKPT)).decide();
        assertThat(d.status().getPhase()).isEqualTo(Phase.FAILED);
        assertThat(limited.condition(ConditionTypes.FAILED).getReason()).isEqualTo(Reasons.MAX_PREEMPTIONS_EXCEEDED);
        assertThat(limited.condition(ConditionTypes.FAILED).getMessage()).contains("spec.failurePolicy.maxPreemptions=1");
        assertThat(d.actions()).noneMatch(a -> a instanceof Action.CreatePod);
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("non-zero exit", pod().exited(1, "Error", "failed: reason=Crash NullPointerException"), "Crash"),
                Arguments.of("OOMKilled", pod().exited(137, "OOMKilled", ""), Causes.OOM_KILLED),
                Arguments.of("NonFiniteLoss", pod().exited(1, "Error", "failed: reason=NonFiniteLoss at step 9"), "NonFiniteLoss"),
                Arguments.of("killed without a platform signal", pod().exited(137, "Error", null), Causes.NON_ZERO_EXIT),
                Arguments.of("exit 2 BadRecord (data can be fixed)", pod().exited(2, "Error",
                        "failed: reason=BadRecord /data/train.csv:202: field 'f3' value 'x' is not a finite number"), "BadRecord"),
                Arguments.of("exit 2 MissingFile (data can be fixed)", pod().exited(2, "Error",
                        "failed: reason=MissingFile /data/train.csv does not exist"), "MissingFile"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void aFailureWaitsForTheBackoffThenRetries(String name, Pods ended, String cause) {
        World w = World.running();
        // the container finished at T0+60s (see Pods.exited)
        Decision d = w.pod(ended).at(Duration.ofSeconds(61)).decide();
        assertThat(d.status().getFailures()).isEqualTo(1);
        assertThat(d.status().getPreemptions()).isZero();
        assertThat(d.status().getAttempt()).isEqualTo(1);
        assertThat(d.actions()).isEmpty();
        assertThat(d.requeueAfter()).contains(Duration.ofSeconds(9));
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(cause);
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.BACKING_OFF);
        assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
        // still backing off: nothing happens, nothing is counted again
        Decision waiting = w.at(Duration.ofSeconds(65)).decide();
        assertThat(waiting.actions()).isEmpty();
        assertThat(waiting.status().getFailures()).isEqualTo(1);
        // backoff over: attempt 2
        Decision retry = w.at(Duration.ofSeconds(70)).decide();
        assertThat(retry.actions()).containsExactly(new Action.CreatePod(2, java.util.Optional.empty()));
        assertThat(retry.status().getAttempt()).isEqualTo(2);
        assertThat(retry.events()).extracting(JobEvent::reason).containsExactly(Reasons.RESUMED);
        // no checkpoint was ever reported: say so, rather than "resumes from the last checkpoint"
        assertThat(retry.events()).extracting(JobEvent::message)
                .containsExactly("attempt 2 (pod ft-2) starts from scratch: no checkpoint has been written yet");
    }

    @Test
    void theSecondFailureWaitsTwiceAsLong() {
        World w = World.running();
        w.pod(pod().exited(1, "Error", "")).at(Duration.ofSeconds(60)).decide();
        w.at(Duration.ofSeconds(70)).decide();
        w.pod(pod().named("ft-2", 2)).decide();
        Pods second = pod().named("ft-2", 2).exited(1, "Error", "");
        Decision d = w.pod(second).at(Duration.ofSeconds(60)).decide();
        assertThat(d.status().getFailures()).isEqualTo(2);
        assertThat(d.requeueAfter()).contains(Duration.ofSeconds(20));
    }

    /** Fails attempts 1..n of a running world (maxFailures: 2) with the given endings; returns the last decision. */
    private static Decision failAttempts(World w, List<Pods> endings) {
        Decision d = null;
        for (int i = 0; i < endings.size(); i++) {
            int attempt = i + 1;
            d = w.pod(endings.get(i).named("ft-" + attempt, attempt)).at(Duration.ofSeconds(60)).decide();
            if (i < endings.size() - 1) {
                assertThat(d.status().getPhase()).as("failure %d of at most 2 is retried", attempt).isEqualTo(Phase.PENDING);
                Decision retry = w.at(Duration.ofHours(1)).decide();
                assertThat(retry.actions()).contains(new Action.CreatePod(attempt + 1, java.util.Optional.empty()));
                w.pod(pod().named("ft-" + (attempt + 1), attempt + 1));
            }
        }
        return d;
    }

    static Stream<Arguments> budgetRunsOut() {
        return Stream.of(
                Arguments.of("exit 2 BadRecord: the trainer's reason", 2, "failed: reason=BadRecord train.csv:202", "BadRecord"),
                Arguments.of("exit 2 MissingFile: the trainer's reason", 2, "failed: reason=MissingFile train.csv", "MissingFile"),
                Arguments.of("exit 1 Crash: the trainer's reason", 1, "failed: reason=Crash IllegalStateException", "Crash"),
                Arguments.of("exit 1 NoGPU: the status names the GPUs requested and found", 1,
                        "failed: reason=NoGPU requested 1 GPU(s) (spec.resources.gpus=1, --device gpu) but PyTorch 2.5.1 "
                                + "(cpu native library) sees 0 GPU(s); CUDA_VISIBLE_DEVICES=unset", "NoGPU"),
                Arguments.of("exit 1 without a message: MaxFailuresExceeded", 1, "", Reasons.MAX_FAILURES_EXCEEDED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("budgetRunsOut")
    void pastMaxFailuresTheJobFailsWithTheReasonAndTheLastTerminationMessage(String name, int exit, String message,
            String reason) {
        World w = World.running(); // maxFailures: 2
        Decision d = failAttempts(w, List.of(pod().exited(exit, "Error", message.isEmpty() ? "" : message + " 0"),
                pod().exited(exit, "Error", message.isEmpty() ? "" : message + " 1"),
                pod().exited(exit, "Error", message.isEmpty() ? "" : message + " 2")));
        assertThat(d.status().getFailures()).isEqualTo(3);
        assertThat(d.status().getPhase()).isEqualTo(Phase.FAILED);
        assertThat(w.condition(ConditionTypes.FAILED).getStatus()).isEqualTo("True");
        assertThat(w.condition(ConditionTypes.FAILED).getReason()).isEqualTo(reason);
        assertThat(w.condition(ConditionTypes.FAILED).getMessage()).contains("3 failures exceed spec.failurePolicy.maxFailures=2");
        if (!message.isEmpty()) {
            assertThat(w.condition(ConditionTypes.FAILED).getMessage()).contains(message + " 2");
            assertThat(d.status().getLastTerminationMessage()).isEqualTo(message + " 2");
        }
        assertThat(d.status().getCompletionTime()).isNotNull();
        assertThat(d.events()).extracting(JobEvent::reason).contains("Failed");
        assertThat(d.actions()).noneMatch(a -> a instanceof Action.CreatePod);
    }

    @Test
    void theBudgetReasonIsTheFailureThatUsedItUpNotAnEarlierOne() {
        World w = World.running(); // maxFailures: 2
        Decision d = failAttempts(w, List.of(pod().exited(2, "Error", "failed: reason=BadRecord train.csv:202"),
                pod().exited(2, "Error", "failed: reason=BadRecord train.csv:202"), pod().exited(137, "OOMKilled", "")));
        assertThat(d.status().getPhase()).isEqualTo(Phase.FAILED);
        assertThat(w.condition(ConditionTypes.FAILED).getReason()).isEqualTo(Reasons.MAX_FAILURES_EXCEEDED);
    }

    @Test
    void aBadRecordIsRetriedAndAPreemptionInBetweenIsNotCounted() {
        World w = World.running(); // maxFailures: 2
        String bad = "failed: reason=BadRecord /data/train.csv:202: field 'f3' value 'x' is not a finite number";
        w.pod(pod().disruption("PreemptionByScheduler").exited(75, "Error", CKPT)).decide();
        w.pod(pod().named("ft-2", 2)).decide();
        Decision first = w.pod(pod().named("ft-2", 2).exited(2, "Error", bad)).at(Duration.ofSeconds(60)).decide();
        assertThat(first.status().getPhase()).isEqualTo(Phase.PENDING);
        assertThat(first.status().getFailures()).isEqualTo(1);
        assertThat(first.status().getPreemptions()).isEqualTo(1);
        assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.BACKING_OFF);
        assertThat(w.condition(ConditionTypes.RUNNING).getMessage()).contains("failure 1 of at most 2");
        assertThat(w.at(Duration.ofHours(1)).decide().actions()).contains(new Action.CreatePod(3, java.util.Optional.empty()));
        w.pod(pod().named("ft-3", 3)).decide();
        w.pod(pod().named("ft-3", 3).exited(2, "Error", bad)).at(Duration.ofHours(1).plusSeconds(60)).decide();
        w.at(Duration.ofHours(2)).decide();
        w.pod(pod().named("ft-4", 4)).decide();
        Decision last = w.pod(pod().named("ft-4", 4).exited(2, "Error", bad)).at(Duration.ofHours(2).plusSeconds(60)).decide();
        assertThat(last.status().getPhase()).isEqualTo(Phase.FAILED);
        assertThat(last.status().getFailures()).isEqualTo(3);
        assertThat(last.status().getPreemptions()).isEqualTo(1);
        assertThat(w.condition(ConditionTypes.FAILED).getReason()).isEqualTo("BadRecord");
        assertThat(last.status().getLastTerminationMessage()).isEqualTo(bad);
    }

    static Stream<Arguments> permanentInput() {
        return Stream.of(
                Arguments.of("failed: reason=ScheduleChanged checkpoint was written under sha256:aa", Reasons.SCHEDULE_CHANGED),
                Arguments.of("failed: reason=InvalidSpec spec.data.train is empty", "InvalidSpec"),
                Arguments.of("failed: reason=CorruptCheckpoint no checkpoint verifies", "CorruptCheckpoint"),
                Arguments.of("failed: reason=NonFiniteLoss loss became NaN at step 812", "NonFiniteLoss"),
                Arguments.of("failed: reason=SomethingNew unknown to this operator", "SomethingNew"),
                Arguments.of("", Causes.INVALID_INPUT));
    }

    @ParameterizedTest(name = "exit 2 ''{0}'' fails the job at once")
    @MethodSource("permanentInput")
    void invalidInputThatCannotChangeFailsTheJobAtOnce(String message, String reason) {
        World w = World.running();
        Decision d = w.pod(pod().exited(2, "Error", message)).decide();
        assertThat(d.status().getPhase()).isEqualTo(Phase.FAILED);
        assertThat(d.status().getFailures()).isEqualTo(1);
        assertThat(w.condition(ConditionTypes.FAILED).getReason()).isEqualTo(reason);
        assertThat(w.condition(ConditionTypes.FAILED).getMessage()).contains("is permanent");
        assertThat(d.actions()).noneMatch(a -> a instanceof Action.CreatePod);
    }

    @Test
    void aPodStuckOnItsImageIsDeletedAndCountsAsAFailure() {
        World w = new World();
        w.decide();
        Decision d = w.pod(pod().waiting("ImagePullBackOff")).at(Duration.ofMinutes(6)).decide();
        assertThat(d.actions()).containsExactly(new Action.DeletePod("ft-1", 0));
        assertThat(d.status().getFailures()).isEqualTo(1);
        assertThat(w.condition(ConditionTypes.RUNNING).getMessage()).contains("spec.template.image");
    }

    @Test
    void suspendStopsThePodGracefullyAndResumeStartsANewAttempt() {
        World w = World.running();
        w.job.getSpec().setSuspend(true);
        w.job.getMetadata().setGeneration(2L);
        Decision stop = w.decide();
        // the ConfigMap follows the spec (job.yaml is the whole job); the pod is stopped with the spec's grace period
        assertThat(stop.actions()).containsExactly(new Action.ApplySpecConfigMap(), new Action.DeletePod("ft-1", 90));
        assertThat(w.condition(ConditionTypes.SUSPENDED).getStatus()).isEqualTo("True");
        assertThat(stop.status().getObservedGeneration()).isEqualTo(2L);
        // terminating: no second delete
        assertThat(w.pod(pod().deleting(T0)).decide().actions()).isEmpty();
        // the trainer checkpointed and exited 75
        Decision stopped = w.pod(pod().deleting(T0).exited(75, "Error", CKPT)).decide();
        assertThat(stopped.status().getPhase()).isEqualTo(Phase.SUSPENDED);
        assertThat(stopped.status().getPreemptions()).isZero();
        assertThat(stopped.status().getFailures()).isZero();
        assertThat(stopped.actions()).isEmpty();
        assertThat(stopped.events()).extracting(JobEvent::reason).containsExactly(Reasons.SUSPENDED);
        assertThat(stopped.events().get(0).message()).contains("set spec.suspend to false");
        Decision still = w.noPod().decide();
        assertThat(still.actions()).isEmpty();
        assertThat(still.events()).as("the Suspended event comes once, on the transition").isEmpty();
        // resume
        w.job.getSpec().setSuspend(false);
        w.job.getMetadata().setGeneration(3L);
        Decision resume = w.decide();
        // the new spec reaches the ConfigMap before the pod that reads it is created
        assertThat(resume.actions()).containsExactly(new Action.ApplySpecConfigMap(),
                new Action.CreatePod(2, java.util.Optional.empty()));
        assertThat(resume.events()).extracting(JobEvent::reason).containsExactly(Reasons.RESUMED);
        assertThat(w.condition(ConditionTypes.SUSPENDED).getStatus()).isEqualTo("False");
    }

    @Test
    void aJobCreatedSuspendedGetsNoPod() {
        World w = new World();
        w.job.getSpec().setSuspend(true);
        Decision d = w.decide();
        assertThat(d.actions()).noneMatch(a -> a instanceof Action.CreatePod);
        assertThat(d.status().getPhase()).isEqualTo(Phase.SUSPENDED);
        assertThat(d.status().getAttempt()).isZero();
        assertThat(d.status().getStartTime()).isNull();
        assertThat(d.events()).extracting(JobEvent::reason).containsExactly(Reasons.SUSPENDED);
    }

    @Test
    void successRecordsTheFinalModelAndTheTtlDeletesTheJob() {
        World w = World.running();
        Decision done = w.pod(pod().exited(0, "Completed",
                "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=abc loss=0.0421")).at(Duration.ofMinutes(30)).decide();
        FineTuneJobStatus s = done.status();
        assertThat(s.getPhase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(s.getStep()).isEqualTo(20000L);
        assertThat(s.getLoss()).isEqualTo(0.0421);
        assertThat(s.getLastCheckpoint().getName()).isEqualTo("step-000000020000");
        assertThat(s.getFinalModel()).isEqualTo("pvc://ft-checkpoints/step-000000020000");
        assertThat(s.getCompletionTime()).isEqualTo(T0.plus(Duration.ofMinutes(30)).toString());
        assertThat(w.condition(ConditionTypes.SUCCEEDED).getStatus()).isEqualTo("True");
        assertThat(w.condition(ConditionTypes.SUCCEEDED).getReason()).isEqualTo(Reasons.TRAINING_COMPLETED);
        assertThat(w.condition(ConditionTypes.RUNNING).getStatus()).isEqualTo("False");
        assertThat(done.events()).extracting(JobEvent::reason).containsExactly("Succeeded");
        assertThat(done.requeueAfter()).contains(Duration.ofHours(1));
        // before the TTL: nothing
        Decision waiting = w.at(Duration.ofMinutes(60)).decide();
        assertThat(waiting.actions()).isEmpty();
        assertThat(waiting.requeueAfter()).contains(Duration.ofMinutes(30));
        // after: delete
        assertThat(w.at(Duration.ofMinutes(91)).decide().actions()).containsExactly(new Action.DeleteJob());
    }

    @Test
    void aHuggingFaceJobsFinalModelIsItsExportedDirectory() {
        World w = World.running();
        Decision done = w.pod(pod().exited(0, "Completed", "succeeded: step=12 checkpoint=step-000000000012 "
                + "paramsSha256=abc loss=5.71 finalModel=final")).at(Duration.ofMinutes(3)).decide();
        assertThat(done.status().getPhase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(done.status().getLoss()).isEqualTo(5.71);
        assertThat(done.status().getFinalModel()).isEqualTo("pvc://ft-checkpoints/final");
    }

    @Test
    void anLrRangeTestPutsItsSuggestionsInStatusAndAnEventAndNoFinalModel() {
        World w = World.running();
        if (w.job.getSpec().getTraining() == null) {
            w.job.getSpec().setTraining(new dev.annealer.api.v1alpha1.TrainingSpec());
        }
        w.job.getSpec().getTraining().setMode(dev.annealer.api.v1alpha1.TrainingMode.LR_RANGE_TEST);
        Decision done = w.pod(pod().exited(0, "Completed", "succeeded: step=192 checkpoint=none paramsSha256=abc "
                + "loss=3.5 suggestedLearningRate=0.002410837 valley=0.002410837 steep=7.66E-7 minimum=0.0270 slide=none"))
                .decide();
        FineTuneJobStatus s = done.status();
        assertThat(s.getPhase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(s.getStep()).isEqualTo(192L);
        assertThat(s.getFinalModel()).isNull();
        assertThat(s.getLastCheckpoint()).isNull();
        assertThat(s.getLrRangeTest().getSuggested()).isEqualTo(0.002410837);
        assertThat(s.getLrRangeTest().getValley()).isEqualTo(0.002410837);
        assertThat(s.getLrRangeTest().getSteep()).isEqualTo(7.66e-7);
        assertThat(s.getLrRangeTest().getMinimum()).isEqualTo(0.027);
        assertThat(s.getLrRangeTest().getSlide()).isNull();
        assertThat(s.getLrRangeTest().getSummary()).isEqualTo("2.41e-03 (valley)");
        assertThat(s.getLrRangeTest().getPlot()).isEqualTo("pvc://ft-checkpoints/lr-range-test.png");
        assertThat(done.events()).extracting(JobEvent::reason).containsExactly(Reasons.LR_RANGE_TEST_COMPLETED, "Succeeded");
        assertThat(done.events().get(0).message()).isEqualTo("LR range test: suggested learningRate=0.00241 (valley); "
                + "steep 7.66e-07, minimum 0.0270, slide none; plot at pvc://ft-checkpoints/lr-range-test.png");
    }

    @Test
    void aTrainingJobHasNoLrRangeTestStatus() {
        Decision done = World.running().pod(pod().exited(0, "Completed",
                "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=abc loss=0.0421")).decide();
        assertThat(done.status().getLrRangeTest()).isNull();
        assertThat(done.status().getFinalModel()).isEqualTo("pvc://ft-checkpoints/step-000000020000");
    }

    @Test
    void aFinishedJobShowsTheScheduleAtItsLastStepAndShortColumns() {
        World w = World.running();
        FineTuneJobStatus s = w.pod(pod().exited(0, "Completed",
                "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=abc loss=0.0421")).decide().status();
        // warmup 500 + cycles 2000, 4000, 8000 (maxCycles 3) end at 14500: step 19999 holds at minLearningRate
        assertThat(s.getSchedule().getPhase()).isEqualTo("HOLD");
        assertThat(s.getSchedule().getLearningRate()).isEqualTo(1.0e-6);
        assertThat(s.getDisplay().getLearningRate()).isEqualTo("1.00e-06");
        assertThat(s.getDisplay().getLoss()).isEqualTo("0.0421");
        assertThat(s.getDisplay().getReason()).isEqualTo(Reasons.TRAINING_COMPLETED);
    }

    @Test
    void aRetainedPvcIsReleasedWhenTheJobFinishes() {
        World w = World.running();
        w.job.getSpec().getCheckpoint().setReclaimPolicy(ReclaimPolicy.RETAIN);
        // a PVC owned by the job (created by an older operator, or under reclaimPolicy Delete before an edit)
        w.obs = w.obs.withOwnedResources(w.obs.specConfigMapVersion().orElse(null), true, true, true);
        Decision d = w.pod(pod().exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=a loss=1"))
                .decide();
        assertThat(d.actions()).contains(new Action.ReleaseCheckpointPvc());
        w.obs = w.obs.withOwnedResources(w.obs.specConfigMapVersion().orElse(null), true, false, true);
        assertThat(w.decide().actions()).doesNotContain(new Action.ReleaseCheckpointPvc());
    }

    @Test
    void withoutSpecCheckpointTheDefaultRetainReleasesAnOwnedPvcWhenTheJobFinishes() {
        World w = World.running();
        w.job.getSpec().setCheckpoint(null);
        w.obs = w.obs.withOwnedResources(w.obs.specConfigMapVersion().orElse(null), true, true, true);
        Decision d = w.pod(pod().exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000 paramsSha256=a loss=1"))
                .decide();
        assertThat(d.actions()).as("the CRD's default reclaimPolicy (Retain) applies without spec.checkpoint")
                .contains(new Action.ReleaseCheckpointPvc());
    }

    @Test
    void aChangedSpecIsWrittenToTheConfigMap() {
        World w = World.running();
        w.job.getSpec().getCheckpoint().setEverySteps(250L);
        w.job.getMetadata().setGeneration(2L);
        assertThat(w.decide().actions()).containsExactly(new Action.ApplySpecConfigMap());
    }

    @Test
    void unchangedFinishedJobWithoutTtlIsLeftAlone() {
        World w = World.running();
        w.job.getSpec().setTtlSecondsAfterFinished(null);
        w.pod(pod().exited(0, "Completed", "succeeded: step=1 checkpoint=step-000000000001 paramsSha256=a loss=1")).decide();
        FineTuneJobStatus before = w.job.getStatus();
        Decision d = w.at(Duration.ofDays(30)).decide();
        assertThat(d.actions()).isEmpty();
        assertThat(d.status()).isEqualTo(before);
        assertThat(d.requeueAfter()).isEmpty();
        assertThat(List.of(d.events())).containsExactly(List.of());
    }


    @Test
    void aFinishedJobWithAHugeTtlIsStillWritten() {
        World w = World.running();
        w.job.getSpec().setTtlSecondsAfterFinished(Long.MAX_VALUE);
        Decision done = w.pod(pod().exited(0, "Completed", "succeeded: step=20000 checkpoint=step-000000020000"))
                .at(Duration.ofMinutes(30)).decide();
        assertThat(done.status().getPhase()).isEqualTo(Phase.SUCCEEDED);
        assertThat(done.requeueAfter()).contains(Duration.ofSeconds(TtlPolicy.MAX_SECONDS));
    }

    @Test
    void suspendWithoutASpecGraceUsesTheGraceThePodWasCreatedWith() {
        World w = World.running();
        w.job.getSpec().getTemplate().setTerminationGracePeriodSeconds(null);
        w.job.getSpec().setSuspend(true);
        // the operator's default (annealer.trainer.default-grace-seconds) made this pod with 600 s, not 120 s
        Decision stop = w.pod(pod().grace(600L)).decide();
        assertThat(stop.actions()).contains(new Action.DeletePod("ft-1", 600));
    }

    /** Issue 12 (6): the SIGTERM checkpoint never makes it, so every attempt restarts at the same step. */
    @Test
    void preemptionsWithoutProgressBackOffWithAConditionAndAnEvent() {
        World w = World.running();
        w.job.getSpec().getFailurePolicy().setBackoff(null);
        long t = 0;
        for (int n = 1; n <= 5; n++) {
            int attempt = w.job.getStatus().getAttempt();
            // each attempt runs and reports step 500, then is preempted without a SIGTERM checkpoint
            w.pod(pod().named("ft-" + attempt, attempt)).at(Duration.ofMinutes(t)).decide();
            w.job.getStatus().setStep(500L); // what the progress reports said (the same in every attempt)
            Decision d = w.pod(pod().named("ft-" + attempt, attempt).disruption("PreemptionByScheduler")
                    .exitedAt(143, "Error", "", T0.plus(Duration.ofMinutes(t + 1)))).at(Duration.ofMinutes(t + 1)).decide();
            assertThat(d.status().getPreemptions()).isEqualTo(n);
            // preemption 1 followed progress (0 -> 500); 2, 3 and 4 did not: the third of those backs off
            if (n < 4) {
                assertThat(d.actions()).as("preemption %d", n).anyMatch(a -> a instanceof Action.CreatePod);
                assertThat(d.events()).extracting(JobEvent::reason).doesNotContain(Reasons.PREEMPTED_WITHOUT_PROGRESS);
            } else {
                assertThat(d.actions()).as("preemption %d", n).noneMatch(a -> a instanceof Action.CreatePod);
                assertThat(w.condition(ConditionTypes.RUNNING).getReason()).isEqualTo(Reasons.PREEMPTED_WITHOUT_PROGRESS);
                assertThat(w.condition(ConditionTypes.RUNNING).getMessage()).contains("terminationGracePeriodSeconds")
                        .contains("step 500");
                assertThat(d.events()).extracting(JobEvent::reason).contains(Reasons.PREEMPTED_WITHOUT_PROGRESS);
                assertThat(d.status().getPhase()).isEqualTo(Phase.PENDING);
                assertThat(d.status().getFailures()).as("never a failure").isZero();
                Duration wait = Duration.ofSeconds(n == 4 ? 10 : 20);
                assertThat(d.requeueAfter()).contains(wait);
                // before the backoff nothing starts, after it the next attempt does
                assertThat(w.noPod().at(Duration.ofMinutes(t + 1).plus(wait).minusSeconds(1)).decide().actions())
                        .noneMatch(a -> a instanceof Action.CreatePod);
                Decision later = w.at(Duration.ofMinutes(t + 1).plus(wait)).decide();
                assertThat(later.actions()).anyMatch(a -> a instanceof Action.CreatePod);
            }
            t += 10;
        }
        assertThat(w.job.getStatus().getPreemptionsWithoutProgress()).isEqualTo(4);
    }
}
