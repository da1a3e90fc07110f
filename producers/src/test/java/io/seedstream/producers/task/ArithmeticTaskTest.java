package io.seedstream.producers.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.seedstream.producers.prompts.PromptLine;
import io.seedstream.schemas.avro.Prompt;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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
            Matcher m = BOXED.matcher(p.solution(SolutionMode.STEPS));
            assertThat(m.find()).as(p.solution(SolutionMode.STEPS)).isTrue();
            String form = m.group(1);
            assertThat(valueOf(form)).as(p.id() + ": " + form + " vs " + p.answer()).isEqualTo(valueOf(p.answer()));
            shapes.add(form.contains("\\frac") ? "latex" : form.contains("/") ? "slash" : form.contains(".") ? "decimal" : "int");
            for (char ch : (p.problem() + p.solution(SolutionMode.STEPS)).toCharArray()) {
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

    /**
     * The evaluation split is disjoint from every training set the project makes: the shipped warm
     * start's supervised problems (`task sft --seed 2`, 50,000), the default warm start's (seed 0),
     * and the RL prompts `up` loads (`task export --n 2000 --seed 0`); the held-out set the
     * dispatcher evaluates on (500 problems, its default) keeps the training level mix.
     */
    @Test
    void heldOutProblemsShareNoTextWithAnySupervisedOrRlSet() {
        List<TaskProblem> heldOut = ArithmeticTask.heldOut(500, 0, Set.of());
        Set<String> texts = new HashSet<>();
        heldOut.forEach(p -> texts.add(p.problem()));
        assertThat(texts).hasSize(500);
        for (long[] set : new long[][] {{50_000, 2}, {50_000, 0}, {2_000, 0}}) {
            for (TaskProblem p : ArithmeticTask.generate((int) set[0], set[1], 0)) {
                assertThat(texts).as("training problem %s (seed %d) is a held-out text", p.id(), set[1])
                        .doesNotContain(p.problem());
            }
        }
        Map<Integer, Long> levels = heldOut.stream().collect(Collectors.groupingBy(TaskProblem::level, Collectors.counting()));
        assertThat(levels).containsOnly(Map.entry(1, 125L), Map.entry(2, 125L), Map.entry(3, 125L), Map.entry(4, 125L));
        assertThat(ArithmeticTask.heldOut(500, 0, Set.of())).isEqualTo(heldOut);
        // a text the caller already uses (e.g. a user's prompt) is left out too
        Set<String> exclude = Set.of(heldOut.get(0).problem());
        assertThat(ArithmeticTask.heldOut(500, 0, exclude)).extracting(TaskProblem::problem).doesNotContain(heldOut.get(0).problem());
    }

    /** Within a level, the held-out set draws templates in the proportions training does (no template runs dry). */
    @Test
    void heldOutTemplatesFollowTheTrainingMix() {
        Map<String, Long> train = templates(ArithmeticTask.generate(20_000, 9, 0));
        Map<String, Long> held = templates(ArithmeticTask.heldOut(2_000, 9, Set.of()));
        for (var e : train.entrySet()) {
            double trainShare = e.getValue() / 20_000.0;
            double heldShare = held.getOrDefault(e.getKey(), 0L) / 2_000.0;
            assertThat(heldShare).as("template '%s'", e.getKey()).isCloseTo(trainShare, within(0.03));
        }
    }

    /** A template's identity: the problem with its numbers, names and items taken out. */
    private static Map<String, Long> templates(List<TaskProblem> ps) {
        return ps.stream().collect(Collectors.groupingBy(p -> p.problem().replaceAll("[0-9/]+", "#")
                .replaceAll("\\b[A-Z][a-z]+('s)?\\b", "N").replaceAll("(apples|marbles|stickers|pencils|cookies|shells|"
                        + "stamps|beads|cards|books)", "I"), Collectors.counting()));
    }

    @Test
    void everyModeWritesTheSameStepsItsOwnWay() {
        TaskProblem p = ArithmeticTask.generate(400, 3, 2).stream()
                .filter(x -> x.solution(SolutionMode.STEPS).contains("+1") || x.solution(SolutionMode.STEPS).contains("-2"))
                .filter(x -> !x.solution(SolutionMode.CAREFUL).equals(x.solution(SolutionMode.STEPS).replace("Steps:", "Careful:")))
                .findFirst().orElseThrow();
        assertThat(p.solution(SolutionMode.DIRECT)).isEqualTo("Answer: \\boxed{" + p.boxed() + "}");
        assertThat(p.solution(SolutionMode.STEPS)).startsWith("Steps: ").endsWith(" \\boxed{" + p.boxed() + "}");
        assertThat(p.solution(SolutionMode.CAREFUL)).startsWith("Careful: ").endsWith(" \\boxed{" + p.boxed() + "}");
        Step s = new Step(Fraction.of(63), '-', Fraction.of(27), Fraction.of(36));
        assertThat(s.written()).isEqualTo("63-27=36.");
        assertThat(s.carefully()).isEqualTo("63-27: 63-20=43. 43-7=36.");
        assertThat(new Step(Fraction.of(8), '+', Fraction.of(20), Fraction.of(28)).carefully()).isEqualTo("8+20=28.");
        assertThat(new Step(Fraction.of(6), '*', Fraction.of(12), Fraction.of(72)).carefully()).isEqualTo("6*12=72.");
    }

    @Test
    void optionsOfferTheAnswerAmongThreeSlips() {
        for (TaskProblem p : ArithmeticTask.generate(500, 4, 0)) {
            TaskProblem o = ArithmeticTask.withOptions(p, 4);
            assertThat(o.problem()).startsWith(p.problem() + " Options: ").endsWith(".");
            assertThat(ArithmeticTask.withOptions(p, 4)).isEqualTo(o);
            String[] options = o.problem().substring(p.problem().length() + " Options: ".length(), o.problem().length() - 1)
                    .split(", ");
            assertThat(options).hasSize(4).doesNotHaveDuplicates().contains(p.answer());
            assertThat(o.answer()).isEqualTo(p.answer());
            for (String x : options) {
                assertThat(x).doesNotStartWith("-");
            }
            for (char ch : o.problem().toCharArray()) {
                assertThat(ArithmeticTask.ALPHABET.indexOf(ch)).isNotNegative();
            }
        }
    }

    /** A share of a list offers options, the same problems for any share, and the rest are left as they were. */
    @Test
    void aShareOfTheProblemsOffersOptions() {
        List<TaskProblem> problems = ArithmeticTask.generate(2_000, 5, 0);
        List<TaskProblem> some = ArithmeticTask.withOptions(problems, 0.3, 5);
        assertThat(ArithmeticTask.withOptions(problems, 0.0, 5)).isEqualTo(problems);
        assertThat(ArithmeticTask.withOptions(problems, 1.0, 5)).allMatch(p -> ArithmeticTask.offersOptions(p.problem()));
        long offered = some.stream().filter(p -> ArithmeticTask.offersOptions(p.problem())).count();
        assertThat(offered).isBetween(520L, 680L);
        for (int i = 0; i < problems.size(); i++) {
            TaskProblem p = some.get(i);
            assertThat(p).isEqualTo(ArithmeticTask.offersOptions(p.problem())
                    ? ArithmeticTask.withOptions(problems.get(i), 5) : problems.get(i));
        }
        assertThatThrownBy(() -> ArithmeticTask.withOptions(problems, 1.5, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
