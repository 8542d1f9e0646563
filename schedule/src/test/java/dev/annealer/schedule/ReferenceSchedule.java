package dev.annealer.schedule;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * An independent, slow reference for geometric SGDR: exact decimal arithmetic on the exact values of the double
 * parameters, cycles found by walking them one by one (m &gt; 1) or by exact division (m = 1), and the cosine by its
 * Taylor series at 60 significant digits. Shares no code with the engine.
 */
final class ReferenceSchedule {

    static final MathContext MC = new MathContext(60, RoundingMode.HALF_EVEN);
    static final BigDecimal PI = new BigDecimal(
            "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798");
    /** Cycle walking keeps 120 digits: exact for dyadic multipliers (1.5, 2, 3) over the probed range. */
    static final MathContext WIDE = new MathContext(120, RoundingMode.HALF_EVEN);
    static final BigDecimal TWO = BigDecimal.valueOf(2);

    final BigDecimal peak;
    final BigDecimal min;
    final BigDecimal period;
    final BigDecimal multiplier;
    final BigDecimal decay;
    final long maxCycles;
    final long warmup;
    final BigDecimal warmupStart;

    ReferenceSchedule(double peak, double min, BigDecimal period, double multiplier, double decay, long maxCycles,
                      long warmup, double warmupStart) {
        this.peak = new BigDecimal(peak);
        this.min = new BigDecimal(min);
        this.period = period;
        this.multiplier = new BigDecimal(multiplier);
        this.decay = new BigDecimal(decay);
        this.maxCycles = maxCycles;
        this.warmup = warmup;
        this.warmupStart = new BigDecimal(warmupStart);
    }

    /** The exact-ish LR (60 digits) of a step. */
    BigDecimal lr(long step) {
        if (step < warmup) {
            return warmupStart.add(peak.subtract(warmupStart).multiply(BigDecimal.valueOf(step))
                    .divide(BigDecimal.valueOf(warmup), MC), MC);
        }
        BigDecimal t = BigDecimal.valueOf(step - warmup);
        long i;
        BigDecimal start;
        BigDecimal len;
        if (multiplier.compareTo(BigDecimal.ONE) == 0) {
            BigDecimal q = t.divideToIntegralValue(period, MC);
            i = q.longValueExact();
            start = period.multiply(q);
            len = period;
        } else {
            i = 0;
            start = BigDecimal.ZERO;
            len = period;
            while (start.add(len).compareTo(t) <= 0) {
                start = start.add(len, WIDE);
                len = len.multiply(multiplier, WIDE);
                i++;
                if (i > 100_000) {
                    throw new IllegalStateException("reference walked too many cycles");
                }
            }
        }
        if (maxCycles >= 0 && i >= maxCycles) {
            return min;
        }
        BigDecimal u = t.subtract(start).divide(len, MC);
        BigDecimal factor = BigDecimal.ONE.add(cos(PI.multiply(u, MC)), MC).divide(TWO, MC);
        BigDecimal p = decay.compareTo(BigDecimal.ONE) == 0 ? peak : peak.multiply(decay.pow((int) i, MC), MC);
        return min.add(p.subtract(min).multiply(factor, MC), MC);
    }

    /** cos(x) for x in [0, pi] by Taylor series at 60 digits. */
    static BigDecimal cos(BigDecimal x) {
        BigDecimal x2 = x.multiply(x, MC);
        BigDecimal term = BigDecimal.ONE;
        BigDecimal sum = BigDecimal.ONE;
        BigDecimal eps = new BigDecimal("1e-70");
        for (int n = 1; n < 400; n++) {
            term = term.multiply(x2, MC).divide(BigDecimal.valueOf((2L * n - 1) * (2L * n)), MC).negate();
            sum = sum.add(term, MC);
            if (term.abs().compareTo(eps) < 0) {
                break;
            }
        }
        return sum;
    }

    static double relativeError(double ours, BigDecimal ref) {
        if (ref.signum() == 0) {
            return ours == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return new BigDecimal(ours).subtract(ref).abs().divide(ref.abs(), MC).doubleValue();
    }
}
