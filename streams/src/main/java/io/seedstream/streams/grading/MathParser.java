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
import io.seedstream.streams.grading.Tokenizer.Token;
import io.seedstream.streams.grading.Tokenizer.Type;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Recursive-descent parser from a normalised answer to a {@link Node}. Precedence, lowest
 * first: comma lists, relations (chains allowed), set union/intersection, ±, ratios, + and -,
 * products (explicit and implicit), unary signs, powers, postfix ! and %. Refuses (with a
 * {@link ParseException}) unknown commands and words, so nothing unknown is read as a symbol;
 * nesting is bounded so deep input cannot overflow the stack.
 *
 * <p>Over 400 lines because a recursive-descent parser is one method per precedence level, and
 * they call each other: the grammar reads best in one file.
 */
final class MathParser {

    /** The answer is not something the parser understands. */
    static final class ParseException extends Exception {
        ParseException(String message) {
            super(message, null, false, false);
        }
    }

    private static final int MAX_DEPTH = 200;
    private static final Pattern WORDS = Pattern.compile("[A-Za-z][A-Za-z '.\\-]*");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern TEXT_TAIL = Pattern.compile("[.]+$");
    private static final Pattern CHOICE = Pattern.compile("\\(?([A-Ea-e])\\)?");

    static final Set<String> FUNCTIONS = Set.of("sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos",
            "arctan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "ln", "log", "exp", "sqrt");
    private static final Map<String, String> GREEK = Map.ofEntries(
            Map.entry("alpha", "α"), Map.entry("beta", "β"), Map.entry("gamma", "γ"), Map.entry("delta", "δ"),
            Map.entry("epsilon", "ε"), Map.entry("varepsilon", "ε"), Map.entry("zeta", "ζ"), Map.entry("eta", "η"),
            Map.entry("theta", "θ"), Map.entry("vartheta", "θ"), Map.entry("iota", "ι"), Map.entry("kappa", "κ"),
            Map.entry("lambda", "λ"), Map.entry("mu", "μ"), Map.entry("nu", "ν"), Map.entry("xi", "ξ"),
            Map.entry("rho", "ρ"), Map.entry("sigma", "σ"), Map.entry("tau", "τ"), Map.entry("upsilon", "υ"),
            Map.entry("phi", "φ"), Map.entry("varphi", "φ"), Map.entry("chi", "χ"), Map.entry("psi", "ψ"),
            Map.entry("omega", "ω"), Map.entry("Gamma", "Γ"), Map.entry("Delta", "Δ"), Map.entry("Theta", "Θ"),
            Map.entry("Lambda", "Λ"), Map.entry("Sigma", "Σ"), Map.entry("Phi", "Φ"), Map.entry("Psi", "Ψ"),
            Map.entry("Omega", "Ω"), Map.entry("hbar", "ħ"), Map.entry("ell", "ℓ"), Map.entry("angle", "∠"),
            Map.entry("triangle", "△"), Map.entry("nabla", "∇"), Map.entry("partial", "∂"));
    private static final Set<String> RELATIONS = Set.of("=", "<", ">", "≤", "≥", "≠", "≈", "∈");

    private final List<Token> tokens;
    private final Deadline deadline;
    private int pos;
    private int depth;
    private int absDepth;

    private MathParser(List<Token> tokens, Deadline deadline) {
        this.tokens = tokens;
        this.deadline = deadline;
    }

    /** Parses a normalised answer. Pure words become {@link Text}. */
    static Node parse(String normalized, Deadline deadline) throws ParseException {
        String t = normalized.strip();
        if (t.isEmpty()) {
            throw new ParseException("empty answer");
        }
        var choice = CHOICE.matcher(t);
        if (choice.matches()) {
            return new Text(choice.group(1).toLowerCase(Locale.ROOT));
        }
        if (WORDS.matcher(t).matches() && !isMathWord(t)) {
            return new Text(TEXT_TAIL.matcher(SPACES.matcher(t.toLowerCase(Locale.ROOT)).replaceAll(" ")).replaceAll(""));
        }
        MathParser p = new MathParser(Tokenizer.tokenize(t, deadline), deadline);
        Node n = p.parseList();
        if (p.peek().type() != Type.END) {
            throw new ParseException("unexpected '" + p.peek().text() + "'");
        }
        return n;
    }

    private static boolean isMathWord(String t) {
        String w = t.strip();
        return w.length() <= 2 && !w.contains(" ") // "x", "xy": variables, not words
                || FUNCTIONS.contains(w) || w.equals("pi") || w.equals("inf");
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        deadline.check();
        return tokens.get(pos++);
    }

    private boolean accept(String s) {
        if (peek().is(s)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(String s) throws ParseException {
        if (!accept(s)) {
            throw new ParseException("expected '" + s + "' but found '" + peek().text() + "'");
        }
    }

    private void enter() throws ParseException {
        if (++depth > MAX_DEPTH) {
            throw new ParseException("nesting deeper than " + MAX_DEPTH);
        }
        deadline.check();
    }

    private Node parseList() throws ParseException {
        List<Node> items = new ArrayList<>();
        items.add(parseRelation());
        while (peek().is(",") || peek().is(";")) {
            pos++;
            if (isListEnd(peek())) {
                break; // trailing comma
            }
            items.add(parseRelation());
        }
        return items.size() == 1 ? items.get(0) : new Seq(items, Seq.Kind.LIST);
    }

    private static boolean isListEnd(Token t) {
        return t.type() == Type.END || t.is(")") || t.is("]") || t.is("}") || t.is("⦄") || t.is("&")
                || t.type() == Type.ROWSEP || t.is("\\end");
    }

    private Node parseRelation() throws ParseException {
        enter();
        try {
            List<Node> operands = new ArrayList<>();
            List<String> ops = new ArrayList<>();
            operands.add(parseSetOps());
            while (peek().type() == Type.SYM && RELATIONS.contains(peek().text())) {
                ops.add(next().text());
                operands.add(parseSetOps());
            }
            return ops.isEmpty() ? operands.get(0) : new Relation(operands, ops);
        } finally {
            depth--;
        }
    }

    private Node parseSetOps() throws ParseException {
        Node a = parsePlusMinus();
        while (peek().is("∪") || peek().is("∩") || peek().is("∖")) {
            String op = next().text();
            a = new SetOp(op, a, parsePlusMinus());
        }
        return a;
    }

    private Node parsePlusMinus() throws ParseException {
        Node a = parseRatio();
        while (peek().is("±") || peek().is("∓")) {
            pos++;
            a = new PlusMinus(a, parseRatio());
        }
        return a;
    }

    private Node parseRatio() throws ParseException {
        Node a = parseAdditive();
        while (peek().is(":")) {
            pos++;
            a = new Func("ratio", List.of(a, parseAdditive()));
        }
        return a;
    }

    private Node parseAdditive() throws ParseException {
        Node a = parseTerm();
        while (true) {
            if (accept("+")) {
                a = new Add(a, parseTerm());
            } else if (accept("-")) {
                a = new Sub(a, parseTerm());
            } else {
                return a;
            }
        }
    }

    private Node parseTerm() throws ParseException {
        Node a = parseUnary();
        while (true) {
            if (accept("*")) {
                a = new Mul(a, parseUnary());
            } else if (accept("/")) {
                a = new Div(a, parseUnary());
            } else if (startsFactor(peek())) {
                boolean mixed = a instanceof Num n && !n.decimal() && n.value().isInteger() && peek().is("\\frac");
                Node factor = parsePower();
                // 2\frac{1}{2} is the mixed number 5/2, not 2 * 1/2
                a = mixed && factor instanceof Div d && d.a() instanceof Num && d.b() instanceof Num
                        ? new Add(a, factor) : new Mul(a, factor);
            } else {
                return a;
            }
        }
    }

    private boolean startsFactor(Token t) {
        return switch (t.type()) {
            case NUM, WORD -> true;
            case CMD -> !t.is("\\end") && !t.is("\\}");
            case SYM -> t.is("(") || t.is("{") || t.is("∞") || t.is("⦃") || (t.is("|") && absDepth == 0);
            default -> false;
        };
    }

    private Node parseUnary() throws ParseException {
        enter();
        try {
            if (accept("-")) {
                return new Neg(parseUnary());
            }
            if (accept("+")) {
                return parseUnary();
            }
            if (accept("±") || accept("∓")) {
                return new PlusMinus(new Num(Rational.ZERO, false), parseUnary());
            }
            return parsePower();
        } finally {
            depth--;
        }
    }

    private Node parsePower() throws ParseException {
        enter();
        try {
            Node base = parsePostfix(parseAtom());
            if (accept("^")) {
                Node exp = parseExponent();
                return parsePostfix(new Pow(base, exp));
            }
            return base;
        } finally {
            depth--;
        }
    }

    private Node parseExponent() throws ParseException {
        if (peek().is("{")) {
            pos++;
            Node e = parseList();
            expect("}");
            if (accept("^")) {
                return new Pow(e, parseExponent());
            }
            return e;
        }
        if (accept("-")) {
            return new Neg(parseExponent());
        }
        // x^23 in LaTeX is x^2 * 3: only the first digit (or letter) is the exponent
        Node first = firstCharacter(false);
        return first != null ? first : parsePower();
    }

    /**
     * LaTeX takes one character as an unbraced argument ({@code x^23}, {@code \frac12}): when the
     * next token is a longer number or word, consumes its first character and leaves the rest.
     */
    private Node firstCharacter(boolean evenDecimals) {
        Token t = peek();
        boolean number = t.type() == Type.NUM && (evenDecimals || !t.text().contains("."));
        if (!number && t.type() != Type.WORD || t.text().length() < 2 || t.text().charAt(0) == '.') {
            return null;
        }
        pos++;
        tokens.add(pos, new Token(t.type(), t.text().substring(1)));
        String head = t.text().substring(0, 1);
        return number ? new Num(Rational.parseDecimal(head), false) : symbol(head);
    }

    private Node parsePostfix(Node a) throws ParseException {
        while (true) {
            if (peek().is("!")) {
                pos++;
                a = new Func("fact", List.of(a));
            } else if (peek().is("%")) {
                pos++;
                a = new Percent(a);
            } else if (peek().is("'")) {
                pos++; // f'(x): keep as the same symbol family
            } else {
                return a;
            }
        }
    }

    private Node parseAtom() throws ParseException {
        Token t = next();
        switch (t.type()) {
            case NUM -> {
                Num n;
                try {
                    n = new Num(Rational.parseDecimal(t.text()), t.text().contains(".")
                            || t.text().contains("e") || t.text().contains("E"));
                } catch (ArithmeticException | NumberFormatException e) {
                    throw new ParseException("number out of range: " + t.text());
                }
                if (peek().is("_")) {
                    return baseNumber(t.text());
                }
                return n;
            }
            case WORD -> {
                return word(t.text());
            }
            case CMD -> {
                return command(t.text());
            }
            case SYM -> {
                return symbolAtom(t.text());
            }
            default -> throw new ParseException("unexpected end");
        }
    }

    /** 204_5: a number written in base 5. */
    private Node baseNumber(String digits) throws ParseException {
        pos++; // _
        String base;
        if (accept("{")) {
            base = next().text();
            expect("}");
        } else {
            base = next().text();
        }
        try {
            int b = Integer.parseInt(base);
            if (b < 2 || b > 36) {
                throw new ParseException("base " + b);
            }
            return new Num(Rational.of(new BigInteger(digits, b), BigInteger.ONE), false);
        } catch (NumberFormatException e) {
            throw new ParseException("not a number in base " + base + ": " + digits);
        }
    }

    private Node symbolAtom(String s) throws ParseException {
        switch (s) {
            case "(", "[" -> {
                return bracketed(s);
            }
            case "{" -> {
                Node inner = parseList();
                expect("}");
                return inner;
            }
            case "⦃" -> {
                List<Node> items = new ArrayList<>();
                if (!peek().is("⦄")) {
                    Node inner = parseList();
                    if (inner instanceof Seq q && q.kind() == Seq.Kind.LIST) {
                        items.addAll(q.items());
                    } else {
                        items.add(inner);
                    }
                }
                expect("⦄");
                return new Seq(items, Seq.Kind.SET);
            }
            case "|" -> {
                absDepth++;
                try {
                    Node inner = parseAdditive();
                    expect("|");
                    return new Func("abs", List.of(inner));
                } finally {
                    absDepth--;
                }
            }
            case "∞" -> {
                return new Const("inf");
            }
            default -> throw new ParseException("unexpected '" + s + "'");
        }
    }

    /** ( ... ) or [ ... ]: a group, a tuple, an interval or a bracketed list. */
    private Node bracketed(String open) throws ParseException {
        Node inner = parseList();
        String close = peek().text();
        if (!close.equals(")") && !close.equals("]")) {
            throw new ParseException("unclosed '" + open + "'");
        }
        pos++;
        List<Node> items = inner instanceof Seq q && q.kind() == Seq.Kind.LIST ? q.items() : List.of(inner);
        if (items.size() == 2 && !(open.equals("(") && close.equals(")"))) {
            return new Interval(items.get(0), items.get(1), open.equals("["), close.equals("]"));
        }
        if (items.size() == 1) {
            return inner; // grouping
        }
        return new Seq(items, open.equals("(") ? Seq.Kind.TUPLE : Seq.Kind.LIST);
    }

    /** A run of letters: a function name, pi, or variables multiplied together. */
    private Node word(String w) throws ParseException {
        if (FUNCTIONS.contains(w)) {
            return function(w);
        }
        if (w.equals("pi")) {
            return new Const("pi");
        }
        if (w.equals("inf") || w.equals("infty") || w.equals("infinity")) {
            return new Const("inf");
        }
        if (w.length() >= 3) {
            throw new ParseException("word '" + w + "' is not mathematics");
        }
        Node n = symbol(w.substring(0, 1));
        for (int i = 1; i < w.length(); i++) {
            n = new Mul(n, symbol(w.substring(i, i + 1)));
        }
        return subscript(n);
    }

    private Node symbol(String letter) {
        return letter.equals("e") ? new Const("e") : new Sym(letter);
    }

    /** x_1, a_{37}: a subscripted variable is one symbol. */
    private Node subscript(Node n) throws ParseException {
        if (!peek().is("_")) {
            return n;
        }
        Node target = n instanceof Mul m ? m.b() : n;
        String base = target instanceof Sym s ? s.name() : target instanceof Const c ? c.name() : null;
        if (base == null) {
            throw new ParseException("subscript on " + n);
        }
        pos++;
        StringBuilder sub = new StringBuilder();
        if (accept("{")) {
            int level = 1;
            while (level > 0) {
                Token t = next();
                if (t.type() == Type.END) {
                    throw new ParseException("unclosed subscript");
                }
                if (t.is("{")) {
                    level++;
                } else if (t.is("}")) {
                    level--;
                }
                if (level > 0) {
                    sub.append(t.text());
                }
            }
        } else {
            Token t = next();
            sub.append(t.type() == Type.NUM || t.type() == Type.WORD ? t.text().substring(0, 1) : t.text());
            if ((t.type() == Type.NUM || t.type() == Type.WORD) && t.text().length() > 1) {
                tokens.add(pos, new Token(t.type(), t.text().substring(1)));
            }
        }
        Sym named = new Sym(base + "_" + sub);
        return n instanceof Mul m ? new Mul(m.a(), named) : named;
    }

    private Node command(String c) throws ParseException {
        String name = c.substring(1);
        if (name.equals("frac")) {
            Node num = argument();
            Node den = argument();
            return new Div(num, den);
        }
        if (name.equals("binom")) {
            return new Func("binom", List.of(argument(), argument()));
        }
        if (name.equals("sqrt")) {
            if (accept("[")) {
                Node index = parseAdditive();
                expect("]");
                return new Func("root", List.of(index, argument()));
            }
            return new Func("sqrt", List.of(argument()));
        }
        if (name.equals("pi")) {
            return new Const("pi");
        }
        if (name.equals("infty")) {
            return new Const("inf");
        }
        if (GREEK.containsKey(name)) {
            return subscript(new Sym(GREEK.get(name)));
        }
        if (name.equals("log") && peek().is("_")) {
            pos++;
            Node base = argument();
            return new Func("logb", List.of(base, functionArgument()));
        }
        if (FUNCTIONS.contains(name)) {
            return function(name);
        }
        if (name.equals("begin")) {
            return environment();
        }
        if (name.equals("{")) {
            return symbolAtom("⦃");
        }
        throw new ParseException("unknown command \\" + name);
    }

    /** sin x, \sin^2(x), \ln(2): the power applies to the function's value. */
    private Node function(String name) throws ParseException {
        Node power = null;
        if (accept("^")) {
            power = parseExponent();
        }
        if (name.equals("sqrt")) {
            return new Func("sqrt", List.of(argument()));
        }
        Node f = new Func(name, List.of(functionArgument()));
        return power == null ? f : new Pow(f, power);
    }

    private Node functionArgument() throws ParseException {
        if (peek().is("(") || peek().is("{")) {
            return parsePower();
        }
        return parsePower(); // \sin b, \log 8: the next factor
    }

    /** A LaTeX argument: {group}, or a single character/token (\frac12 is 1/2). */
    private Node argument() throws ParseException {
        if (accept("{")) {
            Node inner = parseList();
            expect("}");
            return inner;
        }
        Node first = firstCharacter(true);
        return first != null ? first : parseAtom();
    }

    /** \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, matrix, vmatrix, array). */
    private Node environment() throws ParseException {
        expect("{");
        String env = next().text();
        expect("}");
        if (!env.endsWith("matrix") && !env.equals("array")) {
            throw new ParseException("environment " + env);
        }
        if (env.equals("array") && accept("{")) {
            while (!accept("}")) {
                if (next().type() == Type.END) {
                    throw new ParseException("unclosed array spec");
                }
            }
        }
        List<List<Node>> rows = new ArrayList<>();
        List<Node> row = new ArrayList<>();
        while (true) {
            if (peek().is("\\end")) {
                pos++;
                expect("{");
                next();
                expect("}");
                break;
            }
            if (peek().type() == Type.END) {
                throw new ParseException("unclosed " + env);
            }
            if (peek().type() == Type.ROWSEP) {
                pos++;
                if (!row.isEmpty()) {
                    rows.add(row);
                }
                row = new ArrayList<>();
                continue;
            }
            if (accept("&")) {
                continue;
            }
            row.add(parseRelation());
        }
        if (!row.isEmpty()) {
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new ParseException("empty matrix");
        }
        return new Matrix(rows);
    }
}
