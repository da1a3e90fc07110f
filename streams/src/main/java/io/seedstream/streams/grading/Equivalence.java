package io.seedstream.streams.grading;

import io.seedstream.schemas.Rational;
import io.seedstream.streams.grading.Node.Add;
import io.seedstream.streams.grading.Node.Const;
import io.seedstream.streams.grading.Node.Div;
import io.seedstream.streams.grading.Node.Func;
import io.seedstream.streams.grading.Node.Interval;
import io.seedstream.streams.grading.Node.Matrix;
import io.seedstream.streams.grading.Node.Mul;
import io.seedstream.streams.grading.Node.Neg;
import io.seedstream.streams.grading.Node.Num;
import io.seedstream.streams.grading.Node.Percent;
import io.seedstream.streams.grading.Node.PlusMinus;
import io.seedstream.streams.grading.Node.Pow;
import io.seedstream.streams.grading.Node.Relation;
import io.seedstream.streams.grading.Node.Seq;
import io.seedstream.streams.grading.Node.SetOp;
import io.seedstream.streams.grading.Node.Sub;
import io.seedstream.streams.grading.Node.Sym;
import io.seedstream.streams.grading.Node.Text;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Decides whether two parsed answers mean the same thing. Numbers compare exactly when both are
 * exact rationals, else with the relative tolerance; expressions with variables are compared by
 * evaluating both at random points (a polynomial identity that holds at several random points
 * holds everywhere with overwhelming probability); equations are equal when their differences
 * are proportional; inequalities when they describe the same half-line; lists as sets, tuples in
 * order, intervals with their ends.
 *
 * <p>Over 400 lines because each kind of answer (number, expression, equation, inequality, list,
 * interval) needs its own comparison, and all of them share the tolerance and the random points.
 */
final class Equivalence {

    private static final int POINTS = 6;
    private static final int MAX_ITEMS = 500;

    private final GraderOptions options;
    private final Evaluator eval;
    private final Deadline deadline;

    Equivalence(GraderOptions options, Deadline deadline) {
        this.options = options;
        this.deadline = deadline;
        this.eval = new Evaluator(deadline);
    }

    boolean equal(Node gold, Node pred) {
        deadline.check();
        gold = expandPlusMinus(reduceRelation(gold));
        pred = expandPlusMinus(reduceRelation(pred));
        if (gold instanceof Text g) {
            return pred instanceof Text p && g.text().equals(p.text());
        }
        if (pred instanceof Text) {
            return false;
        }
        if (gold instanceof Relation g && pred instanceof Relation p) {
            return relationsEqual(g, p);
        }
        if (gold instanceof Relation g) {
            Node stripped = strip(g);
            return stripped != null ? equal(stripped, pred) : relationVsSet(g, pred);
        }
        if (pred instanceof Relation p) {
            Node stripped = strip(p);
            return stripped != null ? equal(gold, stripped) : relationVsSet(p, gold);
        }
        if (gold instanceof Seq g && pred instanceof Seq p) {
            return sequencesEqual(g, p);
        }
        if (gold instanceof Seq g && g.items().size() == 1) {
            return equal(g.items().get(0), pred);
        }
        if (pred instanceof Seq p && p.items().size() == 1) {
            return equal(gold, p.items().get(0));
        }
        if (gold instanceof Interval g) {
            return intervalEqual(g, pred);
        }
        if (pred instanceof Interval p) {
            return intervalEqual(p, gold);
        }
        if (gold instanceof SetOp || pred instanceof SetOp) {
            return gold instanceof SetOp && pred instanceof SetOp && setOpsEqual(gold, pred);
        }
        if (gold instanceof Matrix g && pred instanceof Matrix p) {
            return matricesEqual(g, p);
        }
        if (gold instanceof Seq || pred instanceof Seq || gold instanceof Matrix || pred instanceof Matrix) {
            return false;
        }
        if (isRatio(gold) || isRatio(pred)) {
            return isRatio(gold) && isRatio(pred) && pairwise(((Func) gold).args(), ((Func) pred).args());
        }
        return scalarEqual(gold, pred);
    }

    // ---- relations -------------------------------------------------------------------------

    /** x = 5+5+1 = 7 = 11 is judged by its ends; x ≈ 11 reads as x = 11. */
    private Node reduceRelation(Node n) {
        if (!(n instanceof Relation r)) {
            return n;
        }
        List<Node> operands = new ArrayList<>(r.operands());
        List<String> ops = new ArrayList<>(r.ops());
        int approx = ops.indexOf("≈");
        if (approx >= 0) {
            if (ops.subList(0, approx).contains("=")) {
                operands = operands.subList(0, approx + 1);
                ops = ops.subList(0, approx);
            } else {
                ops.set(approx, "=");
            }
        }
        if (ops.size() >= 2 && ops.stream().allMatch("="::equals)) {
            return new Relation(List.of(operands.get(0), operands.get(operands.size() - 1)), List.of("="));
        }
        return new Relation(operands, ops);
    }

    /**
     * The value an equation states when compared with a bare value: the right side of
     * {@code x = 5}, {@code f(x) = 1}, {@code (p,q) = (3,2)}, {@code x \in [0,1)}; null when the
     * left side is not a label (as in {@code 7 = 11a + c}).
     */
    private Node strip(Relation r) {
        if (r.ops().size() != 1) {
            return null;
        }
        String op = r.ops().get(0);
        Node lhs = r.operands().get(0);
        Node rhs = r.operands().get(1);
        if (!op.equals("=") && !op.equals("∈")) {
            return null;
        }
        if (isLabel(lhs)) {
            return rhs;
        }
        if (op.equals("=") && Evaluator.symbols(lhs).isEmpty() && Evaluator.symbols(rhs).isEmpty()
                && isScalar(lhs) && isScalar(rhs)) {
            return rhs; // "1/2 = 10/9": a computation whose last part is the answer
        }
        return null;
    }

    private static boolean isLabel(Node n) {
        if (n instanceof Sym) {
            return true;
        }
        if (n instanceof Seq s) {
            return s.items().stream().allMatch(Equivalence::isLabel);
        }
        if (n instanceof Num || n instanceof Const || n instanceof Relation || n instanceof Interval) {
            return false;
        }
        return !containsNumber(n) && !Evaluator.symbols(n).isEmpty()
                && !(n instanceof Add) && !(n instanceof Sub);
    }

    /** k and k; W(n) and W(x): the same function, whatever its argument is called. */
    private boolean sameLabel(Node a, Node b) {
        if (a instanceof Mul x && b instanceof Mul y && x.a() instanceof Sym f && y.a() instanceof Sym g) {
            return f.name().equals(g.name());
        }
        return equal(a, b);
    }

    private static boolean containsNumber(Node n) {
        if (n instanceof Num) {
            return true;
        }
        return Evaluator.children(n).stream().anyMatch(Equivalence::containsNumber);
    }

    private static boolean isScalar(Node n) {
        return !(n instanceof Seq || n instanceof Interval || n instanceof Matrix || n instanceof SetOp
                || n instanceof Relation || n instanceof Text);
    }

    private boolean relationsEqual(Relation g, Relation p) {
        if (g.ops().size() == 1 && p.ops().size() == 1) {
            String go = g.ops().get(0);
            String po = p.ops().get(0);
            if (go.equals("=") && po.equals("=")) {
                return equationsEqual(g, p);
            }
            if (go.equals("∈") && po.equals("∈")) {
                return equal(g.operands().get(0), p.operands().get(0)) && equal(g.operands().get(1), p.operands().get(1));
            }
            Side gs = inequality(g);
            Side ps = inequality(p);
            if (gs != null && ps != null) {
                return gs.kind.equals(ps.kind) && proportional(gs.expr, ps.expr, gs.kind.equals("≠") ? 0 : 1);
            }
        }
        // Without set/relation comparison, only a reference inequality may match a membership.
        if (options.setRelationComparison() || !g.ops().contains("∈")) {
            Interval gi = asInterval(g);
            Interval pi = asInterval(p);
            if (gi != null && pi != null && sameVariable(g, p)) {
                return intervalEqual(gi, pi);
            }
        }
        if (g.ops().equals(p.ops()) && g.operands().size() == p.operands().size()) {
            return pairwise(g.operands(), p.operands());
        }
        return false;
    }

    private boolean equationsEqual(Relation g, Relation p) {
        Node gl = g.operands().get(0);
        Node gr = g.operands().get(1);
        Node pl = p.operands().get(0);
        Node pr = p.operands().get(1);
        if (!isScalar(gl) || !isScalar(gr) || !isScalar(pl) || !isScalar(pr)) {
            return equal(gl, pl) && equal(gr, pr);
        }
        Set<String> vars = new TreeSet<>();
        for (Node n : List.of(gl, gr, pl, pr)) {
            vars.addAll(Evaluator.symbols(n));
        }
        if (isLabel(gl) && isLabel(pl) && Evaluator.symbols(gr).isEmpty() && Evaluator.symbols(pr).isEmpty()) {
            return sameLabel(gl, pl) && equal(gr, pr); // k = 45 vs k = 45: same label, same value
        }
        if (vars.isEmpty()) {
            return equal(gl, pl) && equal(gr, pr);
        }
        return proportional(new Sub(gl, gr), new Sub(pl, pr), 0);
    }

    private record Side(String kind, Node expr) {}

    /** a < b as (b - a) > 0; a <= b as (b - a) >= 0; a != b as (a - b) != 0. */
    private static Side inequality(Relation r) {
        Node a = r.operands().get(0);
        Node b = r.operands().get(1);
        if (!isScalar(a) || !isScalar(b)) {
            return null;
        }
        return switch (r.ops().get(0)) {
            case "<" -> new Side(">", new Sub(b, a));
            case ">" -> new Side(">", new Sub(a, b));
            case "≤" -> new Side("≥", new Sub(b, a));
            case "≥" -> new Side("≥", new Sub(a, b));
            case "≠" -> new Side("≠", new Sub(a, b));
            default -> null;
        };
    }

    /** a < x <= b, x >= 5, x \in [a, b) as an interval of their variable; null otherwise. */
    private Interval asInterval(Relation r) {
        List<Node> o = r.operands();
        List<String> ops = r.ops();
        if (ops.size() == 1 && ops.get(0).equals("∈") && o.get(1) instanceof Interval i) {
            return i;
        }
        Const inf = new Const("inf");
        if (ops.size() == 1 && isLabel(o.get(0)) && !isLabel(o.get(1))) {
            Node v = o.get(1);
            return switch (ops.get(0)) {
                case "<" -> new Interval(new Neg(inf), v, false, false);
                case "≤" -> new Interval(new Neg(inf), v, false, true);
                case ">" -> new Interval(v, inf, false, false);
                case "≥" -> new Interval(v, inf, true, false);
                default -> null;
            };
        }
        if (ops.size() == 1 && isLabel(o.get(1)) && !isLabel(o.get(0))) {
            Node v = o.get(0);
            return switch (ops.get(0)) {
                case ">" -> new Interval(new Neg(inf), v, false, false);
                case "≥" -> new Interval(new Neg(inf), v, false, true);
                case "<" -> new Interval(v, inf, false, false);
                case "≤" -> new Interval(v, inf, true, false);
                default -> null;
            };
        }
        if (ops.size() == 2 && isLabel(o.get(1))) {
            boolean up = (ops.get(0).equals("<") || ops.get(0).equals("≤")) && (ops.get(1).equals("<") || ops.get(1).equals("≤"));
            boolean down = (ops.get(0).equals(">") || ops.get(0).equals("≥")) && (ops.get(1).equals(">") || ops.get(1).equals("≥"));
            if (up) {
                return new Interval(o.get(0), o.get(2), ops.get(0).equals("≤"), ops.get(1).equals("≤"));
            }
            if (down) {
                return new Interval(o.get(2), o.get(0), ops.get(1).equals("≥"), ops.get(0).equals("≥"));
            }
        }
        return null;
    }

    private Node intervalVariable(Relation r) {
        List<Node> o = r.operands();
        if (r.ops().size() == 2) {
            return o.get(1);
        }
        return isLabel(o.get(0)) ? o.get(0) : o.get(1);
    }

    private boolean sameVariable(Relation a, Relation b) {
        return !options.strictVariables()
                || Evaluator.symbols(intervalVariable(a)).equals(Evaluator.symbols(intervalVariable(b)));
    }

    /** 0 < f(x) < 1 against (0, 1): a bounded variable against the set it ranges over. */
    private boolean relationVsSet(Relation r, Node other) {
        if (!r.ops().contains("∈") || options.setRelationComparison()) {
            Interval i = asInterval(r);
            if (i != null && (other instanceof Interval || other instanceof Seq s && s.items().size() == 2)) {
                return intervalEqual(i, other);
            }
        }
        return false;
    }

    // ---- structures -----------------------------------------------------------------------

    private boolean sequencesEqual(Seq g, Seq p) {
        if (g.items().size() > MAX_ITEMS || p.items().size() > MAX_ITEMS) {
            return false;
        }
        boolean ordered = g.kind() == Seq.Kind.TUPLE || p.kind() == Seq.Kind.TUPLE
                || (options.orderedLists() && g.kind() == Seq.Kind.LIST && p.kind() == Seq.Kind.LIST);
        if (g.kind() == Seq.Kind.SET || p.kind() == Seq.Kind.SET) {
            ordered = false;
        }
        if (ordered) {
            return g.items().size() == p.items().size() && pairwise(g.items(), p.items());
        }
        return covers(g.items(), p.items()) && covers(p.items(), g.items());
    }

    private boolean covers(List<Node> a, List<Node> b) {
        for (Node x : a) {
            boolean found = false;
            for (Node y : b) {
                if (equal(x, y)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private boolean pairwise(List<Node> a, List<Node> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!equal(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean intervalEqual(Interval g, Node other) {
        if (other instanceof Interval p) {
            return g.loClosed() == p.loClosed() && g.hiClosed() == p.hiClosed()
                    && bound(g.lo(), p.lo()) && bound(g.hi(), p.hi());
        }
        if (other instanceof Seq s && s.kind() == Seq.Kind.TUPLE && s.items().size() == 2) {
            return !g.loClosed() && !g.hiClosed() && bound(g.lo(), s.items().get(0)) && bound(g.hi(), s.items().get(1));
        }
        if (other instanceof Relation r) {
            Interval i = asInterval(r);
            return i != null && intervalEqual(g, i);
        }
        return false;
    }

    private boolean bound(Node a, Node b) {
        Boolean inf = infinityEqual(a, b);
        return inf != null ? inf : equal(a, b);
    }

    /** Whether a and b are the same infinity; null when neither is an infinity. */
    private static Boolean infinityEqual(Node a, Node b) {
        int sa = infinitySign(a);
        int sb = infinitySign(b);
        if (sa == 0 && sb == 0) {
            return null;
        }
        return sa == sb;
    }

    private static int infinitySign(Node n) {
        if (n instanceof Const c && c.name().equals("inf")) {
            return 1;
        }
        if (n instanceof Neg x) {
            return -infinitySign(x.a());
        }
        return 0;
    }

    private boolean setOpsEqual(Node g, Node p) {
        List<Node> gp = new ArrayList<>();
        List<Node> pp = new ArrayList<>();
        String op = g instanceof SetOp s ? s.op() : "";
        if (!(p instanceof SetOp ps) || !ps.op().equals(op)) {
            return false;
        }
        flatten(g, op, gp);
        flatten(p, op, pp);
        return covers(gp, pp) && covers(pp, gp);
    }

    private static void flatten(Node n, String op, List<Node> out) {
        if (n instanceof SetOp s && s.op().equals(op)) {
            flatten(s.a(), op, out);
            flatten(s.b(), op, out);
        } else {
            out.add(n);
        }
    }

    private boolean matricesEqual(Matrix g, Matrix p) {
        if (g.rows().size() != p.rows().size()) {
            return false;
        }
        for (int i = 0; i < g.rows().size(); i++) {
            if (!pairwise(g.rows().get(i), p.rows().get(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isRatio(Node n) {
        return n instanceof Func f && f.name().equals("ratio");
    }

    /** a ± b becomes the set {a + b, a - b} (also inside an expression, e.g. (-1 ± √13)/4). */
    private Node expandPlusMinus(Node n) {
        if (n instanceof Seq s) {
            List<Node> items = new ArrayList<>();
            for (Node item : s.items()) {
                Node e = expandPlusMinus(item);
                if (e instanceof Seq es && es.kind() == Seq.Kind.SET && containsPlusMinus(item)) {
                    items.addAll(es.items());
                } else {
                    items.add(e);
                }
            }
            return new Seq(items, s.kind());
        }
        if (!isScalar(n) || !containsPlusMinus(n)) {
            return n;
        }
        List<Node> variants = new ArrayList<>();
        variants(n, variants, 0);
        return new Seq(variants, Seq.Kind.SET);
    }

    private static boolean containsPlusMinus(Node n) {
        if (n instanceof PlusMinus) {
            return true;
        }
        return Evaluator.children(n).stream().anyMatch(Equivalence::containsPlusMinus);
    }

    private void variants(Node n, List<Node> out, int depth) {
        deadline.check();
        if (depth > 4 || !containsPlusMinus(n)) {
            out.add(n);
            return;
        }
        variants(replaceFirstPm(n, true), out, depth + 1);
        variants(replaceFirstPm(n, false), out, depth + 1);
    }

    private static Node replaceFirstPm(Node n, boolean plus) {
        if (n instanceof PlusMinus p) {
            return plus ? new Add(p.a(), p.b()) : new Sub(p.a(), p.b());
        }
        if (n instanceof Add x) {
            return containsPlusMinus(x.a()) ? new Add(replaceFirstPm(x.a(), plus), x.b()) : new Add(x.a(), replaceFirstPm(x.b(), plus));
        }
        if (n instanceof Sub x) {
            return containsPlusMinus(x.a()) ? new Sub(replaceFirstPm(x.a(), plus), x.b()) : new Sub(x.a(), replaceFirstPm(x.b(), plus));
        }
        if (n instanceof Mul x) {
            return containsPlusMinus(x.a()) ? new Mul(replaceFirstPm(x.a(), plus), x.b()) : new Mul(x.a(), replaceFirstPm(x.b(), plus));
        }
        if (n instanceof Div x) {
            return containsPlusMinus(x.a()) ? new Div(replaceFirstPm(x.a(), plus), x.b()) : new Div(x.a(), replaceFirstPm(x.b(), plus));
        }
        if (n instanceof Pow x) {
            return containsPlusMinus(x.base()) ? new Pow(replaceFirstPm(x.base(), plus), x.exponent()) : new Pow(x.base(), replaceFirstPm(x.exponent(), plus));
        }
        if (n instanceof Neg x) {
            return new Neg(replaceFirstPm(x.a(), plus));
        }
        if (n instanceof Func f) {
            List<Node> args = new ArrayList<>(f.args());
            for (int i = 0; i < args.size(); i++) {
                if (containsPlusMinus(args.get(i))) {
                    args.set(i, replaceFirstPm(args.get(i), plus));
                    break;
                }
            }
            return new Func(f.name(), args);
        }
        if (n instanceof Percent p) {
            return new Percent(replaceFirstPm(p.value(), plus));
        }
        return n;
    }

    // ---- scalars --------------------------------------------------------------------------

    private boolean scalarEqual(Node g, Node p) {
        if (g instanceof Percent gp && p instanceof Percent pp) {
            return scalarEqual(gp.value(), pp.value());
        }
        if (g instanceof Percent gp) {
            return scalarEqual(gp.value(), p) || valueEqual(g, p);
        }
        if (p instanceof Percent pp) {
            return scalarEqual(g, pp.value()) || valueEqual(g, p);
        }
        return valueEqual(g, p);
    }

    private boolean valueEqual(Node g, Node p) {
        Boolean inf = infinityEqual(g, p);
        if (inf != null) {
            return inf;
        }
        boolean decimals = Evaluator.hasDecimal(g) || Evaluator.hasDecimal(p);
        Rational eg = eval.exact(g);
        Rational ep = eval.exact(p);
        if (eg != null && ep != null) {
            if (!decimals) {
                return eg.equals(ep);
            }
            return options.decimals() >= 0 ? rounded(eg, ep) : withinTolerance(eg, ep);
        }
        Set<String> gv = Evaluator.symbols(g);
        Set<String> pv = Evaluator.symbols(p);
        if (gv.isEmpty() && pv.isEmpty()) {
            Complex a = eval.numeric(g, Map.of());
            Complex b = eval.numeric(p, Map.of());
            if (options.decimals() >= 0 && decimals && a.isReal() && b.isReal()) {
                return roundedDoubles(a.re(), b.re());
            }
            return close(a, b, options.relativeTolerance());
        }
        if (!options.strictVariables() && gv.size() == pv.size() && !gv.equals(pv)) {
            p = rename(p, pv, gv);
        }
        return proportional(g, p, -1);
    }

    private boolean withinTolerance(Rational a, Rational b) {
        Rational diff = abs(a.subtract(b));
        if (diff.signum() == 0) {
            return true;
        }
        // |a - b| <= tol * max(|a|, |b|), exactly: 4.5e33 against 4500...0 needs no rounding
        Rational mag = abs(a).compareTo(abs(b)) >= 0 ? abs(a) : abs(b);
        Rational tol = Rational.parseDecimal(BigDecimal.valueOf(options.relativeTolerance()).toPlainString());
        return diff.compareTo(tol.multiply(mag)) <= 0;
    }

    private static Rational abs(Rational r) {
        return r.signum() < 0 ? r.negate() : r;
    }

    private boolean rounded(Rational a, Rational b) {
        MathContext mc = new MathContext(80);
        BigDecimal x = a.toBigDecimal(mc).setScale(options.decimals(), RoundingMode.HALF_UP);
        BigDecimal y = b.toBigDecimal(mc).setScale(options.decimals(), RoundingMode.HALF_UP);
        return x.compareTo(y) == 0;
    }

    private boolean roundedDoubles(double a, double b) {
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            return false;
        }
        BigDecimal x = new BigDecimal(a).setScale(options.decimals(), RoundingMode.HALF_UP);
        BigDecimal y = new BigDecimal(b).setScale(options.decimals(), RoundingMode.HALF_UP);
        return x.compareTo(y) == 0;
    }

    private static boolean close(Complex a, Complex b, double tol) {
        if (!a.isFinite() || !b.isFinite()) {
            return false;
        }
        double diff = a.subtract(b).abs();
        double mag = Math.max(a.abs(), b.abs());
        return diff <= tol * mag || diff <= 1e-12;
    }

    /**
     * Whether a / b is the same constant at random points of the variables. sign: 1 = the
     * constant must be positive (inequalities), 0 = any non-zero constant (equations, ≠),
     * -1 = the constant must be 1 (plain expressions).
     */
    private boolean proportional(Node a, Node b, int sign) {
        Set<String> vars = new TreeSet<>(Evaluator.symbols(a));
        vars.addAll(Evaluator.symbols(b));
        SplittableRandom random = new SplittableRandom(0x5eed5eedL ^ vars.hashCode());
        double tol = Math.max(options.relativeTolerance(), 1e-9);
        Complex ratio = null;
        int agreeing = 0;
        for (int attempt = 0; attempt < POINTS * 3 && agreeing < POINTS; attempt++) {
            deadline.check();
            Map<String, Complex> point = new HashMap<>();
            for (String v : vars) {
                point.put(v, Complex.real(0.3 + 2.0 * random.nextDouble()));
            }
            Complex x = eval.numeric(a, point);
            Complex y = eval.numeric(b, point);
            if (!x.isFinite() || !y.isFinite()) {
                continue;
            }
            if (sign == -1) {
                if (!close(x, y, tol)) {
                    return false;
                }
                agreeing++;
                continue;
            }
            boolean xz = x.abs() < 1e-12;
            boolean yz = y.abs() < 1e-12;
            if (xz || yz) {
                if (xz != yz) {
                    return false;
                }
                continue;
            }
            Complex r = x.divide(y);
            if (ratio == null) {
                ratio = r;
                if (sign == 1 && !(r.isReal() && r.re() > 0)) {
                    return false;
                }
            } else if (!close(ratio, r, tol)) {
                return false;
            }
            agreeing++;
        }
        return agreeing >= 3;
    }

    private static Node rename(Node n, Set<String> from, Set<String> to) {
        Map<String, String> map = new HashMap<>();
        Iterator<String> t = to.iterator();
        for (String f : from) {
            map.put(f, t.next());
        }
        return renamed(n, map);
    }

    private static Node renamed(Node n, Map<String, String> map) {
        if (n instanceof Sym s) {
            return new Sym(map.getOrDefault(s.name(), s.name()));
        }
        if (n instanceof Add x) {
            return new Add(renamed(x.a(), map), renamed(x.b(), map));
        }
        if (n instanceof Sub x) {
            return new Sub(renamed(x.a(), map), renamed(x.b(), map));
        }
        if (n instanceof Mul x) {
            return new Mul(renamed(x.a(), map), renamed(x.b(), map));
        }
        if (n instanceof Div x) {
            return new Div(renamed(x.a(), map), renamed(x.b(), map));
        }
        if (n instanceof Pow x) {
            return new Pow(renamed(x.base(), map), renamed(x.exponent(), map));
        }
        if (n instanceof Neg x) {
            return new Neg(renamed(x.a(), map));
        }
        if (n instanceof Func f) {
            return new Func(f.name(), f.args().stream().map(a -> renamed(a, map)).toList());
        }
        return n;
    }
}
