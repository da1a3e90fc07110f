package io.seedstream.producers.task;

/** One arithmetic step of a worked solution: {@code a op b = value}. */
public record Step(Fraction a, char op, Fraction b, Fraction value) {

    /** As the worked solutions write it: {@code 56-13=43.} */
    public String written() {
        return a.plain() + op + b.plain() + "=" + value.plain() + ".";
    }

    /**
     * As a calculator call and its reply, the way the calc mode writes it: {@code <calc>56-13</calc><result>43</result>}.
     * A fraction or a negative operand goes in parentheses, so the call means this step (2/3 divided by 4/5 is
     * {@code (2/3)/(4/5)}, not {@code 2/3/4/5}).
     */
    public String calculated() {
        return "<calc>" + operand(a) + op + operand(b) + "</calc><result>" + value.plain() + "</result>";
    }

    private static String operand(Fraction x) {
        return x.isInteger() && x.num() >= 0 ? x.plain() : "(" + x.plain() + ")";
    }

    /**
     * As the careful solutions write it: an addition or subtraction of a whole number of two or
     * more digits goes through the tens first ({@code 56-13: 56-10=46. 46-3=43.}); any other step
     * is written as it is.
     */
    public String carefully() {
        if ((op != '+' && op != '-') || !b.isInteger() || !a.isInteger() || b.num() < 10 || b.num() % 10 == 0) {
            return written();
        }
        long tens = b.num() - b.num() % 10;
        Fraction mid = op == '+' ? a.plus(Fraction.of(tens)) : a.minus(Fraction.of(tens));
        return a.plain() + op + b.plain() + ": " + new Step(a, op, Fraction.of(tens), mid).written() + " "
                + new Step(mid, op, Fraction.of(b.num() % 10), value).written();
    }
}
