package dev.annealer.operator.decide;

import java.time.Duration;
import java.util.Optional;

/**
 * Preemptions that bring no progress: when the trainer's SIGTERM checkpoint does not fit in the grace period (or the
 * platform preempts faster than the trainer gets going), every attempt resumes from the same point and the job can
 * loop forever, since preemptions never count as failures and {@code maxPreemptions} is unlimited by default.
 *
 * <p>At each preemption, {@code status.step} is compared with its value at the previous preemption (0 before the
 * first): when it did not move past it, the streak {@code status.preemptionsWithoutProgress} grows, else it restarts
 * at 0. From {@link #THRESHOLD} on, the Running condition says {@code PreemptedWithoutProgress} (with a Warning event)
 * and the next attempt waits {@code backoff.delay(streak - THRESHOLD + 1)}: the job's own failure backoff (10 s,
 * 20 s, ... up to 300 s by default). The job never fails for it: {@code maxPreemptions} is the knob for that.
 */
public final class StallPolicy {

    /** Preemptions in a row without progress before the job backs off: one is bad luck, three is a pattern. */
    public static final int THRESHOLD = 3;

    private StallPolicy() {
    }

    /** The streak after a preemption at {@code stepNow}, given the streak and step of the previous preemption. */
    public static int streak(Integer previousStreak, Long stepAtPreviousPreemption, Long stepNow) {
        long before = stepAtPreviousPreemption == null ? 0 : stepAtPreviousPreemption;
        long now = stepNow == null ? 0 : stepNow;
        return now > before ? 0 : (previousStreak == null ? 0 : previousStreak) + 1;
    }

    /** How long the next attempt waits after a preemption that left the streak at {@code streak}; empty: at once. */
    public static Optional<Duration> delay(int streak, BackoffPolicy backoff) {
        return streak < THRESHOLD ? Optional.empty() : Optional.of(backoff.delay(streak - THRESHOLD + 1));
    }
}
