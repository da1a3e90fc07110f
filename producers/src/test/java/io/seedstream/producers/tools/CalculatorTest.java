package io.seedstream.producers.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CalculatorTest {

    private final Calculator calc = new Calculator();

    private ToolReply call(String expression) {
        return calc.call(expression, Duration.ofSeconds(1));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "21-5 | 16",
        "14+10 | 24",
        "2+3*4 | 14",
        "(2+3)*4 | 20",
        "7/3 | 7/3",
        "1/3+1/6 | 1/2",
        "0.1+0.2 | 3/10",
        "-3*-3 | 9",
        "2^10 | 1024",
        "2^3^2 | 512",
        "2^-2 | 1/4",
        "1,000*3 | 3000",
        "12 × 3 ÷ 4 | 9",
        "  ( ( 5 ) )  | 5",
    })
    void answersExactly(String expression, String expected) {
        ToolReply r = call(expression);
        assertThat(r.status()).isEqualTo(ToolReply.Status.OK);
        assertThat(r.text()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "'' | empty expression",
        "1/0 | division by zero",
        "0^-1 | division by zero",
        "2+ | expression ends too early",
        "2*x | unexpected 'x' at position 3",
        "(1+2 | missing ')'",
        "1.2.3 | malformed number",
        "2^0.5 | is not an integer",
        "2^65 | is not an integer within +-64",
        "10^64*10^64*10^64 | number too large",
    })
    void aMalformedOrOverLimitCallIsAnErrorText(String expression, String why) {
        ToolReply r = call(expression);
        assertThat(r.status()).isEqualTo(ToolReply.Status.ERROR);
        assertThat(r.text()).startsWith("error: ").contains(why);
    }

    @Test
    void everyCallOfTheTasksCalcSolutionsGetsTheResultTheSolutionWrites() {
        java.util.regex.Pattern call = java.util.regex.Pattern.compile("<calc>(.*?)</calc><result>(.*?)</result>");
        int calls = 0;
        for (int level = 1; level <= io.seedstream.producers.task.ArithmeticTask.LEVELS; level++) {
            for (io.seedstream.producers.task.TaskProblem p : io.seedstream.producers.task.ArithmeticTask.generate(500,
                    7, level)) {
                String solution = p.solution(io.seedstream.producers.task.SolutionMode.CALC);
                assertThat(solution).startsWith("Calc: <calc>");
                java.util.regex.Matcher m = call.matcher(solution);
                while (m.find()) {
                    assertThat(call(m.group(1))).as(solution).isEqualTo(ToolReply.ok(m.group(2)));
                    calls++;
                }
            }
        }
        assertThat(calls).isGreaterThan(2_000);
    }

    @Test
    void lengthAndNestingAreBounded() {
        assertThat(call("1+".repeat(100) + "1").text()).contains("longer than 200 characters");
        assertThat(call("(".repeat(40) + "1" + ")".repeat(40)).text()).contains("nested deeper than 32");
        assertThat(call("-".repeat(60) + "1").text()).contains("nested deeper than 32");
        assertThat(call("(".repeat(30) + "1" + ")".repeat(30)).text()).isEqualTo("1");
    }
}
