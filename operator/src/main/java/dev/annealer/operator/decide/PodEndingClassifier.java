package dev.annealer.operator.decide;

import dev.annealer.operator.observe.ContainerSnapshot;
import dev.annealer.operator.observe.PodSnapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classifies how the pod of a live attempt ended. Pure: the pod snapshot, whether {@code spec.suspend} is
 * requested, and the clock.
 *
 * <p>Order of the rules (first match wins), for a pod whose trainer container terminated:
 * <ol>
 *   <li>exit 0 with a {@code succeeded:} termination message: {@code SUCCESS}; exit 0 without it: failure
 *       {@code UnexpectedExit};</li>
 *   <li>the platform took the pod away ({@code DisruptionTarget=True} with any reason, Kueue's
 *       {@code TerminationTarget=True}, {@code status.reason} Evicted / NodeLost / Shutdown, phase Unknown, or a
 *       deletionTimestamp the operator did not set): {@code PREEMPTION} whatever the exit code;</li>
 *   <li>exit 75 ("checkpointed after preemption"): {@code PREEMPTION};</li>
 *   <li>{@code OOMKilled}: failure; a {@code failed: reason=X} message: failure with cause X; other non-zero
 *       exit: failure {@code NonZeroExit}.</li>
 * </ol>
 * Which failures are <em>permanent</em> (the job fails at once, whatever {@code failurePolicy.maxFailures} says):
 * exit 2 (the trainer refused its input) with reason {@code InvalidSpec}, {@code ScheduleChanged} or
 * {@code CorruptCheckpoint}, because the spec is immutable once started and a checkpoint does not heal, so a retry
 * sees the same input; exit 2 with {@code NonFiniteLoss}, because training is deterministic and a retry from the
 * same checkpoint diverges at the same step; and exit 2 with no or an unknown reason ({@code InvalidInput}),
 * because nothing says a retry could help. Exit 2 with {@code BadRecord} or {@code MissingFile}
 * ({@link #RETRYABLE_INVALID_INPUT}) is an ordinary failure: the data lives on a volume the user can fix between
 * attempts, so it is counted in {@code status.failures} and retried after the backoff until the budget runs out
 * (the job then ends Failed with that reason, see {@link Decider}). Any other exit code is never permanent.
 *
 * A pod stuck waiting on its image for longer than {@code imagePullGrace} (at once for an invalid image name) or
 * on a container config error for longer than {@code configErrorGrace} is a failure whose pod must be deleted.
 * A pod that disappeared is a preemption ({@code PodDeleted}). While {@code spec.suspend} is requested, every
 * preemption-like ending is {@code SUSPENDED} instead (the operator itself deleted the pod).
 */
public final class PodEndingClassifier {

    /** Exit code of a trainer that checkpointed after SIGTERM (sysexits EX_TEMPFAIL). */
    public static final int EXIT_CHECKPOINTED_AFTER_PREEMPTION = 75;
    /** Exit code of a trainer that refused its input (spec, data, schedule vs checkpoint). */
    public static final int EXIT_INVALID_INPUT = 2;

    /**
     * Trainer reasons of an exit 2 that a retry can fix: the data is on a volume the user may repair between
     * attempts. Every other exit-2 reason is permanent.
     */
    public static final Set<String> RETRYABLE_INVALID_INPUT = Set.of("BadRecord", "MissingFile");

    private static final Pattern TRAINER_FAILURE = Pattern.compile("^failed: reason=([A-Za-z][A-Za-z0-9]*)\\b.*", Pattern.DOTALL);
    private static final Set<String> PULL_BACKOFF = Set.of("ErrImagePull", "ImagePullBackOff");
    private static final Set<String> PULL_NEVER = Set.of("InvalidImageName", "ErrImageNeverPull");
    private static final Set<String> CONFIG_ERRORS = Set.of("CreateContainerConfigError", "CreateContainerError", "RunContainerError");

    /**
     * Grace periods for pods that never end by themselves.
     *
     * @param imagePullGrace   how long ErrImagePull / ImagePullBackOff is tolerated, counted from scheduling
     * @param configErrorGrace how long CreateContainerConfigError and friends are tolerated
     */
    public record Settings(Duration imagePullGrace, Duration configErrorGrace) {
        public static final Settings DEFAULT = new Settings(Duration.ofMinutes(5), Duration.ofMinutes(2));
    }

    private PodEndingClassifier() {
    }

    /**
     * @param pod              the live attempt's pod, or null when it is gone
     * @param podName          its name (for messages when the pod is gone)
     * @param suspendRequested {@code spec.suspend}
     * @return the ending, or empty while the pod is still pending, running or terminating
     */
    public static Optional<PodEnding> classify(PodSnapshot pod, String podName, boolean suspendRequested, Instant now,
            Settings settings) {
        if (pod == null) {
            return Optional.of(suspendRequested
                    ? new PodEnding(PodEnding.Kind.SUSPENDED, Causes.SUSPENDED, null,
                            "pod " + podName + " was removed to suspend the job", false, false)
                    : PodEnding.preemption(Causes.POD_DELETED, null,
                            "pod " + podName + " disappeared (deleted by someone other than the operator)"));
        }
        Optional<ContainerSnapshot.Terminated> terminated = pod.trainer().map(ContainerSnapshot::terminated);
        if (terminated.isPresent()) {
            return Optional.of(classifyTerminated(pod, terminated.get(), suspendRequested));
        }
        if ("Failed".equals(pod.phase()) || "Succeeded".equals(pod.phase())) {
            Optional<String> disruption = disruption(pod, suspendRequested);
            if (disruption.isPresent()) {
                return Optional.of(preemptionOrSuspend(pod, disruption.get(), null, suspendRequested));
            }
            return Optional.of(PodEnding.failure(Causes.POD_REJECTED, null, "pod " + pod.name() + " was rejected before "
                    + "the trainer ran: " + describe(pod.reason(), pod.message())));
        }
        if (pod.isDeleting()) {
            return Optional.empty(); // wait for the container to stop or the pod to go: its ending is decided then
        }
        return pod.trainer().map(ContainerSnapshot::waiting).flatMap(w -> classifyWaiting(pod, w, now, settings));
    }

    private static PodEnding classifyTerminated(PodSnapshot pod, ContainerSnapshot.Terminated t, boolean suspend) {
        String msg = t.message() == null ? "" : t.message().strip();
        if (t.exitCode() == 0) {
            if (msg.startsWith("succeeded:")) {
                return new PodEnding(PodEnding.Kind.SUCCESS, Causes.SUCCEEDED, 0, msg, false, false);
            }
            return PodEnding.failure(Causes.UNEXPECTED_EXIT, 0, "trainer of pod " + pod.name() + " exited 0 without a "
                    + "'succeeded:' termination message; check spec.template.image runs the Annealer trainer"
                    + (msg.isEmpty() ? "" : " (message: " + msg + ")"));
        }
        Optional<String> disruption = disruption(pod, suspend);
        if (disruption.isPresent()) {
            return preemptionOrSuspend(pod, disruption.get(), t.exitCode(), suspend);
        }
        if (t.exitCode() == EXIT_CHECKPOINTED_AFTER_PREEMPTION) {
            return preemptionOrSuspend(pod, Causes.CHECKPOINTED_AFTER_PREEMPTION, t.exitCode(), suspend);
        }
        if ("OOMKilled".equals(t.reason())) {
            return PodEnding.failure(Causes.OOM_KILLED, t.exitCode(), "trainer of pod " + pod.name()
                    + " was OOMKilled (exit " + t.exitCode() + "): raise spec.resources.memory or lower "
                    + "spec.training.batchSize" + (msg.isEmpty() ? "" : "; last message: " + msg));
        }
        Optional<String> trainerReason = trainerReason(msg);
        String cause = trainerReason.orElse(t.exitCode() == EXIT_INVALID_INPUT ? Causes.INVALID_INPUT : Causes.NON_ZERO_EXIT);
        PodEnding failure = PodEnding.failure(cause, t.exitCode(), "trainer of pod " + pod.name() + " exited "
                + t.exitCode() + ": " + (msg.isEmpty() ? "no termination message (" + nullToDash(t.reason()) + ")" : msg));
        // why: a retry cannot help input that stays the same (immutable spec, broken checkpoint), but data can be fixed
        boolean permanent = t.exitCode() == EXIT_INVALID_INPUT && !RETRYABLE_INVALID_INPUT.contains(cause);
        return permanent ? failure.withPermanent() : failure;
    }

    /**
     * The trainer's own reason {@code X} of a termination message {@code failed: reason=X ...}, if it is one.
     *
     * @param terminationMessage the container's termination message, may be null
     */
    public static Optional<String> trainerReason(String terminationMessage) {
        if (terminationMessage == null) {
            return Optional.empty();
        }
        Matcher m = TRAINER_FAILURE.matcher(terminationMessage.strip());
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static Optional<PodEnding> classifyWaiting(PodSnapshot pod, ContainerSnapshot.Waiting w, Instant now,
            Settings settings) {
        if (w == null || w.reason() == null) {
            return Optional.empty();
        }
        Instant since = pod.scheduledAt() != null ? pod.scheduledAt() : pod.created();
        Duration waited = since == null ? Duration.ZERO : Duration.between(since, now);
        if (PULL_NEVER.contains(w.reason())
                || (PULL_BACKOFF.contains(w.reason()) && waited.compareTo(settings.imagePullGrace()) >= 0)) {
            return Optional.of(PodEnding.failure(Causes.IMAGE_PULL_FAILED, null, "image of pod " + pod.name()
                    + " cannot be pulled (" + describe(w.reason(), w.message()) + ") for " + waited.toSeconds()
                    + " s: check spec.template.image and the registry credentials").withDeletePod());
        }
        if (CONFIG_ERRORS.contains(w.reason()) && waited.compareTo(settings.configErrorGrace()) >= 0) {
            return Optional.of(PodEnding.failure(Causes.CONTAINER_CONFIG_ERROR, null, "container of pod " + pod.name()
                    + " cannot be created (" + describe(w.reason(), w.message()) + ") for " + waited.toSeconds()
                    + " s").withDeletePod());
        }
        return Optional.empty();
    }

    /** The platform's reason for taking the pod away, if it did. */
    static Optional<String> disruption(PodSnapshot pod, boolean suspend) {
        Optional<PodSnapshot.PodConditionSnapshot> target = pod.trueCondition("DisruptionTarget")
                .or(() -> pod.trueCondition("TerminationTarget")); // Kueue's pod integration marks evictions so
        if (target.isPresent()) {
            String r = target.get().reason();
            return Optional.of(r == null || r.isBlank() ? "DisruptionTarget" : r);
        }
        if ("Evicted".equals(pod.reason()) || "Shutdown".equals(pod.reason()) || "Terminated".equals(pod.reason())
                || "NodeShutdown".equals(pod.reason())) {
            return Optional.of(Causes.EVICTED);
        }
        if ("Preempting".equals(pod.reason())) {
            return Optional.of(Causes.PREEMPTION_BY_SCHEDULER);
        }
        if ("NodeLost".equals(pod.reason()) || "Unknown".equals(pod.phase())) {
            return Optional.of(Causes.NODE_LOST);
        }
        if (pod.isDeleting() && !suspend) {
            return Optional.of(Causes.POD_DELETED);
        }
        return Optional.empty();
    }

    private static PodEnding preemptionOrSuspend(PodSnapshot pod, String cause, Integer exit, boolean suspend) {
        if (suspend) {
            return new PodEnding(PodEnding.Kind.SUSPENDED, Causes.SUSPENDED, exit,
                    "pod " + pod.name() + " stopped to suspend the job" + (exit == null ? "" : " (exit " + exit + ")"),
                    false, false);
        }
        return PodEnding.preemption(cause, exit, "pod " + pod.name() + " was preempted (" + cause
                + (exit == null ? "" : ", exit " + exit) + ")"
                + pod.trueCondition("DisruptionTarget").map(c -> c.message() == null ? "" : ": " + c.message()).orElse(""));
    }

    private static String describe(String reason, String message) {
        return nullToDash(reason) + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static String nullToDash(String s) {
        return s == null ? "-" : s;
    }
}
