package dev.annealer.operator.decide;

import dev.annealer.api.v1alpha1.Defaults;

import java.time.Duration;

/**
 * Capped exponential backoff before the attempt that follows a failure (a preemption is replaced at once).
 *
 * <p>{@code delay(n) = min(max, initial * 2^(n-1))} for the n-th failure (n >= 1); {@code delay(0) = 0}.
 * Defaults: initial 10 s, max 300 s, so 10, 20, 40, 80, 160, 300, 300, ... seconds.
 */
public record BackoffPolicy(Duration initial, Duration max) {

    public static final BackoffPolicy DEFAULT = new BackoffPolicy(Duration.ofSeconds(Defaults.BACKOFF_INITIAL_SECONDS),
            Duration.ofSeconds(Defaults.BACKOFF_MAX_SECONDS));

    public BackoffPolicy {
        if (initial.isNegative() || max.isNegative()) {
            throw new IllegalArgumentException("backoff durations must be >= 0 (got initial " + initial + ", max " + max + ")");
        }
    }

    /** Builds the policy from {@code spec.failurePolicy.backoff}; null fields take the defaults. */
    public static BackoffPolicy of(Long initialSeconds, Long maxSeconds) {
        return new BackoffPolicy(initialSeconds == null ? DEFAULT.initial : Duration.ofSeconds(initialSeconds),
                maxSeconds == null ? DEFAULT.max : Duration.ofSeconds(maxSeconds));
    }

    /** Delay after the {@code failures}-th failure. */
    public Duration delay(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        int shift = Math.min(failures - 1, 40); // 2^40 s already exceeds any sane cap; avoids overflow
        long millis = initial.toMillis();
        long scaled = millis > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : millis << shift;
        return Duration.ofMillis(Math.min(scaled, max.toMillis()));
    }
}
