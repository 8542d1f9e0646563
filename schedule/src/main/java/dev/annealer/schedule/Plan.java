package dev.annealer.schedule;

import java.util.List;

/**
 * The resolved, canonical meaning of a schedule: every duration in steps, every default filled in, equivalent
 * spellings collapsed. {@link Schedule} evaluates nothing but this, and {@link #canonicalText()} writes every field of
 * it, so two configs with the same fingerprint compute bit-identical learning rates by construction.
 */
final class Plan {

    enum Kind {
        /** After the warmup the LR is {@code peak} forever. */
        CONSTANT,
        /** Geometric cycles: period T_0, multiplier m, peak decay, optional maxCycles. Cosine = one cycle. */
        CYCLES,
        /** An explicit list of cycles, each with its own warmup, peak, floor and exponent. */
        LIST
    }

    /** One cycle of an explicit list, in steps. */
    record Piece(long length, long warmup, double warmupStart, double peak, double min, double exponent) {
    }

    final Kind kind;
    final double peak;
    final long warmupSteps;
    final double warmupStart;
    final boolean overlap;
    // CYCLES
    final Rational period;
    final double multiplier;
    final double decay;
    /** -1 = unlimited. */
    final long maxCycles;
    final boolean continueAfter;
    final boolean float64Log;
    // shape (CYCLES and LIST)
    final double min;
    final double waves;
    final double kDecay;
    final double exponent;
    // LIST
    final List<Piece> pieces;
    // plateau (0 = off)
    final int patience;
    final double minDelta;

    Plan(Kind kind, double peak, long warmupSteps, double warmupStart, boolean overlap, Rational period,
         double multiplier, double decay, long maxCycles, boolean continueAfter, boolean float64Log, double min,
         double waves, double kDecay, double exponent, List<Piece> pieces, int patience, double minDelta) {
        this.kind = kind;
        this.peak = z(peak);
        this.warmupSteps = warmupSteps;
        this.warmupStart = z(warmupStart);
        this.overlap = overlap;
        this.period = period == null ? null : period.reduced();
        this.multiplier = multiplier;
        this.decay = decay;
        this.maxCycles = maxCycles;
        this.continueAfter = continueAfter;
        this.float64Log = float64Log;
        this.min = z(min);
        this.waves = waves;
        this.kDecay = kDecay;
        this.exponent = exponent;
        this.pieces = pieces == null ? List.of() : List.copyOf(pieces);
        this.patience = patience;
        this.minDelta = z(minDelta);
    }

    /** Normalizes -0.0 to 0.0 so the canonical text does not depend on the sign of zero. */
    private static double z(double v) {
        return v == 0.0 ? 0.0 : v;
    }

    /** Whether early restarts can happen (a plateau config on a schedule with more than one cycle). */
    boolean restartsEnabled() {
        return patience > 0;
    }

    /** The exact canonical text of this plan; the fingerprint is its SHA-256. Doubles are written in hex. */
    String canonicalText() {
        StringBuilder s = new StringBuilder("annealer.schedule/v1\n");
        s.append("kind=").append(kind).append('\n');
        s.append("warmup=").append(warmupSteps).append(',').append(h(warmupStart)).append(',')
                .append(overlap ? "overlap" : "prefix").append('\n');
        switch (kind) {
            case CONSTANT -> s.append("peak=").append(h(peak)).append('\n');
            case CYCLES -> {
                s.append("peak=").append(h(peak)).append('\n');
                s.append("period=").append(period).append('\n');
                s.append("multiplier=").append(h(multiplier)).append('\n');
                s.append("decay=").append(h(decay)).append('\n');
                s.append("maxCycles=").append(maxCycles).append('\n');
                s.append("after=").append(continueAfter ? "continue" : "hold").append('\n');
                s.append("index=").append(float64Log ? "float64log" : "exact").append('\n');
                shape(s);
            }
            case LIST -> {
                if (warmupSteps > 0) {
                    // the schedule-level warmup ramps to the optimizer LR before the first listed cycle
                    s.append("peak=").append(h(peak)).append('\n');
                }
                shape(s);
                for (Piece p : pieces) {
                    s.append("piece=").append(p.length()).append(',').append(p.warmup()).append(',')
                            .append(h(p.warmupStart())).append(',').append(h(p.peak())).append(',')
                            .append(h(p.min())).append(',').append(h(p.exponent())).append('\n');
                }
            }
            default -> throw new IllegalStateException();
        }
        if (restartsEnabled()) {
            s.append("plateau=").append(patience).append(',').append(h(minDelta)).append('\n');
        }
        return s.toString();
    }

    private void shape(StringBuilder s) {
        s.append("min=").append(h(min)).append('\n');
        s.append("waves=").append(h(waves)).append('\n');
        s.append("kDecay=").append(h(kDecay)).append('\n');
        s.append("exponent=").append(h(exponent)).append('\n');
    }

    private static String h(double v) {
        return Double.toHexString(v);
    }
}
