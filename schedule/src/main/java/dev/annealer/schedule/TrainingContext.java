package dev.annealer.schedule;

/**
 * What the schedule needs to know about the training run it belongs to.
 *
 * @param totalSteps the training budget in optimizer steps ({@code spec.training.maxSteps}, or epochs x steps per
 *     epoch); {@code <= 0} means unknown. Used for defaults: a {@code Cosine} schedule without {@code horizon} decays
 *     over the rest of training, {@code totalSteps - warmup}.
 * @param stepsPerEpoch optimizer steps per epoch (dataset size / effective batch), or {@code null} when unknown;
 *     needed to resolve every duration written as {@code {epochs: x}} into steps ({@code steps = x * stepsPerEpoch}).
 */
public record TrainingContext(long totalSteps, Double stepsPerEpoch) {

    /** No budget and no epoch size known: every duration must then be given in steps. */
    public static final TrainingContext NONE = new TrainingContext(0, null);

    public TrainingContext {
        if (stepsPerEpoch != null && !(stepsPerEpoch > 0 && Double.isFinite(stepsPerEpoch))) {
            throw ScheduleValidationException.of("stepsPerEpoch", stepsPerEpoch,
                    "be a finite number > 0", "it converts durations given in epochs into optimizer steps");
        }
    }

    /** A context with a known budget and no epoch size. */
    public static TrainingContext ofSteps(long totalSteps) {
        return new TrainingContext(totalSteps, null);
    }

    /** True when {@link #totalSteps()} is known. */
    public boolean hasTotalSteps() {
        return totalSteps > 0;
    }
}
