package dev.annealer.schedule;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/** An exact, reduced, non-negative rational number num/den; used for periods so that boundaries stay exact. */
record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {

    static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);

    Rational {
        if (den.signum() <= 0) {
            throw new IllegalArgumentException("denominator must be > 0");
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.signum() == 0) {
            den = BigInteger.ONE;
        }
    }

    static Rational of(long v) {
        return new Rational(BigInteger.valueOf(v), BigInteger.ONE);
    }

    /** The exact value of a finite double (every double is a dyadic rational). */
    static Rational of(double v) {
        return of(new BigDecimal(v));
    }

    static Rational of(BigDecimal d) {
        if (d.scale() <= 0) {
            return new Rational(d.toBigIntegerExact(), BigInteger.ONE);
        }
        return new Rational(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
    }

    Rational multiply(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    Rational divide(Rational o) {
        BigInteger n = num.multiply(o.den);
        BigInteger d = den.multiply(o.num);
        if (d.signum() < 0) {
            n = n.negate();
            d = d.negate();
        }
        return new Rational(n, d);
    }

    Rational subtract(Rational o) {
        return new Rational(num.multiply(o.den).subtract(o.num.multiply(den)), den.multiply(o.den));
    }

    Rational add(Rational o) {
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    int signum() {
        return num.signum();
    }

    /** Nearest double. */
    double doubleValue() {
        return new BigDecimal(num).divide(new BigDecimal(den), MathContext.DECIMAL128).doubleValue();
    }

    /** Double-double approximation: {hi, lo} with hi + lo equal to this value to about 1e-32 relative. */
    double[] toDoubleDouble() {
        MathContext mc = new MathContext(60);
        BigDecimal exact = new BigDecimal(num).divide(new BigDecimal(den), mc);
        double hi = exact.doubleValue();
        double lo = exact.subtract(new BigDecimal(hi)).doubleValue();
        return new double[] {hi, lo};
    }

    @Override
    public int compareTo(Rational o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }

    /** Canonical text: "num/den". */
    @Override
    public String toString() {
        return num + "/" + den;
    }
}
