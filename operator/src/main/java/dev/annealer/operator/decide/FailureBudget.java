package dev.annealer.operator.decide;

import java.util.Optional;

/**
 * {@code spec.failurePolicy}: how many failures and preemptions a job survives.
 *
 * <p>The job fails when {@code failures > maxFailures} (so maxFailures = 3 allows three failed attempts and a
 * fourth try) or, when {@code maxPreemptions >= 0}, when {@code preemptions > maxPreemptions}. Preemptions never
 * count against maxFailures. Defaults: maxFailures 3, maxPreemptions -1 (unlimited).
 */
public record FailureBudget(int maxFailures, int maxPreemptions) {

    public static final int DEFAULT_MAX_FAILURES = 3;
    public static final int UNLIMITED = -1;

    public static FailureBudget of(Integer maxFailures, Integer maxPreemptions) {
        return new FailureBudget(maxFailures == null ? DEFAULT_MAX_FAILURES : maxFailures,
                maxPreemptions == null ? UNLIMITED : maxPreemptions);
    }

    /** Why the job must fail now, if it must: a Failed reason constant and a message naming the field. */
    public Optional<Exhausted> check(int failures, int preemptions) {
        if (failures > maxFailures) {
            return Optional.of(new Exhausted(Exhausted.Which.FAILURES, failures + " failures exceed "
                    + "spec.failurePolicy.maxFailures=" + maxFailures));
        }
        if (maxPreemptions >= 0 && preemptions > maxPreemptions) {
            return Optional.of(new Exhausted(Exhausted.Which.PREEMPTIONS, preemptions + " preemptions exceed "
                    + "spec.failurePolicy.maxPreemptions=" + maxPreemptions + " (set -1 for unlimited)"));
        }
        return Optional.empty();
    }

    /** The budget that ran out. */
    public record Exhausted(Which which, String message) {
        public enum Which { FAILURES, PREEMPTIONS }
    }
}
