package dev.annealer.schedule;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Objects;

/**
 * An exact rational number num/den (den &gt; 0), used for periods so that cycle boundaries stay exact. Values built
 * by {@link #of} and the arithmetic are reduced lazily: {@link #toString()} and {@link #equals} reduce, comparisons
 * cross-multiply, so hot exact checks never pay for a gcd of large numbers.
 */
final class Rational implements Comparable<Rational> {

    private final BigInteger num;
    private final BigInteger den;

    Rational(BigInteger num, BigInteger den) {
        if (den.signum() == 0) {
            throw new IllegalArgumentException("denominator must not be 0");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        this.num = num;
        this.den = den;
    }

    static Rational of(long v) {
        return new Rational(BigInteger.valueOf(v), BigInteger.ONE);
    }

    /** The exact value of a finite double (every double is a dyadic rational). */
    static Rational of(double v) {
        return of(new BigDecimal(v)).reduced();
    }

    static Rational of(BigDecimal d) {
        if (d.scale() <= 0) {
            return new Rational(d.toBigIntegerExact(), BigInteger.ONE);
        }
        return new Rational(d.unscaledValue(), BigInteger.TEN.pow(d.scale())).reduced();
    }

    BigInteger num() {
        return num;
    }

    BigInteger den() {
        return den;
    }

    /** The same value in lowest terms. */
    Rational reduced() {
        BigInteger g = num.gcd(den);
        if (g.signum() == 0 || g.equals(BigInteger.ONE)) {
            return num.signum() == 0 && !den.equals(BigInteger.ONE) ? new Rational(BigInteger.ZERO, BigInteger.ONE) : this;
        }
        return new Rational(num.divide(g), den.divide(g));
    }

    Rational multiply(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    Rational divide(Rational o) {
        return new Rational(num.multiply(o.den), den.multiply(o.num));
    }

    Rational subtract(Rational o) {
        if (den.equals(o.den)) {
            return new Rational(num.subtract(o.num), den);
        }
        return new Rational(num.multiply(o.den).subtract(o.num.multiply(den)), den.multiply(o.den));
    }

    Rational add(Rational o) {
        if (den.equals(o.den)) {
            return new Rational(num.add(o.num), den);
        }
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    boolean isInteger() {
        return num.mod(den).signum() == 0;
    }

    int signum() {
        return num.signum();
    }

    /** floor(this). */
    BigInteger floor() {
        BigInteger[] qr = num.divideAndRemainder(den);
        return qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
    }

    /** ceil(this). */
    BigInteger ceil() {
        BigInteger[] qr = num.divideAndRemainder(den);
        return qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0];
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

    @Override
    public boolean equals(Object o) {
        return o instanceof Rational r && compareTo(r) == 0;
    }

    @Override
    public int hashCode() {
        Rational r = reduced();
        return Objects.hash(r.num, r.den);
    }

    /** Canonical text in lowest terms: "num/den". */
    @Override
    public String toString() {
        Rational r = reduced();
        return r.num + "/" + r.den;
    }
}
