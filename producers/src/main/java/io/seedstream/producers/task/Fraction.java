package io.seedstream.producers.task;

/**
 * An exact rational with small terms, always reduced, denominator positive: the arithmetic of
 * the built-in task (the grader's own {@code Rational} lives in streams and is not needed here).
 */
public record Fraction(long num, long den) {

    public Fraction {
        if (den == 0) {
            throw new ArithmeticException("zero denominator");
        }
        if (den < 0) {
            num = -num;
            den = -den;
        }
        long g = gcd(Math.abs(num), den);
        if (g > 1) {
            num /= g;
            den /= g;
        }
    }

    public static Fraction of(long n) {
        return new Fraction(n, 1);
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a == 0 ? 1 : a;
    }

    public Fraction plus(Fraction o) {
        return new Fraction(Math.addExact(Math.multiplyExact(num, o.den), Math.multiplyExact(o.num, den)),
                Math.multiplyExact(den, o.den));
    }

    public Fraction minus(Fraction o) {
        return plus(new Fraction(-o.num, o.den));
    }

    public Fraction times(Fraction o) {
        return new Fraction(Math.multiplyExact(num, o.num), Math.multiplyExact(den, o.den));
    }

    public Fraction dividedBy(Fraction o) {
        return new Fraction(Math.multiplyExact(num, o.den), Math.multiplyExact(den, o.num));
    }

    public boolean isInteger() {
        return den == 1;
    }

    /** Whether the decimal expansion ends (the denominator has no prime factor but 2 and 5). */
    public boolean hasFiniteDecimal() {
        long d = den;
        while (d % 2 == 0) {
            d /= 2;
        }
        while (d % 5 == 0) {
            d /= 5;
        }
        return d == 1;
    }

    /** "12", "-3/4". */
    public String plain() {
        return isInteger() ? Long.toString(num) : num + "/" + den;
    }

    /** "\frac{3}{4}", "-\frac{3}{4}", "12". */
    public String latex() {
        if (isInteger()) {
            return Long.toString(num);
        }
        return (num < 0 ? "-" : "") + "\\frac{" + Math.abs(num) + "}{" + den + "}";
    }

    /** The exact decimal, e.g. "0.75"; only for {@link #hasFiniteDecimal()}. */
    public String decimal() {
        return new java.math.BigDecimal(num).divide(new java.math.BigDecimal(den)).stripTrailingZeros().toPlainString();
    }
}
