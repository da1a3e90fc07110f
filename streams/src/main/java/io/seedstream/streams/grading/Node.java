package io.seedstream.streams.grading;

import io.seedstream.schemas.Rational;
import java.util.List;

/** A parsed answer: a scalar expression, or a structure of them (list, interval, matrix, relation). */
sealed interface Node {

    /** A number literal; {@code decimal} marks a literal written with a decimal point. */
    record Num(Rational value, boolean decimal) implements Node {}

    /** A free variable (a letter, possibly with a subscript: {@code a_37}). */
    record Sym(String name) implements Node {}

    /** pi, e, i or infinity. */
    record Const(String name) implements Node {}

    record Add(Node a, Node b) implements Node {}

    record Sub(Node a, Node b) implements Node {}

    record Mul(Node a, Node b) implements Node {}

    record Div(Node a, Node b) implements Node {}

    record Neg(Node a) implements Node {}

    record Pow(Node base, Node exponent) implements Node {}

    /** sin, cos, tan, sec, csc, cot, asin, acos, atan, sinh, cosh, tanh, ln, log, exp, sqrt, root, abs, fact, binom. */
    record Func(String name, List<Node> args) implements Node {}

    /** x% : equal to x, or to x/100. */
    record Percent(Node value) implements Node {}

    /** a ± b : the set {a + b, a - b}. */
    record PlusMinus(Node a, Node b) implements Node {}

    /** Items separated by commas: a bare list, a parenthesised tuple, a set, or a bracketed list. */
    record Seq(List<Node> items, Kind kind) implements Node {
        enum Kind { LIST, TUPLE, SET }
    }

    record Interval(Node lo, Node hi, boolean loClosed, boolean hiClosed) implements Node {}

    /** Union ({@code \cup}) or intersection of sets and intervals. */
    record SetOp(String op, Node a, Node b) implements Node {}

    record Matrix(List<List<Node>> rows) implements Node {}

    /** A chain of relations: operands[0] ops[0] operands[1] ops[1] ... (=, <, >, <=, >=, !=, in). */
    record Relation(List<Node> operands, List<String> ops) implements Node {}

    /** Words: a name, a multiple-choice letter, "odd", a sentence. Compared as normalised text. */
    record Text(String text) implements Node {}
}
