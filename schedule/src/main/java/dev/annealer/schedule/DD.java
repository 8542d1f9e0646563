package dev.annealer.schedule;

/**
 * Double-double arithmetic (about 106 significant bits), using the error-free transformations of Dekker and Knuth
 * with {@link Math#fma} (exactly rounded, so results are identical on every JVM). Used where a cycle start near
 * step 10^12 must be subtracted from the step without losing the position inside the cycle.
 */
record DD(double hi, double lo) {

    static final DD ZERO = new DD(0, 0);
    static final DD ONE = new DD(1, 0);

    static DD of(double v) {
        return new DD(v, 0);
    }

    static DD of(long v) {
        double hi = (double) v;
        long rest = v - (long) hi;
        return new DD(hi, (double) rest);
    }

    static DD of(double[] hiLo) {
        return quick(hiLo[0], hiLo[1]);
    }

    private static DD quick(double a, double b) {
        double s = a + b;
        double e = b - (s - a);
        return new DD(s, e);
    }

    DD add(DD y) {
        double s = hi + y.hi;
        double bb = s - hi;
        double e = (hi - (s - bb)) + (y.hi - bb);
        e += lo + y.lo;
        return quick(s, e);
    }

    DD negate() {
        return new DD(-hi, -lo);
    }

    DD sub(DD y) {
        return add(y.negate());
    }

    DD mul(DD y) {
        double p = hi * y.hi;
        double e = Math.fma(hi, y.hi, -p);
        e += hi * y.lo + lo * y.hi;
        return quick(p, e);
    }

    DD mul(double y) {
        double p = hi * y;
        double e = Math.fma(hi, y, -p);
        e += lo * y;
        return quick(p, e);
    }

    DD div(DD y) {
        double q1 = hi / y.hi;
        DD r = sub(y.mul(q1));
        double q2 = r.hi / y.hi;
        r = r.sub(y.mul(q2));
        double q3 = r.hi / y.hi;
        return quick(q1, q2).add(of(q3));
    }

    /** x^n for n >= 0 by binary exponentiation (relative error about log2(n) * 2^-104). */
    static DD pow(DD x, long n) {
        DD result = ONE;
        DD base = x;
        long e = n;
        while (e > 0) {
            if ((e & 1) != 0) {
                result = result.mul(base);
            }
            e >>= 1;
            if (e > 0) {
                base = base.mul(base);
            }
        }
        return result;
    }

    /** ln 2 as a double-double. */
    private static final DD LN2 = new DD(6.93147180559945286227e-01, 2.31904681384629955842e-17);

    /**
     * The correctly rounded natural logarithm of a finite x &gt; 0 (what glibc's {@code log}, hence Python's
     * {@code math.log}, returns), computed in double-double as {@code e ln2 + 2 atanh((f - 1) / (f + 1))} with
     * {@code x = f 2^e}, {@code f in [sqrt(1/2), sqrt(2))}. {@link StrictMath#log} may be one ulp off
     * ({@code StrictMath.log(3)} is 1.0986122886681096, the correctly rounded value 1.0986122886681098), which is
     * enough to move a peer's {@code floor(log(x) / log(m))} across an integer.
     */
    static double log(double x) {
        if (!(x > 0) || Double.isInfinite(x)) {
            return StrictMath.log(x);
        }
        int e = Math.getExponent(x);
        if (e == Double.MIN_EXPONENT - 1) {
            // subnormal: scale up first
            return log(x * 0x1p54) - 54 * LN2.hi - 54 * LN2.lo;
        }
        double f = Math.scalb(x, -e);
        if (f > 1.4142135623730951) {
            f /= 2;
            e++;
        }
        DD num = of(f).sub(ONE);
        DD den = of(f).add(ONE);
        DD s = num.div(den);
        DD s2 = s.mul(s);
        DD term = s;
        DD sum = s;
        for (int k = 3; k < 80; k += 2) {
            term = term.mul(s2);
            DD add = term.div(of(k));
            sum = sum.add(add);
            if (Math.abs(add.hi) < 1e-34 * Math.abs(sum.hi) || add.hi == 0) {
                break;
            }
        }
        DD result = LN2.mul((double) e).add(sum.mul(2.0));
        return result.hi + result.lo;
    }

    int signum() {
        return hi > 0 ? 1 : hi < 0 ? -1 : (lo > 0 ? 1 : lo < 0 ? -1 : 0);
    }

    /** The nearest double. */
    double value() {
        return hi + lo;
    }
}
