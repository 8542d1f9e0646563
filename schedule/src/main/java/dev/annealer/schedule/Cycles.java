package dev.annealer.schedule;

import java.math.BigInteger;

/**
 * Geometric cycles: cycle j lasts {@code T_j = T_0 m^j} and starts at
 * {@code S_j = T_0 (m^j - 1) / (m - 1)} ({@code j T_0} when m = 1). {@link #locate} finds the cycle of a time t in O(1):
 *
 * <ol>
 *   <li>estimate {@code j = floor(log(1 + t (m-1) / T_0) / log m)} (or {@code floor(t / T_0)}) in doubles;</li>
 *   <li>verify {@code S_j <= t < S_(j+1)} and move j by one if the estimate was off: with exact long arithmetic when
 *       T_0 and m are whole numbers, otherwise in double-double with an exact rational check when t is within
 *       rounding distance of a boundary.</li>
 * </ol>
 * The correction moves j by at most a couple of cycles, so the cost does not grow with the step or the cycle count.
 *
 * <p>With {@code float64Log} the index is instead exactly the peers' double expression
 * {@code (long) floor(log(t / T_0 * (m - 1) + 1) / log(m))} (torch {@code CosineAnnealingWarmRestarts.step(epoch)},
 * timm {@code CosineLRScheduler}), whose rounding can land a boundary on the previous cycle's end.
 *
 * <p>A restart at the start of cycle {@code c0} (see {@link Plateau}) re-bases the same geometry: the cycles after it
 * are {@code T_0 m^c0, T_0 m^(c0+1), ...}, so {@code locate(k, c0)} measures k from that restart.
 */
final class Cycles {

    /** Where a time falls: relative cycle j (add c0 for the global index), elapsed r and remaining b = T_j - r. */
    record Loc(long j, DD r, DD b, long floorR, long ceilB) {
    }

    private final Rational t0;
    private final double m;
    private final Rational mExact;
    private final boolean intMode;
    private final long t0L;
    private final long mL;
    private final DD t0dd;
    private final double t0d;
    private final double logM;
    private final double peerLogM;
    private final double invLog2M;
    private final boolean float64Log;
    /** m^j for every j whose power fits in a long (whole multipliers only); beyond it the power overflows. */
    private final long[] powers;
    /** S_j and T_j from the origin (whole T_0 and m) for every j whose S_j fits in a long. */
    private final long[] startsL;
    private final long[] lengthsL;
    /** m^j in double-double for the cycles that start below 2^63 (at most 4096 entries; beyond: binary powering). */
    private final DD[] powersDD;
    /** T_0 / (m - 1) in double-double (null when m = 1): S_j = that * (m^j - 1). */
    private final DD t0OverMm1;
    /** S_j in double-double for j < powersDD.length (m > 1, fractional geometry, origin only). */
    private final DD[] startsDD;
    /** startsDD split into primitive arrays for the allocation-free path. */
    private final double[] startHi;
    private final double[] startLo;

    Cycles(Rational period, double m, boolean float64Log) {
        Rational t0 = period;
        this.m = m;
        this.mExact = Rational.of(m);
        this.float64Log = float64Log && m != 1.0;
        t0 = t0.reduced();
        boolean whole = t0.isInteger() && t0.num().bitLength() < 62 && m == Math.rint(m) && m < (1L << 31);
        this.intMode = whole;
        this.t0L = whole ? t0.num().longValueExact() : 0;
        this.mL = whole ? (long) m : 0;
        this.t0dd = DD.of(t0.toDoubleDouble());
        this.t0d = t0dd.hi();
        this.t0 = t0;
        this.logM = Math.log(m);
        this.peerLogM = DD.log(m);
        this.invLog2M = m == 1.0 ? 0 : Math.log(2) / Math.log(m);
        this.powers = whole ? powerTable(mL) : new long[] {1};
        if (whole) {
            int n = mL == 1 ? 0 : powers.length;
            long[] st = new long[n + 1];
            long[] ln = new long[n + 1];
            int used = 0;
            for (int j = 0; j <= n && mL != 1; j++) {
                long sj = startInt(t0L, j);
                if (sj == Long.MAX_VALUE) {
                    break;
                }
                st[j] = sj;
                ln[j] = saturatingMul(t0L, powSat(mL, j));
                used = j + 1;
            }
            this.startsL = java.util.Arrays.copyOf(st, used);
            this.lengthsL = java.util.Arrays.copyOf(ln, used);
        } else {
            this.startsL = new long[0];
            this.lengthsL = new long[0];
        }
        this.powersDD = whole ? new DD[0] : powerTableDD(m, t0d);
        this.t0OverMm1 = m == 1.0 ? null : t0dd.div(DD.of(m - 1));
        if (m == 1.0 || whole) {
            this.startsDD = new DD[0];
        } else {
            this.startsDD = new DD[powersDD.length];
            for (int j = 0; j < powersDD.length; j++) {
                startsDD[j] = t0OverMm1.mul(powersDD[j].sub(DD.ONE));
            }
        }
        this.startHi = new double[startsDD.length];
        this.startLo = new double[startsDD.length];
        for (int j = 0; j < startsDD.length; j++) {
            startHi[j] = startsDD[j].hi();
            startLo[j] = startsDD[j].lo();
        }
    }

    // ------------------------------------------------------------------ allocation-free path for real geometry

    /**
     * Cycle index of time k from the origin for fractional periods / real multipliers, or -1 when this fast path
     * does not apply (then use {@link #locate}). Same decisions as {@link #locate}: estimate, then exact correction.
     */
    long indexReal(long k) {
        if (intMode) {
            return -1;
        }
        long j;
        if (m == 1.0) {
            j = (long) Math.floor((double) k / t0d);
            for (int guard = 0; guard < 4; guard++) {
                if (j > 0 && elapsedSign(k, j) < 0) {
                    j--;
                    continue;
                }
                if (remainingSign(k, j) <= 0) {
                    j++;
                    continue;
                }
                return j;
            }
            return -1;
        }
        j = estimate(k, t0d);
        if (float64Log) {
            j = Math.max(0, j);
            return j + 1 < startHi.length ? j : -1;
        }
        for (int guard = 0; guard < 4; guard++) {
            if (j + 1 >= startHi.length) {
                return -1;
            }
            if (j > 0 && elapsedSign(k, j) < 0) {
                j--;
                continue;
            }
            if (remainingSign(k, j) <= 0) {
                j++;
                continue;
            }
            return j;
        }
        return -1;
    }

    private static double tolerance(long k, long j) {
        return 1e-24 * ((double) k + 1) * (j + 2);
    }

    /** Sign of t - S_j: from the double-double value, or exactly (rationals) when it is within rounding of 0. */
    private int elapsedSign(long k, long j) {
        double r = elapsedReal(k, j);
        if (Math.abs(r) > tolerance(k, j)) {
            return r < 0 ? -1 : 1;
        }
        return Rational.of(k).compareTo(exactStart(0, j));
    }

    /** Sign of S_(j+1) - t, exact near 0 likewise. */
    private int remainingSign(long k, long j) {
        double b = remainingReal(k, j);
        if (Math.abs(b) > tolerance(k, j + 1)) {
            return b < 0 ? -1 : 1;
        }
        return exactStart(0, j + 1).compareTo(Rational.of(k));
    }

    /** t - S_j to full relative precision (S_j as a double-double, subtraction without allocation). */
    double elapsedReal(long k, long j) {
        if (m == 1.0) {
            double jd = (double) j;
            double p = jd * t0dd.hi();
            double e = Math.fma(jd, t0dd.hi(), -p) + jd * t0dd.lo();
            return ((double) k - p) - e;
        }
        return ((double) k - startHi[(int) j]) - startLo[(int) j];
    }

    /** S_(j+1) - t to full relative precision. */
    double remainingReal(long k, long j) {
        if (m == 1.0) {
            // (j + 1) T_0 - k with an error-free product, so b keeps its precision one step before a boundary
            double jd = (double) (j + 1);
            double p = jd * t0dd.hi();
            double e = Math.fma(jd, t0dd.hi(), -p) + jd * t0dd.lo();
            return (p - (double) k) + e;
        }
        return (startHi[(int) j + 1] - (double) k) + startLo[(int) j + 1];
    }

    private static DD[] powerTableDD(double m, double t0) {
        if (m == 1.0) {
            return new DD[] {DD.ONE};
        }
        java.util.List<DD> t = new java.util.ArrayList<>();
        DD p = DD.ONE;
        DD mm = DD.of(m);
        while (t.size() < 4096 && t0 * p.hi() < 0x1p64) {
            t.add(p);
            p = p.mul(mm);
        }
        t.add(p);
        return t.toArray(new DD[0]);
    }

    private DD powDD(long j) {
        return j < powersDD.length ? powersDD[(int) j] : DD.pow(DD.of(m), j);
    }

    private static long[] powerTable(long m) {
        if (m == 1) {
            return new long[] {1};
        }
        long[] t = new long[64];
        int n = 0;
        long p = 1;
        while (true) {
            t[n++] = p;
            if (p > Long.MAX_VALUE / m) {
                break;
            }
            p *= m;
        }
        return java.util.Arrays.copyOf(t, n);
    }

    /** Whether boundaries are computed with exact long arithmetic. */
    boolean intMode() {
        return intMode;
    }

    /** Locates time k (steps since the start of cycle c0) in cycle c0 + j. */
    Loc locate(long k, long c0) {
        if (intMode) {
            long base = scaledPeriodLong(c0);
            if (base > 0) {
                return locateInt(k, base);
            }
        }
        return locateDD(k, c0);
    }

    // ------------------------------------------------------------------ whole periods: exact long arithmetic

    /** T_0 m^c0, or -1 on overflow. */
    private long scaledPeriodLong(long c0) {
        long p = powSat(mL, c0);
        if (p < 0) {
            return -1;
        }
        try {
            return Math.multiplyExact(t0L, p);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** m^e from the table, or -1 on overflow. */
    private long powSat(long base, long e) {
        if (base == 1 || e == 0) {
            return 1;
        }
        return e < powers.length ? powers[(int) e] : -1;
    }

    /** S_j = T (m^j - 1) / (m - 1), or Long.MAX_VALUE when it exceeds the long range (then it is past any step). */
    private long startInt(long t, long j) {
        if (mL == 1) {
            try {
                return Math.multiplyExact(t, j);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        long p = powSat(mL, j);
        if (p < 0) {
            return Long.MAX_VALUE;
        }
        // (m^j - 1) / (m - 1) = 1 + m + ... + m^(j-1), an exact integer
        long q = (p - 1) / (mL - 1);
        try {
            return Math.multiplyExact(t, q);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Whether {@link #indexInt} / {@link #startInt(long)} / {@link #lengthInt} apply (whole T_0 and m, no restart). */
    boolean fastInt() {
        return intMode;
    }

    /** Cycle index of time k from the origin (whole T_0 and m); allocation-free hot path of {@link #locate}. */
    long indexInt(long k) {
        return indexInt(k, t0L);
    }

    /** S_j from the origin (whole T_0 and m), saturating at Long.MAX_VALUE. */
    long startInt(long j) {
        if (mL == 1) {
            return startInt(t0L, j);
        }
        return j < startsL.length ? startsL[(int) j] : Long.MAX_VALUE;
    }

    /** T_j (whole T_0 and m), saturating at Long.MAX_VALUE. */
    long lengthInt(long j) {
        if (mL == 1) {
            return t0L;
        }
        return j < lengthsL.length ? lengthsL[(int) j] : saturatingMul(t0L, powSat(mL, j));
    }

    private long indexInt(long k, long t) {
        if (t == t0L && mL != 1 && !float64Log) {
            // origin geometry: table lookups, no division
            double x = (double) k / t * (mL - 1) + 1;
            long j = (long) (Math.getExponent(x) * invLog2M);
            while (j > 0 && startInt(j) > k) {
                j--;
            }
            while (startInt(j + 1) <= k) {
                j++;
            }
            return j;
        }
        if (mL == 1) {
            return k / t;
        }
        if (float64Log) {
            return Math.max(0, estimate(k, (double) t));
        }
        // cheap lower estimate: floor(log2 x) / log2 m undershoots the true index by at most 1 / log2 m + 1 <= 2
        double x = (double) k / t * (mL - 1) + 1;
        long j = (long) (Math.getExponent(x) * invLog2M);
        // exact correction: at most a step or two away from the estimate
        while (j > 0 && startInt(t, j) > k) {
            j--;
        }
        while (startInt(t, j + 1) <= k) {
            j++;
        }
        return j;
    }

    private Loc locateInt(long k, long t) {
        long j;
        if (mL == 1) {
            j = k / t;
        } else {
            j = estimate(k, (double) t);
            if (float64Log) {
                return fromStartInt(k, t, Math.max(0, j));
            }
            // exact correction: at most a step or two away from the estimate
            while (j > 0 && startInt(t, j) > k) {
                j--;
            }
            while (startInt(t, j + 1) <= k) {
                j++;
            }
        }
        return fromStartInt(k, t, j);
    }

    private Loc fromStartInt(long k, long t, long j) {
        long s = startInt(t, j);
        long len = mL == 1 ? t : saturatingMul(t, powSat(mL, j));
        long r = k - s;
        long b = len == Long.MAX_VALUE ? Long.MAX_VALUE : len - r;
        return new Loc(j, DD.of(r), DD.of(b), r, b);
    }

    private static long saturatingMul(long a, long b) {
        if (b < 0) {
            return Long.MAX_VALUE;
        }
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The cycle-index estimate (also the exact peer expression in float64Log mode). */
    private long estimate(long k, double t) {
        double x = (double) k / t * (m - 1) + 1;
        // Float64Log: Python's math.log(x, m) = log(x) / log(m) with correctly rounded logs, bit for bit;
        // Exact: any good log will do, the estimate is corrected exactly afterwards
        double j = float64Log ? Math.floor(DD.log(x) / peerLogM) : Math.floor(Math.log(x) / logM);
        return j < 0 ? 0 : (long) j;
    }

    // ------------------------------------------------------------------ fractional periods / real multipliers

    private Loc locateDD(long k, long c0) {
        DD t = c0 == 0 ? t0dd : t0dd.mul(powDD(c0));
        DD q = m == 1.0 ? null : c0 == 0 ? t0OverMm1 : t.div(DD.of(m - 1));
        DD kd = DD.of(k);
        long j;
        if (m == 1.0) {
            j = (long) Math.floor((double) k / t.hi());
        } else {
            j = estimate(k, t.hi());
            if (float64Log) {
                j = Math.max(0, j);
                DD mj = powDD(j);
                DD r = kd.sub(q.mul(mj.sub(DD.ONE)));
                return loc(j, r, t.mul(mj).sub(r));
            }
        }
        boolean table = c0 == 0 && m != 1.0;
        for (int guard = 0; guard < 64; guard++) {
            DD s;
            DD b;
            if (table && j + 1 < startsDD.length) {
                s = startsDD[(int) j];
                b = startsDD[(int) j + 1].sub(kd);
            } else {
                DD mj = m == 1.0 ? DD.ONE : powDD(j);
                s = m == 1.0 ? t.mul((double) j) : q.mul(mj.sub(DD.ONE));
                b = t.mul(mj).sub(kd.sub(s));
            }
            DD r = kd.sub(s);
            if (j > 0 && sign(r, k, c0, j, s) < 0) {
                j--;
                continue;
            }
            if (signB(b, k, c0, j) <= 0) {
                j++;
                continue;
            }
            return loc(j, r, b);
        }
        throw new IllegalStateException("cycle index did not converge at step offset " + k);
    }

    private static Loc loc(long j, DD r, DD b) {
        long floorR = (long) Math.floor(r.hi());
        if (floorR == r.hi() && r.lo() < 0) {
            floorR--;
        }
        long ceilB = (long) Math.ceil(b.hi());
        if (ceilB == b.hi() && b.lo() > 0) {
            ceilB++;
        }
        return new Loc(j, r, b, floorR, ceilB);
    }



    /** Sign of r = k - S_j; exact (rational) when r is within double-double rounding of zero. */
    private int sign(DD r, long k, long c0, long j, DD s) {
        double tol = 1e-24 * (Math.abs(s.hi()) + k + 1) * (j + 1);
        if (Math.abs(r.hi()) > tol) {
            return r.signum();
        }
        return Rational.of(k).compareTo(exactStart(c0, j));
    }

    /** Sign of b = S_(j+1) - k; exact when within rounding of zero. */
    private int signB(DD b, long k, long c0, long j) {
        double tol = 1e-24 * (Math.abs((double) k) + 1) * (j + 2);
        if (Math.abs(b.hi()) > tol) {
            return b.signum();
        }
        return exactStart(c0, j + 1).compareTo(Rational.of(k));
    }

    /** Exact S_j - S_c0 measured from the start of cycle c0: T_0 m^c0 (m^j - 1) / (m - 1). */
    Rational exactStart(long c0, long j) {
        if (m == 1.0) {
            return t0.multiply(Rational.of(j));
        }
        Rational mc = powExact(c0);
        Rational mj = powExact(j);
        return t0.multiply(mc).multiply(mj.subtract(Rational.of(1))).divide(mExact.subtract(Rational.of(1)));
    }

    private Rational powExact(long e) {
        if (e == 0) {
            return Rational.of(1);
        }
        if (e > Integer.MAX_VALUE) {
            throw new ArithmeticException("exponent too large");
        }
        return new Rational(mExact.num().pow((int) e), mExact.den().pow((int) e));
    }

    /** First whole step of cycle j (absolute from the cycle origin), exactly: ceil(S_j). */
    long firstStep(long j) {
        double estimate = m == 1.0 ? t0d * j : t0d * (Math.pow(m, j) - 1) / (m - 1);
        if (!(estimate < 0x1p62)) {
            // beyond any reachable step; skip the exact (and for large j, huge) rational power
            return Long.MAX_VALUE;
        }
        BigInteger c = exactStart(0, j).ceil();
        return c.bitLength() < 63 ? c.longValue() : Long.MAX_VALUE;
    }

    double periodDouble() {
        return t0d;
    }
}
