package io.seedstream.producers.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.seedstream.producers.prompts.PromptLine;
import io.seedstream.schemas.avro.Prompt;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ArithmeticTaskTest {

    private static final Pattern BOXED = Pattern.compile("\\\\boxed\\{(.*)\\}$");
    private static final Pattern LATEX = Pattern.compile("(-?)\\\\frac\\{(\\d+)\\}\\{(\\d+)\\}");

    /** The value a boxed form writes: 3/4, \frac{3}{4}, 0.75, 12.0. */
    private static Fraction valueOf(String form) {
        Matcher m = LATEX.matcher(form);
        if (m.matches()) {
            long n = Long.parseLong(m.group(2));
            return new Fraction(m.group(1).isEmpty() ? n : -n, Long.parseLong(m.group(3)));
        }
        if (form.contains("/")) {
            String[] parts = form.split("/");
            return new Fraction(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        }
        BigDecimal d = new BigDecimal(form);
        return new Fraction(d.unscaledValue().longValueExact(), BigDecimal.TEN.pow(Math.max(0, d.scale())).longValueExact());
    }

    @Test
    void sameSeedSameProblemsAndEveryLevelAppears() {
        List<TaskProblem> a = ArithmeticTask.generate(400, 42, 0);
        assertThat(ArithmeticTask.generate(400, 42, 0)).isEqualTo(a);
        assertThat(ArithmeticTask.generate(400, 43, 0)).isNotEqualTo(a);
        Set<Integer> levels = new HashSet<>();
        a.forEach(p -> levels.add(p.level()));
        assertThat(levels).containsExactlyInAnyOrder(1, 2, 3, 4);
        assertThat(ArithmeticTask.generate(50, 1, 3)).allSatisfy(p -> assertThat(p.level()).isEqualTo(3));
        assertThatThrownBy(() -> ArithmeticTask.generate(1, 1, 5)).hasMessageContaining("level");
    }

    @Test
    void everySolutionBoxesTheReferenceAnswerInOneOfSeveralForms() {
        Set<String> shapes = new HashSet<>();
        for (TaskProblem p : ArithmeticTask.generate(2000, 7, 0)) {
            Matcher m = BOXED.matcher(p.solution());
            assertThat(m.find()).as(p.solution()).isTrue();
            String form = m.group(1);
            assertThat(valueOf(form)).as(p.id() + ": " + form + " vs " + p.answer()).isEqualTo(valueOf(p.answer()));
            shapes.add(form.contains("\\frac") ? "latex" : form.contains("/") ? "slash" : form.contains(".") ? "decimal" : "int");
            for (char ch : (p.problem() + p.solution()).toCharArray()) {
                assertThat(ArithmeticTask.ALPHABET.indexOf(ch)).as("character '%s' of %s", ch, p.id()).isNotNegative();
            }
        }
        assertThat(shapes).containsExactlyInAnyOrder("latex", "slash", "decimal", "int");
    }

    @Test
    void exportedLinesLoadAsPrompts() throws Exception {
        TaskProblem p = ArithmeticTask.generate(1, 3, 3).get(0);
        Prompt prompt = PromptLine.parse("{\"id\": \"" + p.id() + "\", \"problem\": \"" + p.problem()
                + "\", \"answer\": \"" + p.answer() + "\"}", "task");
        assertThat(prompt.getId()).isEqualTo(p.id());
        assertThat(prompt.getAnswers()).containsExactly(p.answer());
    }

    @Test
    void fractionsReduceAndWriteThemselves() {
        Fraction f = new Fraction(6, -8);
        assertThat(f).isEqualTo(new Fraction(-3, 4));
        assertThat(f.plain()).isEqualTo("-3/4");
        assertThat(f.latex()).isEqualTo("-\\frac{3}{4}");
        assertThat(f.decimal()).isEqualTo("-0.75");
        assertThat(new Fraction(1, 3).hasFiniteDecimal()).isFalse();
        assertThat(Fraction.of(2).plus(new Fraction(1, 2)).times(Fraction.of(2))).isEqualTo(Fraction.of(5));
    }
}
