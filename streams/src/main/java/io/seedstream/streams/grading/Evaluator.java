package io.seedstream.streams.grading;

import io.seedstream.schemas.Rational;
import io.seedstream.streams.grading.Node.Add;
import io.seedstream.streams.grading.Node.Const;
import io.seedstream.streams.grading.Node.Div;
import io.seedstream.streams.grading.Node.Func;
import io.seedstream.streams.grading.Node.Mul;
import io.seedstream.streams.grading.Node.Neg;
import io.seedstream.streams.grading.Node.Num;
import io.seedstream.streams.grading.Node.Percent;
import io.seedstream.streams.grading.Node.Pow;
import io.seedstream.streams.grading.Node.Sub;
import io.seedstream.streams.grading.Node.Sym;
import java.math.BigInteger;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Values of scalar expressions: exactly as rationals where the expression allows it (integers,
 * fractions, decimals, integer powers, perfect roots, small factorials), and numerically as
 * complex doubles otherwise, with free variables bound to given values. Every result is bounded
 * in size, so {@code 10^{100000}} or a tower of exponents costs microseconds, not minutes.
 */
final class Evaluator {

    private final Deadline deadline;

    Evaluator(Deadline deadline) {
        this.deadline = deadline;
    }

    /** The exact value, or null when the expression is not an exactly computable rational. */
    Rational exact(Node n) {
        deadline.check();
        try {
            if (n instanceof Num x) {
                return x.value();
            } else if (n instanceof Add x) {
                return both(exact(x.a()), exact(x.b()), Rational::add);
            } else if (n instanceof Sub x) {
                return both(exact(x.a()), exact(x.b()), Rational::subtract);
            } else if (n instanceof Mul x) {
                return both(exact(x.a()), exact(x.b()), Rational::multiply);
            } else if (n instanceof Div x) {
                return both(exact(x.a()), exact(x.b()), Rational::divide);
            } else if (n instanceof Neg x) {
                Rational a = exact(x.a());
                return a == null ? null : a.negate();
            } else if (n instanceof Pow x) {
                return power(exact(x.base()), exact(x.exponent()));
            } else if (n instanceof Func f) {
                return exactFunction(f);
            }
            return null;
        } catch (ArithmeticException e) {
            return null; // division by zero, too large: leave it to the numeric path
        }
    }

    private interface Op {
        Rational apply(Rational a, Rational b);
    }

    private static Rational both(Rational a, Rational b, Op op) {
        return a == null || b == null ? null : op.apply(a, b);
    }

    private static Rational power(Rational base, Rational exp) {
        if (base == null || exp == null) {
            return null;
        }
        if (exp.isInteger() && exp.num().bitLength() < 31) {
            return base.pow(exp.num().intValue());
        }
        // rational exponent p/q: exact when base is a perfect q-th power
        if (exp.den().bitLength() < 8 && exp.num().bitLength() < 16 && base.signum() >= 0) {
            Rational root = root(base, exp.den().intValue());
            return root == null ? null : root.pow(exp.num().intValue());
        }
        return null;
    }

    private static Rational root(Rational x, int q) {
        BigInteger n = integerRoot(x.num(), q);
        BigInteger d = integerRoot(x.den(), q);
        return n == null || d == null ? null : Rational.of(n, d);
    }

    private static BigInteger integerRoot(BigInteger v, int q) {
        if (v.signum() < 0 || q < 1 || v.bitLength() > 4000) {
            return null;
        }
        if (q == 2) {
            BigInteger r = v.sqrt();
            return r.multiply(r).equals(v) ? r : null;
        }
        double guess = Math.round(Math.pow(v.doubleValue(), 1.0 / q));
        if (!Double.isFinite(guess)) {
            return null;
        }
        BigInteger r = BigInteger.valueOf((long) guess);
        for (BigInteger c : new BigInteger[] {r, r.add(BigInteger.ONE), r.subtract(BigInteger.ONE)}) {
            if (c.signum() >= 0 && c.pow(q).equals(v)) {
                return c;
            }
        }
        return null;
    }

    private Rational exactFunction(Func f) {
        switch (f.name()) {
            case "sqrt" -> {
                Rational a = exact(f.args().get(0));
                return a == null ? null : root(a, 2);
            }
            case "root" -> {
                Rational q = exact(f.args().get(0));
                Rational a = exact(f.args().get(1));
                if (q == null || a == null || !q.isInteger() || q.num().bitLength() > 8) {
                    return null;
                }
                return root(a, q.num().intValue());
            }
            case "abs" -> {
                Rational a = exact(f.args().get(0));
                return a == null ? null : a.signum() < 0 ? a.negate() : a;
            }
            case "fact" -> {
                Rational a = exact(f.args().get(0));
                if (a == null || !a.isInteger() || a.signum() < 0 || a.num().bitLength() > 11) {
                    return null;
                }
                int m = a.num().intValue();
                if (m > 1000) {
                    return null;
                }
                BigInteger r = BigInteger.ONE;
                for (int i = 2; i <= m; i++) {
                    deadline.check();
                    r = r.multiply(BigInteger.valueOf(i));
                }
                return Rational.of(r, BigInteger.ONE);
            }
            case "binom" -> {
                Rational n = exact(f.args().get(0));
                Rational k = exact(f.args().get(1));
                if (n == null || k == null || !n.isInteger() || !k.isInteger() || n.num().bitLength() > 20
                        || k.num().bitLength() > 20) {
                    return null;
                }
                long nn = n.num().longValue();
                long kk = k.num().longValue();
                if (kk < 0 || kk > nn) {
                    return Rational.ZERO;
                }
                kk = Math.min(kk, nn - kk);
                if (kk > 2000) {
                    return null;
                }
                BigInteger r = BigInteger.ONE;
                for (long i = 1; i <= kk; i++) {
                    deadline.check();
                    r = r.multiply(BigInteger.valueOf(nn - kk + i)).divide(BigInteger.valueOf(i));
                }
                return Rational.of(r, BigInteger.ONE);
            }
            default -> { // ratio and the transcendental functions have no exact value
                return null;
            }
        }
    }

    /** The numeric value with variables bound (an unbound variable gives NaN). */
    Complex numeric(Node n, Map<String, Complex> vars) {
        deadline.check();
        if (n instanceof Num x) {
            return Complex.real(x.value().toDouble());
        } else if (n instanceof Sym s) {
            return vars.getOrDefault(s.name(), NAN);
        } else if (n instanceof Const c) {
            return switch (c.name()) {
                case "pi" -> Complex.real(Math.PI);
                case "e" -> Complex.real(Math.E);
                case "inf" -> Complex.real(Double.POSITIVE_INFINITY);
                default -> NAN;
            };
        } else if (n instanceof Add x) {
            return numeric(x.a(), vars).add(numeric(x.b(), vars));
        } else if (n instanceof Sub x) {
            return numeric(x.a(), vars).subtract(numeric(x.b(), vars));
        } else if (n instanceof Mul x) {
            return numeric(x.a(), vars).multiply(numeric(x.b(), vars));
        } else if (n instanceof Div x) {
            return numeric(x.a(), vars).divide(numeric(x.b(), vars));
        } else if (n instanceof Neg x) {
            return numeric(x.a(), vars).negate();
        } else if (n instanceof Pow x) {
            Complex b = numeric(x.base(), vars);
            Complex e = numeric(x.exponent(), vars);
            Rational q = exact(x.exponent());
            // real odd roots of negatives: (-8)^(1/3) = -2, as people mean it
            if (q != null && b.im() == 0 && b.re() < 0 && e.im() == 0 && q.den().testBit(0)) {
                double mag = Math.pow(-b.re(), e.re());
                return Complex.real(q.num().testBit(0) ? -mag : mag);
            }
            return b.pow(e);
        } else if (n instanceof Percent p) {
            return numeric(p.value(), vars).divide(Complex.real(100));
        } else if (n instanceof Func f) {
            return function(f, vars);
        }
        return NAN;
    }

    static final Complex NAN = new Complex(Double.NaN, Double.NaN);

    private Complex function(Func f, Map<String, Complex> vars) {
        Complex a = numeric(f.args().get(0), vars);
        return switch (f.name()) {
            case "sin" -> a.sin();
            case "cos" -> a.cos();
            case "tan" -> a.sin().divide(a.cos());
            case "sec" -> Complex.ONE.divide(a.cos());
            case "csc" -> Complex.ONE.divide(a.sin());
            case "cot" -> a.cos().divide(a.sin());
            case "arcsin", "asin" -> real(Math.asin(a.re()), a);
            case "arccos", "acos" -> real(Math.acos(a.re()), a);
            case "arctan", "atan" -> real(Math.atan(a.re()), a);
            case "sinh" -> real(Math.sinh(a.re()), a);
            case "cosh" -> real(Math.cosh(a.re()), a);
            case "tanh" -> real(Math.tanh(a.re()), a);
            case "ln" -> a.log();
            case "log" -> a.log().divide(Complex.real(Math.log(10)));
            case "logb" -> numeric(f.args().get(1), vars).log().divide(a.log());
            case "exp" -> a.exp();
            case "sqrt" -> a.sqrt();
            case "root" -> {
                Complex x = numeric(f.args().get(1), vars);
                if (x.im() == 0 && x.re() < 0 && a.im() == 0 && Math.rint(a.re()) == a.re() && ((long) a.re()) % 2 == 1) {
                    yield Complex.real(-Math.pow(-x.re(), 1.0 / a.re()));
                }
                yield x.pow(Complex.ONE.divide(a));
            }
            case "abs" -> Complex.real(a.abs());
            case "fact" -> a.isReal() && a.re() >= 0 && a.re() == Math.rint(a.re())
                    ? Complex.real(factorial(a.re())) : NAN;
            case "binom" -> {
                Rational r = exact(f);
                yield r == null ? NAN : Complex.real(r.toDouble());
            }
            default -> NAN;
        };
    }

    private static Complex real(double v, Complex arg) {
        return arg.isReal() ? Complex.real(v) : NAN;
    }

    private double factorial(double n) {
        if (n > 170) {
            return Double.POSITIVE_INFINITY;
        }
        double r = 1;
        for (int i = 2; i <= n; i++) {
            r *= i;
        }
        return r;
    }

    /** The free variables of an expression, sorted. */
    static Set<String> symbols(Node n) {
        Set<String> out = new TreeSet<>();
        collect(n, out);
        return out;
    }

    private static void collect(Node n, Set<String> out) {
        if (n instanceof Sym s) {
            out.add(s.name());
        } else {
            children(n).forEach(c -> collect(c, out));
        }
    }

    /** The direct sub-expressions of a scalar node. */
    static java.util.List<Node> children(Node n) {
        if (n instanceof Add x) {
            return java.util.List.of(x.a(), x.b());
        } else if (n instanceof Sub x) {
            return java.util.List.of(x.a(), x.b());
        } else if (n instanceof Mul x) {
            return java.util.List.of(x.a(), x.b());
        } else if (n instanceof Div x) {
            return java.util.List.of(x.a(), x.b());
        } else if (n instanceof Pow x) {
            return java.util.List.of(x.base(), x.exponent());
        } else if (n instanceof Neg x) {
            return java.util.List.of(x.a());
        } else if (n instanceof Percent x) {
            return java.util.List.of(x.value());
        } else if (n instanceof Func f) {
            return f.args();
        } else if (n instanceof Node.PlusMinus p) {
            return java.util.List.of(p.a(), p.b());
        }
        return java.util.List.of();
    }

    /** Whether a decimal literal (0.75, 4.5e33) occurs in the expression. */
    static boolean hasDecimal(Node n) {
        if (n instanceof Num x) {
            return x.decimal();
        }
        return children(n).stream().anyMatch(Evaluator::hasDecimal);
    }
}
