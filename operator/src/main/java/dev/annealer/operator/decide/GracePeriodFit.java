package dev.annealer.operator.decide;

import java.util.Optional;

/**
 * Does the SIGTERM checkpoint fit the pod's grace period? A pure function of what the trainer measured (the size of
 * its last checkpoint and how fast it wrote it) and {@code terminationGracePeriodSeconds}.
 *
 * <p>The estimate is {@code size / throughput}. It fits when {@code estimate * 1.5 + 10 s <= grace}: half again for a
 * slower volume or a busier node at preemption time, and 10 s for the step in progress to finish and the process to
 * exit. Otherwise the recommendation is that bound rounded up to the next 30 s.
 */
public final class GracePeriodFit {
    /** Safety factor on the measured write time. */
    public static final double FACTOR = 1.5;
    /** Seconds for the step in progress to end and the process to exit. */
    public static final long SLACK_SECONDS = 10;

    /** The verdict: whether it fits, the estimate, the grace period it needs, and a message for condition/event. */
    public record Verdict(boolean fits, double estimatedWriteSeconds, long neededGraceSeconds, String message) {}

    private GracePeriodFit() {
    }

    /** Empty when nothing was measured yet (no size or no throughput). */
    public static Optional<Verdict> decide(Long bytes, Double bytesPerSecond, long graceSeconds) {
        if (bytes == null || bytes <= 0 || bytesPerSecond == null || !(bytesPerSecond > 0)) {
            return Optional.empty();
        }
        double estimate = bytes / bytesPerSecond;
        double bound = estimate * FACTOR + SLACK_SECONDS;
        long needed = (long) Math.ceil(bound / 30.0) * 30;
        String measured = String.format(java.util.Locale.ROOT, "a checkpoint is %s and was written at %s/s: about %.1f s",
                human(bytes), human(bytesPerSecond.longValue()), estimate);
        if (bound <= graceSeconds) {
            return Optional.of(new Verdict(true, estimate, needed, measured + ", within terminationGracePeriodSeconds "
                    + graceSeconds + " with margin (x" + FACTOR + " + " + SLACK_SECONDS + " s)"));
        }
        return Optional.of(new Verdict(false, estimate, needed, measured + "; with margin (x" + FACTOR + " + "
                + SLACK_SECONDS + " s) that exceeds terminationGracePeriodSeconds " + graceSeconds + ", so a SIGTERM "
                + "checkpoint may be killed half-written and up to spec.checkpoint.everySeconds of work lost: set "
                + "spec.template.terminationGracePeriodSeconds: " + needed + " (or checkpoint less: LoRA/frozen layers, "
                + "a faster volume)"));
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
