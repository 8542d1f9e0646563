package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.CheckpointCostStatus;
import dev.annealer.api.v1alpha1.CheckpointStatus;
import dev.annealer.api.v1alpha1.ConditionTypes;
import dev.annealer.api.v1alpha1.Defaults;
import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.api.v1alpha1.FineTuneJobCondition;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import dev.annealer.api.v1alpha1.FineTuneJobStatus;
import dev.annealer.api.v1alpha1.Phase;
import dev.annealer.api.v1alpha1.ReclaimPolicy;
import dev.annealer.api.v1alpha1.Reasons;
import dev.annealer.api.v1alpha1.ScheduleStatus;
import dev.annealer.api.v1alpha1.TrainingMode;
import dev.annealer.api.v1alpha1.StatusDisplay;
import dev.annealer.operator.act.DesiredResources;
import dev.annealer.operator.observe.ContainerSnapshot;
import dev.annealer.operator.observe.Observation;
import dev.annealer.operator.observe.PodSnapshot;
import dev.annealer.operator.progress.ProgressReport;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code decide(job, observation, now) -> Decision(actions, newStatus, events)}: the whole reconcile policy, pure.
 *
 * <p>State lives in the status only (so a new leader continues where the old one stopped):
 * {@code status.attempt = N} names the current attempt (pod {@code <job>-<N>}); the attempt is <em>live</em>
 * (its pod was created and its ending not yet accounted) iff the Running condition's reason is
 * {@code PodPending} or {@code PodRunning}. When a live pod ends, its ending is classified
 * ({@link PodEndingClassifier}), counted ({@code preemptions} or {@code failures}) and the Running reason moves
 * off those two values in the same status write, so an ending is counted exactly once.
 *
 * <p>After an ending: success -> Succeeded; a permanent failure ({@link PodEnding#permanent()}) -> Failed with its
 * cause; an exhausted {@link FailureBudget} -> Failed, reason = the trainer's {@code failed: reason=X} of the
 * failure that used the budget up (e.g. {@code BadRecord}), else {@code MaxFailuresExceeded} /
 * {@code MaxPreemptionsExceeded}, with the last termination message in the condition message;
 * {@code spec.suspend} -> Suspended; a rejected spec -> Pending without pod; a failure -> wait
 * {@link BackoffPolicy#delay(int)} from the end of the failed pod; otherwise (preemption, suspend lifted, first
 * start) the next attempt's pod is created at once. Finished jobs only wait for {@link TtlPolicy}.
 */
public final class Decider {

    /** Running reasons that mean "the pod of status.attempt was created and its ending is not accounted yet". */
    static final Set<String> LIVE = Set.of(Reasons.POD_PENDING, Reasons.POD_RUNNING);
    /** The trainer's message after a SIGTERM: the step and checkpoint the next attempt resumes from. */
    private static final Pattern CHECKPOINTED = Pattern.compile(
            "^checkpointed after preemption:.*?\\bstep=(\\d+).*?\\bcheckpoint=(\\S+).*", Pattern.DOTALL);
    /** {@code finalModel=<dir relative to the checkpoint directory>}: the exported model of a Hugging Face job. */
    private static final Pattern FINAL_MODEL = Pattern.compile("\\bfinalModel=(\\S+)");
    private static final Pattern SUCCEEDED = Pattern.compile(
            "^succeeded:.*?\\bstep=(\\d+)(?:.*?\\bcheckpoint=(\\S+))?(?:.*?\\bloss=(\\S+))?.*", Pattern.DOTALL);

    /**
     * Knobs of the policy.
     *
     * @param classifier   grace periods of pods stuck on image pulls or config errors
     * @param pollInterval how often a live attempt is looked at again (progress polling; at most 5 s)
     */
    public record Settings(PodEndingClassifier.Settings classifier, Duration pollInterval) {
        public static final Settings DEFAULT = new Settings(PodEndingClassifier.Settings.DEFAULT, Duration.ofSeconds(5));
    }

    private Decider() {
    }

    public static Decision decide(FineTuneJob job, Observation obs, Instant now) {
        return decide(job, obs, now, Settings.DEFAULT);
    }

    public static Decision decide(FineTuneJob job, Observation obs, Instant now, Settings settings) {
        return new Run(job, obs, now, settings).run();
    }

    /** One decision's working state; never escapes {@link #decide}. */
    private static final class Run {
        final FineTuneJob job;
        final FineTuneJobSpec spec;
        final Observation obs;
        final Instant now;
        final Settings settings;
        final Long gen;
        final String name;
        final FineTuneJobStatus old;
        final FineTuneJobStatus s;
        final List<Action> actions = new ArrayList<>();
        final List<JobEvent> events = new ArrayList<>();
        Optional<PodEnding> accounted = Optional.empty();
        /** The trainer's {@code failed: reason=X} of the failure accounted in this decision, if it named one. */
        Optional<String> accountedTrainerReason = Optional.empty();
        Optional<Duration> requeue = Optional.empty();
        /** The gang of a job with {@code spec.workers > 1} (see {@link WorkerGroup}), null for one worker. */
        final WorkerGroup group;
        /** Node labels of the flavors Kueue admitted the job with (empty without Kueue). */
        java.util.Map<String, String> admittedNodeSelector = java.util.Map.of();

        Run(FineTuneJob job, Observation obs, Instant now, Settings settings) {
            this.job = job;
            this.spec = job.getSpec() == null ? new FineTuneJobSpec() : job.getSpec();
            this.obs = obs;
            this.now = now;
            this.settings = settings;
            this.gen = job.getMetadata().getGeneration();
            this.name = job.getMetadata().getName();
            this.old = job.getStatus() == null ? new FineTuneJobStatus() : job.getStatus();
            this.s = Serialization.jsonMapper().convertValue(old, FineTuneJobStatus.class);
            s.setConditions(Conditions.complete(old.getConditions(), now, gen));
            // why: every condition is re-evaluated for this generation; kubectl wait skips conditions of older ones
            s.getConditions().forEach(c -> c.setObservedGeneration(gen));
            s.setObservedGeneration(gen);
            if (s.getPreemptions() == null) {
                s.setPreemptions(0);
            }
            if (s.getFailures() == null) {
                s.setFailures(0);
            }
            if (s.getAttempt() == null) {
                s.setAttempt(0);
            }
            if (s.getPhase() == null) {
                s.setPhase(Phase.PENDING);
            }
            int workers = DesiredResources.workers(spec);
            this.group = workers > 1 ? new WorkerGroup(name, workers, s.getAttempt(), obs.pod(), obs.otherPods()) : null;
        }

        Decision run() {
            if (s.getPhase() == Phase.SUCCEEDED || s.getPhase() == Phase.FAILED) {
                finished();
                return decision();
            }
            AdmissionCheck.Result admission = AdmissionCheck.check(spec);
            admit(admission);
            initDefaults();
            ensureOwnedResources();

            int attempt = s.getAttempt();
            boolean suspend = Boolean.TRUE.equals(spec.getSuspend());
            boolean live = attempt > 0 && Conditions.reason(s.getConditions(), ConditionTypes.RUNNING).map(LIVE::contains).orElse(false);
            Instant endedAt = null;
            if (live) {
                String podName = DesiredResources.podName(name, attempt);
                PodSnapshot pod = obs.pod().filter(p -> p.name().equals(podName)).orElse(null);
                Optional<PodEnding> ending = PodEndingClassifier.classify(pod, podName, suspend, now, settings.classifier());
                String endedPod = podName;
                if (group != null) {
                    // why: the first worker that ends ends the attempt; one ending is counted for the whole group
                    Optional<WorkerGroup.Ending> g = group.ending(ending, groupFormed(), suspend, now, settings.classifier());
                    ending = g.map(WorkerGroup.Ending::ending);
                    endedPod = g.map(WorkerGroup.Ending::podName).orElse(podName);
                }
                if (ending.isEmpty()) {
                    liveAttempt(pod, suspend);
                    return decision();
                }
                endedAt = endTime(pod);
                if (account(ending.get(), endedPod)) {
                    return decision();
                }
            }
            nextAttempt(admission, suspend, endedAt);
            return decision();
        }

        /** The pod of the live attempt is pending, running or terminating. */
        void liveAttempt(PodSnapshot pod, boolean suspend) {
            int before = actions.size();
            liveAttemptOfRank0(pod, suspend);
            if (group != null) {
                liveGroup(pod, suspend, before);
            }
        }

        /** Whether all workers of the live attempt were seen running (the Running condition is True). */
        boolean groupFormed() {
            return Conditions.find(old.getConditions(), ConditionTypes.RUNNING)
                    .map(c -> FineTuneJobCondition.TRUE.equals(c.getStatus())).orElse(false);
        }

        /**
         * {@code spec.workers > 1}: create the missing workers while the group forms, running only when all N run,
         * and whatever stops rank 0 (suspend, Kueue eviction) stops every worker.
         */
        void liveGroup(PodSnapshot pod, boolean suspend, int firstAction) {
            boolean stopping = actions.subList(firstAction, actions.size()).stream().anyMatch(a -> a instanceof Action.DeletePod);
            if (stopping || pod.isDeleting()) {
                group.stopUnfinished(graceSeconds(pod)).stream()
                        .filter(a -> !actions.contains(a) && !((Action.DeletePod) a).name().equals(pod.name()))
                        .forEach(actions::add);
                return;
            }
            if (!suspend) {
                actions.addAll(group.toCreate(groupFormed()));
            }
        }

        /** {@code spec.workers > 1} and no live attempt: every worker still running is deleted with its grace period. */
        void stopGroup() {
            if (group != null) {
                group.stopUnfinished(graceSeconds(null)).stream().filter(a -> actions.stream().noneMatch(b ->
                        b instanceof Action.DeletePod d && d.name().equals(((Action.DeletePod) a).name())))
                        .forEach(actions::add);
            }
        }

        /** Why the gang does not run yet. */
        String groupPendingMessage(PodSnapshot pod) {
            return group.running() + " of " + group.workers() + " workers running (pods " + group.podName(0) + ", "
                    + group.podName(1) + (group.workers() > 2 ? ", .." : "") + "): the attempt runs when all do; rank 0: "
                    + pendingMessage(pod);
        }

        void liveAttemptOfRank0(PodSnapshot pod, boolean suspend) {
            boolean running = pod != null && "Running".equals(pod.phase())
                    && pod.trainer().map(c -> c.running() != null).orElse(false)
                    && (group == null || group.allRunning()); // a gang runs when all its workers do
            if (suspend) {
                set(ConditionTypes.SUSPENDED, true, Reasons.SUSPEND_REQUESTED, "spec.suspend is true: pod " + pod.name()
                        + " is stopping; the trainer checkpoints on SIGTERM");
                if (!pod.isDeleting()) {
                    actions.add(new Action.DeletePod(pod.name(), graceSeconds(pod)));
                }
            } else {
                set(ConditionTypes.SUSPENDED, false, Reasons.NOT_SUSPENDED, "spec.suspend is false");
                KueueAdmission.stopRequest(obs).filter(why -> !pod.isDeleting()).ifPresent(why -> {
                    actions.add(new Action.DeletePod(pod.name(), graceSeconds(pod)));
                    events.add(JobEvent.warning(Reasons.EVICTED_BY_KUEUE, why));
                });
            }
            if ("Unknown".equals(pod.phase())) {
                setStatus(ConditionTypes.RUNNING, FineTuneJobCondition.UNKNOWN, Reasons.POD_RUNNING, "the node of pod "
                        + pod.name() + " is unreachable; a new attempt starts when the pod is removed (delete it "
                        + "with --force if the node is gone for good)");
            } else if (running) {
                set(ConditionTypes.RUNNING, true, Reasons.POD_RUNNING, "pod " + pod.name() + " is training");
                s.setPhase(Phase.RUNNING);
                obs.progress().filter(r -> matches(r)).ifPresent(this::applyProgress);
            } else {
                set(ConditionTypes.RUNNING, false, Reasons.POD_PENDING, group == null ? pendingMessage(pod)
                        : groupPendingMessage(pod));
                s.setPhase(Phase.PENDING);
            }
            requeue = Optional.of(settings.pollInterval());
        }

        /** Counts the ending; returns true when the job reached a terminal phase. */
        boolean account(PodEnding ending, String podName) {
            accounted = Optional.of(ending);
            if (ending.deletePod()) {
                actions.add(new Action.DeletePod(podName, 0));
            }
            String termination = obs.pod().flatMap(PodSnapshot::trainer).map(ContainerSnapshot::terminated)
                    .map(ContainerSnapshot.Terminated::message).filter(m -> !m.isBlank()).orElse(null);
            if (termination != null) {
                s.setLastTerminationMessage(termination.strip());
                if (ending.kind() == PodEnding.Kind.PREEMPTION || ending.kind() == PodEnding.Kind.SUSPENDED) {
                    // why: the SIGTERM checkpoint is newer than the last progress report; the next attempt resumes
                    // from it, so status and the Resumed event must name it
                    recordCheckpointedAfterPreemption(termination.strip());
                }
            }
            switch (ending.kind()) {
                case SUCCESS -> {
                    succeed(ending);
                    return true;
                }
                case PREEMPTION -> {
                    s.setPreemptions(s.getPreemptions() + 1);
                    events.add(JobEvent.warning(Reasons.PREEMPTED, ending.message() + "; preemption "
                            + s.getPreemptions() + ", not counted as a failure"));
                    set(ConditionTypes.RUNNING, false, Reasons.PREEMPTED, ending.message());
                    preemptionStreak(ending);
                }
                case FAILURE -> {
                    s.setFailures(s.getFailures() + 1);
                    accountedTrainerReason = PodEndingClassifier.trainerReason(termination)
                            .filter(r -> r.equals(ending.cause()));
                    events.add(JobEvent.warning(ending.cause(), ending.message()));
                    set(ConditionTypes.RUNNING, false, Reasons.BACKING_OFF, ending.message());
                    if (ending.permanent()) {
                        fail(ending.cause(), ending.message() + " (exit " + ending.exitCode() + " with reason "
                                + ending.cause() + " is permanent: a retry would see the same spec and checkpoint and "
                                + "fail the same way; fix the cause and create a new job)");
                        return true;
                    }
                }
                case SUSPENDED -> set(ConditionTypes.RUNNING, false, Reasons.NOT_RUNNING, ending.message());
            }
            return false;
        }

        /** No live attempt: fail, stay suspended, wait for admission or backoff, or start the next attempt. */
        void nextAttempt(AdmissionCheck.Result admission, boolean suspend, Instant endedAt) {
            stopGroup();
            FailureBudget budget = spec.getFailurePolicy() == null ? FailureBudget.of(null, null)
                    : FailureBudget.of(spec.getFailurePolicy().getMaxFailures(), spec.getFailurePolicy().getMaxPreemptions());
            Optional<FailureBudget.Exhausted> exhausted = budget.check(s.getFailures(), s.getPreemptions());
            if (exhausted.isPresent()) {
                String last = s.getLastTerminationMessage() == null ? "" : "; last termination message: "
                        + s.getLastTerminationMessage();
                // why: "BadRecord" tells the user what to fix; MaxFailuresExceeded only that something failed too often
                String reason = exhausted.get().which() == FailureBudget.Exhausted.Which.FAILURES
                        ? accountedTrainerReason.orElse(Reasons.MAX_FAILURES_EXCEEDED) : Reasons.MAX_PREEMPTIONS_EXCEEDED;
                fail(reason, exhausted.get().message() + last);
                return;
            }
            if (suspend) {
                if (old.getPhase() != Phase.SUSPENDED) {
                    // once, on the transition: `kubectl get events` shows the suspend next to Preempted/Resumed
                    events.add(JobEvent.normal(Reasons.SUSPENDED, "spec.suspend is true: no trainer pod runs"
                            + (s.getLastCheckpoint() != null ? "; checkpoint " + s.getLastCheckpoint().getName()
                            + " (step " + s.getLastCheckpoint().getStep() + ") is kept" : "")
                            + "; set spec.suspend to false to resume from the last checkpoint"));
                }
                s.setPhase(Phase.SUSPENDED);
                set(ConditionTypes.SUSPENDED, true, Reasons.SUSPEND_REQUESTED, "spec.suspend is true: no trainer pod "
                        + "runs; set it to false to resume from the last checkpoint");
                set(ConditionTypes.RUNNING, false, Reasons.NOT_RUNNING, "suspended");
                return;
            }
            set(ConditionTypes.SUSPENDED, false, Reasons.NOT_SUSPENDED, "spec.suspend is false");
            if (!admission.accepted()) {
                s.setPhase(Phase.PENDING);
                set(ConditionTypes.RUNNING, false, Reasons.NOT_RUNNING, "not started: the spec was not accepted ("
                        + admission.reason() + ")");
                return;
            }
            String runningReason = Conditions.reason(s.getConditions(), ConditionTypes.RUNNING).orElse("");
            if (Reasons.PREEMPTED_WITHOUT_PROGRESS.equals(runningReason)) {
                Optional<Duration> stall = StallPolicy.delay(s.getPreemptionsWithoutProgress() == null ? 0
                        : s.getPreemptionsWithoutProgress(), backoffPolicy());
                Instant due = (endedAt != null ? endedAt : backoffAnchor()).plus(stall.orElse(Duration.ZERO));
                if (now.isBefore(due)) {
                    s.setPhase(Phase.PENDING);
                    requeue = Optional.of(Duration.between(now, due));
                    return;
                }
            }
            if (Reasons.BACKING_OFF.equals(runningReason) && s.getFailures() > 0) {
                BackoffPolicy backoff = spec.getFailurePolicy() == null || spec.getFailurePolicy().getBackoff() == null
                        ? BackoffPolicy.DEFAULT : BackoffPolicy.of(spec.getFailurePolicy().getBackoff().getInitialSeconds(),
                                spec.getFailurePolicy().getBackoff().getMaxSeconds());
                Instant anchor = endedAt != null ? endedAt : backoffAnchor();
                Instant due = anchor.plus(backoff.delay(s.getFailures()));
                if (now.isBefore(due)) {
                    s.setPhase(Phase.PENDING);
                    accounted.ifPresent(e -> set(ConditionTypes.RUNNING, false, Reasons.BACKING_OFF, e.message()
                            + "; failure " + s.getFailures() + " of at most " + budget.maxFailures()
                            + " (spec.failurePolicy.maxFailures), next attempt at " + due));
                    requeue = Optional.of(Duration.between(now, due));
                    return;
                }
            }
            if (group != null && !group.unfinished().isEmpty()) {
                // why: the next attempt resumes from the SIGTERM checkpoint, which exists once every worker stopped
                s.setPhase(Phase.PENDING);
                requeue = Optional.of(settings.pollInterval());
                return;
            }
            KueueAdmission.Gate gate = KueueAdmission.beforeStart(job, obs);
            if (gate instanceof KueueAdmission.Wait w) {
                actions.addAll(w.actions());
                s.setPhase(Phase.PENDING);
                set(ConditionTypes.RUNNING, false, Reasons.WAITING_FOR_ADMISSION, w.message());
                return;
            }
            admittedNodeSelector = ((KueueAdmission.Start) gate).nodeSelector();
            createAttempt(runningReason, endedAt);
        }

        void createAttempt(String previousRunningReason, Instant endedAt) {
            int next = s.getAttempt() + 1;
            String podName = DesiredResources.podName(name, next);
            Optional<Instant> replacedEnd = Reasons.PREEMPTED.equals(previousRunningReason)
                    || Reasons.PREEMPTED_WITHOUT_PROGRESS.equals(previousRunningReason)
                    ? Optional.ofNullable(endedAt) : Optional.empty();
            actions.add(new Action.CreatePod(next, replacedEnd, admittedNodeSelector));
            s.setAttempt(next);
            if (s.getStartTime() == null) {
                s.setStartTime(now.toString());
            }
            s.setPhase(Phase.PENDING);
            set(ConditionTypes.RUNNING, false, Reasons.POD_PENDING, "pod " + podName + " created");
            if (next == 1) {
                events.add(JobEvent.normal(Reasons.CREATED, "created pod " + podName));
            } else {
                boolean noCheckpoint = s.getLastCheckpoint() == null || s.getLastCheckpoint().getName() == null;
                events.add(JobEvent.normal(Reasons.RESUMED, "attempt " + next + " (pod " + podName + ") " + (noCheckpoint
                        ? "starts from scratch: no checkpoint has been written yet"
                        : "resumes from checkpoint " + s.getLastCheckpoint().getName())));
            }
            requeue = Optional.of(settings.pollInterval());
        }

        /** {@link StallPolicy}: count preemptions without progress; from the threshold on, say so and back off. */
        void preemptionStreak(PodEnding ending) {
            int streak = StallPolicy.streak(s.getPreemptionsWithoutProgress(), s.getStepAtLastPreemption(), s.getStep());
            long step = s.getStep() == null ? 0 : s.getStep();
            s.setPreemptionsWithoutProgress(streak);
            s.setStepAtLastPreemption(step);
            Optional<Duration> delay = StallPolicy.delay(streak, backoffPolicy());
            if (delay.isEmpty()) {
                return;
            }
            Long grace = obs.pod().map(PodSnapshot::graceSeconds).orElse(null);
            String message = streak + " preemptions in a row without status.step moving past step " + step
                    + " (last: " + ending.message() + "). If the trainer's SIGTERM checkpoint takes longer than "
                    + "terminationGracePeriodSeconds" + (grace == null ? "" : " (" + grace + " s)") + ", raise "
                    + "spec.template.terminationGracePeriodSeconds or checkpoint more often (spec.checkpoint.everySteps); "
                    + "the next attempt waits " + delay.get().toSeconds() + " s (spec.failurePolicy.backoff); "
                    + "spec.failurePolicy.maxPreemptions bounds the preemptions";
            set(ConditionTypes.RUNNING, false, Reasons.PREEMPTED_WITHOUT_PROGRESS, message);
            events.add(JobEvent.warning(Reasons.PREEMPTED_WITHOUT_PROGRESS, message));
        }

        BackoffPolicy backoffPolicy() {
            return spec.getFailurePolicy() == null || spec.getFailurePolicy().getBackoff() == null
                    ? BackoffPolicy.DEFAULT : BackoffPolicy.of(spec.getFailurePolicy().getBackoff().getInitialSeconds(),
                            spec.getFailurePolicy().getBackoff().getMaxSeconds());
        }

        void recordCheckpointedAfterPreemption(String termination) {
            Matcher m = CHECKPOINTED.matcher(termination);
            if (!m.matches()) {
                return;
            }
            long step = Long.parseLong(m.group(1));
            StatusAtStep.moveTo(spec, s, step);
            CheckpointStatus known = s.getLastCheckpoint();
            if (known == null || !m.group(2).equals(known.getName())) {
                CheckpointStatus cp = new CheckpointStatus();
                cp.setName(m.group(2));
                cp.setStep(step);
                // written just before the trainer exited: its container's finish time (within the exit's seconds)
                cp.setTime(endTime(obs.pod().orElse(null)).toString());
                s.setLastCheckpoint(cp);
            }
        }

        void succeed(PodEnding ending) {
            Matcher m = SUCCEEDED.matcher(ending.message());
            boolean rangeTest = spec.getTraining() != null && spec.getTraining().getMode() == TrainingMode.LR_RANGE_TEST;
            if (m.matches()) {
                StatusAtStep.moveTo(spec, s, Long.parseLong(m.group(1)));
                // why: a range test keeps no model; "checkpoint=none" is not a place to load one from
                if (m.group(2) != null && !rangeTest && !"none".equals(m.group(2))) {
                    CheckpointStatus cp = s.getLastCheckpoint() == null ? new CheckpointStatus() : s.getLastCheckpoint();
                    if (!m.group(2).equals(cp.getName())) {
                        cp = new CheckpointStatus();
                        cp.setName(m.group(2));
                        cp.setStep(Long.parseLong(m.group(1)));
                    }
                    s.setLastCheckpoint(cp);
                    s.setFinalModel("pvc://" + DesiredResources.pvcName(job) + "/" + m.group(2));
                }
                Matcher f = FINAL_MODEL.matcher(ending.message());
                if (f.find()) {
                    // the trainer exported a servable model (final/): that is the job's result, not the checkpoint
                    s.setFinalModel("pvc://" + DesiredResources.pvcName(job) + "/" + f.group(1));
                }
                if (m.group(3) != null) {
                    try {
                        s.setLoss(Double.parseDouble(m.group(3)));
                    } catch (NumberFormatException ignored) {
                        // keep the last reported loss
                    }
                }
            }
            if (rangeTest) {
                LrRangeTestResult.parse(ending.message(), "pvc://" + DesiredResources.pvcName(job) + "/"
                        + LrRangeTestResult.PLOT).ifPresent(r -> {
                            s.setLrRangeTest(r);
                            events.add(JobEvent.normal(Reasons.LR_RANGE_TEST_COMPLETED, LrRangeTestResult.eventMessage(r)));
                        });
            }
            s.setPhase(Phase.SUCCEEDED);
            s.setCompletionTime(now.toString());
            set(ConditionTypes.SUCCEEDED, true, Reasons.TRAINING_COMPLETED, ending.message());
            set(ConditionTypes.RUNNING, false, Reasons.NOT_RUNNING, "finished");
            set(ConditionTypes.FAILED, false, Reasons.NOT_FINISHED, "succeeded");
            events.add(JobEvent.normal("Succeeded", "training completed: " + ending.message()
                    + (s.getFinalModel() == null ? "" : "; model at " + s.getFinalModel())));
            finished();
        }

        void fail(String reason, String message) {
            s.setPhase(Phase.FAILED);
            s.setCompletionTime(now.toString());
            set(ConditionTypes.FAILED, true, reason, message);
            set(ConditionTypes.RUNNING, false, Reasons.NOT_RUNNING, "failed");
            set(ConditionTypes.SUCCEEDED, false, Reasons.NOT_FINISHED, "failed");
            events.add(JobEvent.warning("Failed", message));
            finished();
        }

        /** Terminal: release a retained PVC, then wait for the TTL. */
        void finished() {
            stopGroup();
            actions.addAll(KueueAdmission.onFinished(obs, s.getPhase() == Phase.SUCCEEDED, "FineTuneJob " + name + " "
                    + s.getPhase()));
            // why: Defaults, not spec.checkpoint: the CRD's default (Retain) is not applied when spec.checkpoint is absent
            if (Defaults.reclaimPolicy(spec) == ReclaimPolicy.RETAIN && obs.pvcOwnedByJob()) {
                actions.add(new Action.ReleaseCheckpointPvc());
            }
            Instant completion = s.getCompletionTime() == null ? null : Instant.parse(s.getCompletionTime());
            TtlPolicy.Verdict ttl = TtlPolicy.evaluate(spec.getTtlSecondsAfterFinished(), completion, now);
            if (ttl instanceof TtlPolicy.DeleteNow) {
                actions.add(new Action.DeleteJob());
            }
            requeue = TtlPolicy.requeue(ttl);
        }

        void admit(AdmissionCheck.Result r) {
            String before = Conditions.reason(old.getConditions(), ConditionTypes.ACCEPTED).orElse(null);
            set(ConditionTypes.ACCEPTED, r.accepted(), r.reason(), r.message());
            if (!r.reason().equals(before) && !r.reason().equals(Reasons.SPEC_VALID)) {
                events.add(JobEvent.warning(r.reason(), r.message()));
            }
            r.fingerprint().ifPresent(fp -> {
                ScheduleStatus sched = s.getSchedule() == null ? new ScheduleStatus() : s.getSchedule();
                sched.setFingerprint(fp);
                s.setSchedule(sched);
            });
        }

        /** Conditions not set by the rules below keep "not yet" defaults. */
        void initDefaults() {
            for (String t : List.of(ConditionTypes.SUCCEEDED, ConditionTypes.FAILED)) {
                if (Conditions.find(s.getConditions(), t).map(c -> c.getReason() == null).orElse(true)) {
                    set(t, false, Reasons.NOT_FINISHED, "the job has not finished");
                }
            }
            for (String t : List.of(ConditionTypes.RUNNING, ConditionTypes.SUSPENDED)) {
                if (Conditions.find(s.getConditions(), t).map(c -> c.getReason() == null).orElse(true)) {
                    set(t, false, t.equals(ConditionTypes.RUNNING) ? Reasons.NOT_RUNNING : Reasons.NOT_SUSPENDED,
                            t.equals(ConditionTypes.RUNNING) ? "no trainer pod yet" : "spec.suspend is false");
                }
            }
        }

        void ensureOwnedResources() {
            if (!obs.specConfigMapVersion().map(v -> v.equals(DesiredResources.specVersion(job))).orElse(false)) {
                actions.add(new Action.ApplySpecConfigMap());
            }
            if (!obs.pvcExists()) {
                actions.add(new Action.CreateCheckpointPvc());
            }
            if (!obs.secretExists()) {
                actions.add(new Action.CreateProgressSecret());
            }
        }

        boolean matches(ProgressReport r) {
            boolean uid = r.jobUid() == null || r.jobUid().equals(job.getMetadata().getUid());
            boolean att = r.attempt() == null || r.attempt().equals(s.getAttempt());
            return uid && att;
        }

        void applyProgress(ProgressReport r) {
            if (r.step() != null) {
                s.setStep(r.step());
            }
            if (r.epoch() != null) {
                s.setEpoch(r.epoch());
            }
            if (r.loss() != null) {
                s.setLoss(r.loss());
            }
            if (r.validationLoss() != null) {
                s.setValidationLoss(r.validationLoss());
            }
            s.setEvaluation(EvaluationUpdate.next(s.getEvaluation(), r));
            ScheduleStatus sched = s.getSchedule() == null ? new ScheduleStatus() : s.getSchedule();
            if (r.cycle() != null) {
                sched.setCycle(r.cycle());
            }
            if (r.cycleStep() != null) {
                sched.setCycleStep(r.cycleStep());
            }
            if (r.cycleLength() != null) {
                sched.setCycleLength(r.cycleLength());
            }
            if (r.learningRate() != null) {
                sched.setLearningRate(r.learningRate());
            }
            s.setSchedule(sched);
            if (r.lastCheckpoint() != null && r.lastCheckpoint().step() != null) {
                CheckpointStatus cp = new CheckpointStatus();
                cp.setStep(r.lastCheckpoint().step());
                cp.setTime(r.lastCheckpoint().time());
                cp.setDigest(r.lastCheckpoint().digest());
                cp.setName(r.lastCheckpoint().name());
                s.setLastCheckpoint(cp);
                applyCheckpointCost(r.lastCheckpoint());
            }
        }

        /** status.checkpoint and the CheckpointFitsGracePeriod condition (+ a Warning when it turns False). */
        void applyCheckpointCost(ProgressReport.Checkpoint c) {
            Optional<GracePeriodFit.Verdict> v = GracePeriodFit.decide(c.bytes(), c.writeBytesPerSecond(),
                    graceSeconds(obs.pod().orElse(null)));
            if (v.isEmpty()) {
                return;
            }
            CheckpointCostStatus cost = new CheckpointCostStatus();
            cost.setSize(new io.fabric8.kubernetes.api.model.Quantity(Long.toString(c.bytes())));
            cost.setWriteBytesPerSecond(Math.round(c.writeBytesPerSecond()));
            cost.setEstimatedWriteSeconds(Math.round(v.get().estimatedWriteSeconds() * 100) / 100.0);
            s.setCheckpoint(cost);
            if (Conditions.find(s.getConditions(), ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD).isEmpty()) {
                s.getConditions().add(new FineTuneJobCondition(ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD,
                        FineTuneJobCondition.UNKNOWN, null, null, now.toString(), gen));
            }
            boolean wasFalse = Conditions.find(s.getConditions(), ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD)
                    .map(x -> "False".equals(x.getStatus())).orElse(false);
            set(ConditionTypes.CHECKPOINT_FITS_GRACE_PERIOD, v.get().fits(), v.get().fits() ? Reasons.CHECKPOINT_FITS
                    : Reasons.CHECKPOINT_EXCEEDS_GRACE_PERIOD, v.get().message());
            if (!v.get().fits() && !wasFalse) {
                events.add(JobEvent.warning(Reasons.CHECKPOINT_EXCEEDS_GRACE_PERIOD, v.get().message()));
            }
        }

        /** When the failed attempt ended: its container's finish time, else when Running last flipped. */
        Instant backoffAnchor() {
            Optional<Instant> finished = obs.pod().filter(p -> p.attempt() == s.getAttempt()).flatMap(PodSnapshot::trainer)
                    .map(ContainerSnapshot::terminated).map(ContainerSnapshot.Terminated::finishedAt);
            return finished.or(() -> Conditions.find(s.getConditions(), ConditionTypes.RUNNING)
                    .map(FineTuneJobCondition::getLastTransitionTime).map(Instant::parse)).orElse(now);
        }

        Instant endTime(PodSnapshot pod) {
            return Optional.ofNullable(pod).flatMap(PodSnapshot::trainer).map(ContainerSnapshot::terminated)
                    .map(ContainerSnapshot.Terminated::finishedAt).filter(t -> !t.isAfter(now)).orElse(now);
        }

        /** The grace the pod was created with (the operator's default when the spec names none), else the spec's. */
        long graceSeconds(PodSnapshot pod) {
            if (pod != null && pod.graceSeconds() != null) {
                return pod.graceSeconds();
            }
            return spec.getTemplate() != null && spec.getTemplate().getTerminationGracePeriodSeconds() != null
                    ? spec.getTemplate().getTerminationGracePeriodSeconds() : 120;
        }

        String pendingMessage(PodSnapshot pod) {
            if (pod == null) {
                return "waiting for the pod to appear";
            }
            if (pod.isDeleting()) {
                return "pod " + pod.name() + " is terminating";
            }
            Optional<PodSnapshot.PodConditionSnapshot> sched = pod.conditions().stream()
                    .filter(c -> "PodScheduled".equals(c.type()) && "False".equals(c.status())).findFirst();
            if (sched.isPresent()) {
                String why = sched.get().reason();
                return "pod " + pod.name() + " is not scheduled yet"
                        + ("SchedulingGated".equals(why) ? " (gated, e.g. waiting for Kueue admission)" : "")
                        + (sched.get().message() == null ? "" : ": " + sched.get().message());
            }
            return "pod " + pod.name() + " is starting" + pod.trainer().map(ContainerSnapshot::waiting)
                    .filter(w -> w != null && w.reason() != null).map(w -> " (" + w.reason() + ")").orElse("");
        }

        void set(String type, boolean status, String reason, String message) {
            setStatus(type, status ? FineTuneJobCondition.TRUE : FineTuneJobCondition.FALSE, reason, message);
        }

        void setStatus(String type, String status, String reason, String message) {
            Conditions.set(s.getConditions(), type, status, reason, message, now, gen);
        }

        Decision decision() {
            KstatusConditions.derive(s, now, gen);
            s.setDisplay(StatusDisplay.of(s));
            return new Decision(actions, s, events, accounted, requeue);
        }
    }
}
