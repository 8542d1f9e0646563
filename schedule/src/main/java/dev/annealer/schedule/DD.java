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

    int signum() {
        return hi > 0 ? 1 : hi < 0 ? -1 : (lo > 0 ? 1 : lo < 0 ? -1 : 0);
    }

    /** The nearest double. */
    double value() {
        return hi + lo;
    }
}
