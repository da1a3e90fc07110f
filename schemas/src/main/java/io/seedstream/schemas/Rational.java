package io.seedstream.schemas;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * An exact rational number, always in lowest terms with a positive denominator: the grader's
 * arithmetic and the calculator tool's. Results beyond {@link #MAX_BITS} bits throw, so no input
 * can make one grow without bound.
 */
public record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {

    public static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
    public static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);
    /** Bound on the size of exact results; larger ones are left to floating point. */
    public static final int MAX_BITS = 20_000;

    public static Rational of(BigInteger num, BigInteger den) {
        if (den.signum() == 0) {
            throw new ArithmeticException("division by zero");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.bitLength() > MAX_BITS || den.bitLength() > MAX_BITS) {
            throw new ArithmeticException("exact value too large");
        }
        return new Rational(num, den);
    }

    public static Rational of(long n) {
        return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
    }

    /** Parses a plain decimal ("12", "-0.75", "1.5e-7") exactly. */
    public static Rational parseDecimal(String s) {
        BigDecimal d = new BigDecimal(s);
        if (Math.abs((long) d.scale()) > 5000) {
            throw new ArithmeticException("exponent too large");
        }
        if (d.scale() <= 0) {
            return of(d.toBigIntegerExact(), BigInteger.ONE);
        }
        return of(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
    }

    public Rational add(Rational o) {
        return of(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    public Rational subtract(Rational o) {
        return add(o.negate());
    }

    public Rational multiply(Rational o) {
        return of(num.multiply(o.num), den.multiply(o.den));
    }

    public Rational divide(Rational o) {
        return of(num.multiply(o.den), den.multiply(o.num));
    }

    public Rational negate() {
        return new Rational(num.negate(), den);
    }

    /** this^e for an integer e, refusing results beyond {@link #MAX_BITS}. */
    public Rational pow(int e) {
        if ((long) Math.max(num.bitLength(), den.bitLength()) * Math.abs((long) e) > MAX_BITS) {
            throw new ArithmeticException("power too large");
        }
        Rational r = of(num.pow(Math.abs(e)), den.pow(Math.abs(e)));
        return e >= 0 ? r : ONE.divide(r);
    }

    public boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    public int signum() {
        return num.signum();
    }

    public double toDouble() {
        if (num.bitLength() < 1000 && den.bitLength() < 1000) {
            return new BigDecimal(num).divide(new BigDecimal(den), MathContext.DECIMAL64).doubleValue();
        }
        return new BigDecimal(num).divide(new BigDecimal(den), MathContext.DECIMAL64).doubleValue();
    }

    public BigDecimal toBigDecimal(MathContext mc) {
        return new BigDecimal(num).divide(new BigDecimal(den), mc);
    }

    @Override
    public int compareTo(Rational o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }

    @Override
    public String toString() {
        return isInteger() ? num.toString() : num + "/" + den;
    }
}
