package dev.annealer.benchmarks;

/**
 * The textbook way to find the cycle of a step: walk the cycles from the start, one by one. O(number of cycles
 * before the step). With periodMultiplier 1 at step 10^12 and a period of 1000 steps that is 10^9 iterations per
 * call, so the benchmark only runs it where it terminates quickly (multipliers 1.5 and 2, or small steps).
 */
final class NaiveSgdr {
    private final double peak;
    private final double min;
    private final double period;
    private final double multiplier;

    NaiveSgdr(double peak, double min, double period, double multiplier) {
        this.peak = peak;
        this.min = min;
        this.period = period;
        this.multiplier = multiplier;
    }

    double lr(long step) {
        double start = 0;
        double len = period;
        while (start + len <= step) {
            start += len;
            len *= multiplier;
        }
        double u = (step - start) / len;
        // StrictMath like the engine, so the comparison measures the cycle search, not the cosine
        return min + (peak - min) * 0.5 * (1 + StrictMath.cos(Math.PI * u));
    }
}
