package dev.annealer.operator.decide;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code spec.ttlSecondsAfterFinished}: a finished job is deleted at {@code completionTime + ttl}.
 * Absent ttl: kept forever. ttl 0: deleted as soon as it finished. A ttl above {@link #MAX_SECONDS} (the CRD's
 * maximum; older objects may hold more) is clamped to it, so the expiry is always a representable instant.
 */
public final class TtlPolicy {

    /** The CRD maximum of {@code spec.ttlSecondsAfterFinished}: 2^31-1 s (about 68 years, the Job API's int32). */
    public static final long MAX_SECONDS = Integer.MAX_VALUE;

    private TtlPolicy() {
    }

    /** What to do with a finished job now. */
    public sealed interface Verdict permits Keep, DeleteNow, WaitUntil {
    }

    public record Keep() implements Verdict {
    }

    public record DeleteNow() implements Verdict {
    }

    public record WaitUntil(Duration remaining) implements Verdict {
    }

    public static Verdict evaluate(Long ttlSeconds, Instant completion, Instant now) {
        if (ttlSeconds == null || completion == null) {
            return new Keep();
        }
        Instant expiry = completion.plusSeconds(Math.min(MAX_SECONDS, Math.max(0, ttlSeconds)));
        return now.isBefore(expiry) ? new WaitUntil(Duration.between(now, expiry)) : new DeleteNow();
    }

    static Optional<Duration> requeue(Verdict v) {
        return v instanceof WaitUntil w ? Optional.of(w.remaining()) : Optional.empty();
    }
}
