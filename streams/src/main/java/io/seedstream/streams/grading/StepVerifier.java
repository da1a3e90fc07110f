package io.seedstream.streams.grading;

import io.seedstream.schemas.Rational;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the arithmetic an answer shows: every {@code a op b = c} step (whole numbers, fractions
 * {@code p/q} and decimals; op one of + - * /) is recomputed exactly. A right final answer whose
 * steps are wrong is a lucky guess, which step-verified accuracy does not count.
 */
public final class StepVerifier {

    /** What an answer's steps were. */
    public record Check(int steps, int falseSteps) {
        /** No step of the answer is false (an answer without steps has none). */
        public boolean allTrue() {
            return falseSteps == 0;
        }
    }

    private static final String NUMBER = "-?\\d{1,12}(?:\\.\\d{1,12})?(?:/\\d{1,12})?";
    // the left operand must not continue a longer expression ("1+2+3=6" has no step we can check alone)
    private static final Pattern STEP = Pattern.compile(
            "(?<![\\d./*+=-])(" + NUMBER + ")\\s*([-+*/])\\s*(" + NUMBER + ")\\s*=\\s*(" + NUMBER + ")(?![\\d/])");

    private StepVerifier() {}

    public static Check check(String text) {
        int steps = 0;
        int wrong = 0;
        Matcher m = STEP.matcher(text);
        while (m.find()) {
            Rational a = number(m.group(1));
            Rational b = number(m.group(3));
            Rational c = number(m.group(4));
            steps++;
            Rational value;
            try {
                if (a == null || b == null || c == null) {
                    throw new ArithmeticException("a zero denominator");
                }
                value = switch (m.group(2).charAt(0)) {
                    case '+' -> a.add(b);
                    case '-' -> a.subtract(b);
                    case '*' -> a.multiply(b);
                    default -> a.divide(b);
                };
            } catch (ArithmeticException e) {
                value = null; // a division by zero is a false step
            }
            if (value == null || value.compareTo(c) != 0) {
                wrong++;
            }
        }
        return new Check(steps, wrong);
    }

    /** The number a literal writes, null for a zero denominator. */
    private static Rational number(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            return Rational.parseDecimal(s);
        }
        BigInteger den = new BigInteger(s.substring(slash + 1));
        return den.signum() == 0 ? null : Rational.parseDecimal(s.substring(0, slash)).divide(Rational.of(den, BigInteger.ONE));
    }
}
