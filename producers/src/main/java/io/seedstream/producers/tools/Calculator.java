package io.seedstream.producers.tools;

import io.seedstream.schemas.Rational;
import java.math.BigInteger;
import java.time.Duration;

/**
 * The built-in exact calculator: + - * / ^ and parentheses over integers and decimals, in
 * rationals ({@code 7/3}, not 2.3333). A call is bounded in length, nesting and the size of every
 * intermediate value, so whatever the model writes it answers fast; a malformed or over-limit call
 * is answered with an error text the model sees, never an exception.
 */
public final class Calculator implements Tool {

    public static final String NAME = "calculator";
    /** Longest expression it evaluates, in characters. */
    static final int MAX_LENGTH = 200;
    /** Deepest nesting of parentheses, signs and powers. */
    static final int MAX_DEPTH = 32;
    /** Largest numerator or denominator of any value on the way, in bits (about 150 decimal digits). */
    static final int MAX_BITS = 512;
    /** Largest absolute integer exponent. */
    static final int MAX_EXPONENT = 64;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ToolReply call(String arguments, Duration timeout) {
        try {
            return ToolReply.ok(format(evaluate(arguments)));
        } catch (CalcException e) {
            return ToolReply.error(e.getMessage());
        } catch (ArithmeticException e) {
            return ToolReply.error(e.getMessage() == null ? "arithmetic error" : e.getMessage());
        }
    }

    /** The value of an expression, or a CalcException saying what is wrong with it. */
    static Rational evaluate(String expression) {
        String s = expression.strip();
        if (s.isEmpty()) {
            throw new CalcException("empty expression");
        }
        if (s.length() > MAX_LENGTH) {
            throw new CalcException("expression longer than " + MAX_LENGTH + " characters");
        }
        Parser p = new Parser(s);
        Rational v = p.expression(0);
        p.skipSpaces();
        if (p.at < s.length()) {
            throw new CalcException("unexpected '" + s.charAt(p.at) + "' at position " + (p.at + 1));
        }
        return v;
    }

    /** An integer as digits, anything else as numerator/denominator in lowest terms. */
    static String format(Rational r) {
        return r.toString();
    }

    static final class CalcException extends RuntimeException {
        CalcException(String message) {
            super(message, null, false, false);
        }
    }

    /** Recursive descent: expression = term {(+|-) term}; term = unary {(*|/) unary}; unary = [+|-] power. */
    private static final class Parser {
        private final String s;
        private int at;

        Parser(String s) {
            this.s = s;
        }

        Rational expression(int depth) {
            Rational v = term(depth);
            while (true) {
                char c = peek();
                if (c == '+' || c == '-') {
                    at++;
                    Rational rhs = term(depth);
                    v = bounded(c == '+' ? v.add(rhs) : v.subtract(rhs));
                } else {
                    return v;
                }
            }
        }

        private Rational term(int depth) {
            Rational v = unary(depth);
            while (true) {
                char c = peek();
                if (c == '*' || c == '×' || c == '/' || c == '÷') {
                    at++;
                    Rational rhs = unary(depth);
                    if ((c == '/' || c == '÷') && rhs.signum() == 0) {
                        throw new CalcException("division by zero");
                    }
                    v = bounded(c == '*' || c == '×' ? v.multiply(rhs) : v.divide(rhs));
                } else {
                    return v;
                }
            }
        }

        private Rational unary(int depth) {
            deeper(depth);
            char c = peek();
            if (c == '-' || c == '+') {
                at++;
                Rational v = unary(depth + 1);
                return c == '-' ? v.negate() : v;
            }
            return power(depth);
        }

        private Rational power(int depth) {
            Rational base = atom(depth);
            if (peek() != '^') {
                return base;
            }
            at++;
            Rational exponent = unary(depth + 1); // right-associative: 2^3^2 = 2^9
            if (!exponent.isInteger() || exponent.num().abs().compareTo(BigInteger.valueOf(MAX_EXPONENT)) > 0) {
                throw new CalcException("exponent " + exponent + " is not an integer within +-" + MAX_EXPONENT);
            }
            int e = exponent.num().intValueExact();
            if (base.signum() == 0 && e < 0) {
                throw new CalcException("division by zero");
            }
            long bits = (long) Math.max(base.num().bitLength(), base.den().bitLength()) * Math.abs(e);
            if (bits > MAX_BITS) {
                throw new CalcException("number too large");
            }
            return bounded(base.pow(e));
        }

        private Rational atom(int depth) {
            char c = peek();
            if (c == '(') {
                at++;
                Rational v = expression(depth + 1);
                if (peek() != ')') {
                    throw new CalcException(at >= s.length() ? "missing ')'" : "expected ')' at position " + (at + 1));
                }
                at++;
                return v;
            }
            int start = at;
            while (at < s.length() && (Character.isDigit(s.charAt(at)) || s.charAt(at) == '.' || s.charAt(at) == ',')) {
                at++;
            }
            if (start == at) {
                throw new CalcException(at >= s.length() ? "expression ends too early"
                        : "unexpected '" + s.charAt(at) + "' at position " + (at + 1));
            }
            String number = s.substring(start, at).replace(",", "");
            if (number.chars().filter(ch -> ch == '.').count() > 1 || number.startsWith(".") || number.endsWith(".")) {
                throw new CalcException("malformed number '" + s.substring(start, at) + "'");
            }
            try {
                return bounded(Rational.parseDecimal(number));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new CalcException("malformed number '" + s.substring(start, at) + "'");
            }
        }

        private void deeper(int depth) {
            if (depth > MAX_DEPTH) {
                throw new CalcException("nested deeper than " + MAX_DEPTH);
            }
        }

        private char peek() {
            skipSpaces();
            return at < s.length() ? s.charAt(at) : '\0';
        }

        void skipSpaces() {
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
                at++;
            }
        }

        private static Rational bounded(Rational r) {
            if (r.num().bitLength() > MAX_BITS || r.den().bitLength() > MAX_BITS) {
                throw new CalcException("number too large");
            }
            return r;
        }
    }
}
