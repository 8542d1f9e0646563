package dev.annealer.operator.decide;

/**
 * How one attempt's pod ended, as classified by {@link PodEndingClassifier}.
 *
 * @param kind      preemption (platform took the pod away: never a failure), failure, success, or suspended
 *                  (the operator deleted the pod because {@code spec.suspend} is true)
 * @param cause     CamelCase cause, see {@link Causes}; for trainer failures the trainer's own reason
 * @param exitCode  the trainer container's exit code, null when it never ran to an exit
 * @param message   one human line: what happened and, for failures, the trainer's termination message
 * @param permanent a failure that retrying cannot fix (exit 2 other than {@code BadRecord} / {@code MissingFile},
 *                  see {@link PodEndingClassifier}): the job fails at once
 * @param deletePod the pod never ends by itself (stuck pulling its image or on a config error): delete it
 */
public record PodEnding(Kind kind, String cause, Integer exitCode, String message, boolean permanent, boolean deletePod) {

    /** The four classes every pod ending falls into. */
    public enum Kind {
        PREEMPTION, FAILURE, SUCCESS, SUSPENDED
    }

    static PodEnding preemption(String cause, Integer exitCode, String message) {
        return new PodEnding(Kind.PREEMPTION, cause, exitCode, message, false, false);
    }

    static PodEnding failure(String cause, Integer exitCode, String message) {
        return new PodEnding(Kind.FAILURE, cause, exitCode, message, false, false);
    }

    PodEnding withPermanent() {
        return new PodEnding(kind, cause, exitCode, message, true, deletePod);
    }

    PodEnding withDeletePod() {
        return new PodEnding(kind, cause, exitCode, message, permanent, true);
    }
}
