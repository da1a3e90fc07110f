package io.seedstream.streams.grading;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** Properties that must hold for any input. */
class GraderPropertiesTest {

    private static final Grader GRADER = new Grader(GraderOptions.DEFAULT.withTimeout(java.time.Duration.ofMillis(500)));

    @Property(tries = 300)
    void anyTextGetsADecisionAndNeverThrows(@ForAll @StringLength(max = 300) String gold,
            @ForAll("latexish") String pred) {
        Grade g = GRADER.grade(gold, pred);
        assertThat(g).isNotNull();
        assertThat(g.reason()).isNotBlank();
    }

    @Provide
    Arbitrary<String> latexish() {
        return Arbitraries.of("\\frac", "\\boxed{", "}", "{", "$", "\\sqrt", "^", "_", "1", "x", "(", ")", "[", "]",
                ",", "=", "\\le", "\\pm", "\\cup", "\\{", "\\}", "\\text{", "%", ".", "-", "\\begin{pmatrix}", "&",
                "\\\\", "\\end{pmatrix}", "!", "e", "\\pi", " ", "\\infty", "|", "2", "/", "*", "\\left(", "\\right)")
                .list().ofMaxSize(60).map(l -> String.join("", l));
    }

    @Property(tries = 300)
    void aFractionEqualsItsOtherSpellings(@ForAll @IntRange(min = -999, max = 999) int p,
            @ForAll @IntRange(min = 1, max = 999) int q) {
        BigInteger g = BigInteger.valueOf(p).gcd(BigInteger.valueOf(q));
        int a = p / g.intValue();
        int b = q / g.intValue();
        String frac = (a < 0 ? "-" : "") + "\\frac{" + Math.abs(a) + "}{" + b + "}";
        assertThat(GRADER.grade(frac, "\\boxed{" + a + "/" + b + "}").equal()).isTrue();
        assertThat(GRADER.grade(frac, "\\boxed{\\dfrac{" + (2 * a) + "}{" + (2 * b) + "}}").equal()).isTrue();
        if (isTerminating(b)) {
            String decimal = new java.math.BigDecimal(a).divide(new java.math.BigDecimal(b)).toPlainString();
            assertThat(GRADER.grade(frac, "The answer is $" + decimal + "$.").equal()).as(decimal).isTrue();
        }
        assertThat(GRADER.grade(frac, "\\boxed{" + (a + 1) + "/" + b + "}").equal()).isFalse();
    }

    private static boolean isTerminating(int b) {
        while (b % 2 == 0) {
            b /= 2;
        }
        while (b % 5 == 0) {
            b /= 5;
        }
        return b == 1;
    }

    @Property(tries = 200)
    void equivalenceIsSymmetricOnAnswers(@ForAll("answers") String a, @ForAll("answers") String b) {
        assertThat(GRADER.sameAnswer(a, b).equal()).isEqualTo(GRADER.sameAnswer(b, a).equal());
    }

    @Property(tries = 100)
    void everyAnswerEqualsItself(@ForAll("answers") String a) {
        assertThat(GRADER.sameAnswer(a, a).equal()).isTrue();
    }

    @Provide
    Arbitrary<String> answers() {
        return Arbitraries.of("3/4", "0.75", "\\frac{3}{4}", "75\\%", "x+1", "1+x", "(1,2)", "(2,1)", "\\{1,2\\}",
                "[0,1)", "(0,1]", "\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}", "2\\pi", "x^2-1", "(x-1)(x+1)", "y=2x+1",
                "2x-y+1=0", "x \\le 3", "3 \\ge x", "\\infty", "-\\infty", "1,000", "1000", "4.5e3", "4500",
                "\\text{(B)}", "B", "10^{3}", "e^{2}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}");
    }
}
