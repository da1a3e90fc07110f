package io.seedstream.streams.grading;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Pathological inputs: each is decided within the time bound (plus scheduling slack), no
 * exception escapes, and memory does not grow with repetition. The bound is a correctness
 * property of the grader (a stream thread must never stall), not a speed target.
 */
class GraderFuzzTest {

    private static final Duration BOUND = Duration.ofMillis(500);
    private static final long SLACK_MS = 4_000;
    private final Grader grader = new Grader(GraderOptions.DEFAULT.withTimeout(BOUND));

    private Grade decide(String gold, String pred) {
        long t0 = System.nanoTime();
        Grade g = grader.grade(gold, pred);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("decision time for a %d-char input", pred.length()).isLessThan(BOUND.toMillis() + SLACK_MS);
        assertThat(g).isNotNull();
        return g;
    }

    @Test
    void tenThousandNestedBraces() {
        String deep = "{".repeat(10_000) + "1" + "}".repeat(10_000);
        assertThat(decide("1", "\\boxed{" + deep + "}").equal()).isFalse();
        decide(deep, "$" + deep + "$");
        decide("1", "(".repeat(10_000) + "1" + ")".repeat(10_000));
        decide("1", "\\frac{".repeat(5_000) + "1");
    }

    @Test
    void hugePowersAndTowersAndFactorialChains() {
        assertThat(decide("10^{100000}", "\\boxed{10^{100000}}").equal()).isTrue();
        assertThat(decide("10^{100000}", "\\boxed{10^{100001}}").equal()).isFalse();
        decide("2", "\\boxed{2^{2^{2^{2^{2^{2^{2^{2}}}}}}}}");
        decide("9^{9^{9^{9}}}", "\\boxed{9^{9^{9^{8}}}}");
        decide("1", "\\boxed{100!!!!!!}");
        decide("1", "\\boxed{((((10!)!)!)!)}");
        decide("1", "\\boxed{\\binom{1000000000}{500000000}}");
        assertThat(decide("120", "\\boxed{5!}").equal()).isTrue();
    }

    @Test
    void oneMegabyteInputs() {
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder noise = new StringBuilder();
        String alphabet = "0123456789abcxyz+-*/^_{}()[]$\\ ,.=<>!%&|";
        while (noise.length() < 1_000_000) {
            noise.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        decide("42", noise.toString());
        decide(noise.toString(), "42");
        decide("42", "x".repeat(1_000_000) + " the answer is \\boxed{42}");
        assertThat(decide("42", "word ".repeat(200_000) + "\\boxed{42}").equal()).isTrue();
        decide("1", "\\boxed{" + "1+".repeat(300_000) + "1}");
        decide("1", "$".repeat(1_000_000));
        decide("1", "\\boxed{".repeat(100_000));
    }

    @Test
    void randomStringsNeverThrow() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 2_000; i++) {
            int len = r.nextInt(1, 200);
            StringBuilder s = new StringBuilder();
            for (int j = 0; j < len; j++) {
                s.append((char) r.nextInt(32, 0x2200));
            }
            decide(s.toString(), "\\boxed{" + s + "}");
        }
    }

    @Test
    void memoryStaysBoundedUnderRepetition() {
        String big = "\\boxed{" + "1+".repeat(50_000) + "1}";
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 5; i++) {
            decide("1", big + i);
        }
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        for (int i = 0; i < 100; i++) {
            decide("1", big + i);
        }
        System.gc();
        long after = rt.totalMemory() - rt.freeMemory();
        // large inputs are never cached, so repetition must not accumulate memory
        assertThat(after - before).isLessThan(64L * 1024 * 1024);
    }

    @Test
    void aTimeoutIsNotEqualWithAReasonAndIsCounted() {
        Grader tight = new Grader(GraderOptions.DEFAULT.withTimeout(Duration.ofMillis(1)));
        Grade g = null;
        for (int i = 0; i < 50 && (g == null || !g.timedOut()); i++) {
            g = tight.grade("1", "\\boxed{" + "(x+1)*".repeat(3_000) + "1}" + i);
        }
        assertThat(g.timedOut()).isTrue();
        assertThat(g.equal()).isFalse();
        assertThat(g.reason()).startsWith("timeout");
        assertThat(tight.timeouts()).isPositive();
    }
}
