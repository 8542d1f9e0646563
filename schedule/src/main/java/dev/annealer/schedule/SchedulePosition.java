package dev.annealer.schedule;

/**
 * Where a step falls on the schedule: what status ({@code status.schedule}), progress reports and checkpoints show.
 *
 * <ul>
 *   <li>{@link Phase#WARMUP}: {@code cycle = 0}, {@code cycleStep} = steps since the warmup began,
 *       {@code cycleLength} = warmup length in steps, {@code cyclePeak} = the LR the warmup ramps to.</li>
 *   <li>{@link Phase#ANNEALING}: inside cycle {@code cycle} (0-based). {@code cycleStep} = steps since the cycle's first
 *       step, {@code cycleLength} = number of whole steps that belong to the cycle (for fractional periods the cycle
 *       starts at the first step at or after its real start time). For {@code afterHorizon: Continue} the single
 *       cycle never ends and {@code cycleStep} may exceed {@code cycleLength}. In an explicit cycle list, the cycle's
 *       own warmup is reported as WARMUP with the cycle's index, and there {@code cycleStep} / {@code cycleLength}
 *       count from the cycle's first step over its whole length (warmup included).</li>
 *   <li>{@link Phase#HOLD}: the LR no longer changes: after the last cycle (then {@code cycle} = number of cycles run
 *       and {@code cycleStep} = steps since the hold began), or a {@code Constant} schedule (cycle 0, steps since the
 *       warmup ended). {@code cycleLength = 0} means "unbounded".</li>
 * </ul>
 *
 * @param step the optimizer step asked about (0 = first step)
 * @param cycle the 0-based cycle index (restarts early on plateau count as cycles too)
 * @param cycleStep steps since the current cycle (or warmup, or hold) began
 * @param cycleLength whole steps in the current cycle; 0 when unbounded
 * @param cyclePeak the peak LR of the current cycle ({@code learningRate * peakDecay^cycle})
 * @param learningRate the LR in effect for this step, equal to {@link Schedule#lr(long)}
 * @param phase warmup, annealing or hold
 */
public record SchedulePosition(long step, long cycle, long cycleStep, long cycleLength, double cyclePeak,
                               double learningRate, Phase phase) {

    /** The three phases a step can be in. */
    public enum Phase {
        /** The linear ramp before (or overlapping) the first cycle, or a listed cycle's own ramp. */
        WARMUP,
        /** Following a cosine. */
        ANNEALING,
        /** Constant LR: after the last cycle, or a Constant schedule. */
        HOLD
    }
}
