package io.seedstream.streams.grading;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The answer forms the grader must know, each with an equal and an unequal case. */
class GraderTest {

    private final Grader grader = new Grader();

    @ParameterizedTest(name = "{0} == {1}")
    @CsvSource(delimiter = '|', value = {
        // integers, separators, decimals
        "1000000 | \\boxed{1,000,000}",
        "1000000 | \\boxed{1\\,000\\,000}",
        "1000000 | \\boxed{1 000 000}",
        "12 | \\boxed{12.0}",
        "0.5 | \\boxed{.5}",
        // scientific notation and tiny values
        "4.5e33 | \\boxed{4.5 \\times 10^{33}}",
        "870000000 | \\boxed{8.7\\times10^{8}}",
        "4.5e33 | \\boxed{4500000000000000000000000000000000}",
        "3.2 \\times 10^{-8} | \\boxed{3.2e-8}",
        // fractions, mixed numbers, radicals, pi, e
        "\\frac{3}{4} | \\boxed{0.75}",
        "3/4 | \\boxed{\\tfrac34}",
        "\\frac{5}{2} | \\boxed{2\\frac{1}{2}}",
        "\\frac{\\sqrt{2}}{2} | \\boxed{\\frac{1}{\\sqrt{2}}}",
        "2\\sqrt{3} | \\boxed{\\sqrt{12}}",
        "\\sqrt[3]{8} | \\boxed{2}",
        "2\\pi | \\boxed{\\pi \\cdot 2}",
        "e^{2} | \\boxed{\\exp(2)}",
        // percent, degrees, units, text
        "28\\% | \\boxed{28}",
        "28 | the answer is 28 percent",
        "0.28 | \\boxed{28\\%}",
        "90^\\circ | \\boxed{90}",
        "125 | \\boxed{125\\text{ miles}}",
        "10 | \\boxed{\\$10}",
        "\\text{(C)} | \\boxed{C}",
        "\\text{ellipse} | \\boxed{\\text{Ellipse}}",
        // labels, equations, inequalities
        "5 | \\boxed{x = 5}",
        "x + y = 1 | \\boxed{y = 1 - x}",
        "x \\geq 5 | \\boxed{5 \\le x}",
        "2k | \\boxed{2k}",
        "k + k | \\boxed{2k}",
        // sets, tuples, intervals, matrices, infinity
        "\\{1, 2, 3\\} | \\boxed{\\{3, 1, 2\\}}",
        "1, 2 | \\boxed{2, 1}",
        "(1, 2) | \\boxed{(1,2)}",
        "[0, 1) | \\boxed{[0,1)}",
        "(-\\infty, 0] \\cup [1, \\infty) | \\boxed{[1,\\infty) \\cup (-\\infty,0]}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix} | \\boxed{\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}}",
        "\\infty | \\boxed{+\\infty}",
        // polynomials and identities
        "x^2 - 1 | \\boxed{(x-1)(x+1)}",
        "\\tan^2(y) + 1 | \\boxed{\\sec^2 y}",
        "1 \\pm \\sqrt{2} | \\boxed{1+\\sqrt2, 1-\\sqrt2}",
    })
    void equal(String gold, String pred) {
        Grade g = grader.grade(gold, pred);
        assertThat(g.equal()).as("%s vs %s: %s", gold, pred, g.reason()).isTrue();
    }

    @ParameterizedTest(name = "{0} != {1}")
    @CsvSource(delimiter = '|', value = {
        "1000 | \\boxed{1001}",
        "4.5e33 | \\boxed{4.6 \\times 10^{33}}",
        "3.2e-8 | \\boxed{3.3e-8}",
        "1e-9 | \\boxed{0}",
        "\\frac{3}{4} | \\boxed{0.7}",
        "[0, 1) | \\boxed{[0,1]}",
        "(1, 2) | \\boxed{(2,1)}",
        "x \\geq 5 | \\boxed{x \\le 5}",
        "x + y = 1 | \\boxed{y = 1 + x}",
        "\\text{(C)} | \\boxed{D}",
        "2k | \\boxed{2m}",
        "x^2 - 1 | \\boxed{(x-1)^2}",
        "\\infty | \\boxed{-\\infty}",
        "7 = 11a + c | \\boxed{11a + c}",
    })
    void notEqual(String gold, String pred) {
        Grade g = grader.grade(gold, pred);
        assertThat(g.equal()).as("%s vs %s: %s", gold, pred, g.reason()).isFalse();
    }

    @Test
    void extractsTheFinalAnswer() {
        assertThat(grader.extract("first \\boxed{\\frac{1}{2}} is only half of it; checking every remaining case we get \\boxed{3}").answer()).isEqualTo("3");
        assertThat(grader.extract("We get \\boxed{1} and \\boxed{2}.").answer()).isEqualTo("1, 2");
        assertThat(grader.extract("<answer>42</answer>").answer()).isEqualTo("42");
        assertThat(grader.extract("Thus the answer is $x = 7$.").answer()).isEqualTo("x = 7");
        assertThat(grader.extract("I think it is 12 or maybe 13").answer()).isEqualTo("13");
        assertThat(grader.extract("no idea")).isNull();
        assertThat(grader.extract("\\boxed{unbalanced").answer()).isEqualTo("unbalanced");
    }

    @Test
    void toleranceIsConfigurable() {
        Grader loose = new Grader(GraderOptions.DEFAULT.withRelativeTolerance(1e-2));
        assertThat(grader.grade("3.14159", "\\boxed{3.14}").equal()).isFalse();
        assertThat(loose.grade("3.14159", "\\boxed{3.14}").equal()).isTrue();
    }

    @Test
    void repeatedPairsComeFromTheCache() {
        grader.grade("1/2", "\\boxed{0.5}");
        grader.grade("1/2", "\\boxed{0.5}");
        assertThat(grader.cacheHits()).isEqualTo(1);
        assertThat(grader.decisions()).isEqualTo(2);
    }
}
