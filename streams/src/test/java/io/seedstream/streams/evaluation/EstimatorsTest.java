package io.seedstream.streams.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.grading.StepVerifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Each evaluation estimator against brute force or hand-made cases. */
class EstimatorsTest {

    /** The share of the C(n, k) subsets of k samples that hold at least one right one, by enumeration. */
    private static double passAtKByEnumeration(int n, int c, int k) {
        int subsets = 0;
        int hit = 0;
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) != k) {
                continue;
            }
            subsets++;
            hit += (mask & ((1 << c) - 1)) != 0 ? 1 : 0; // samples 0..c-1 are the right ones
        }
        return (double) hit / subsets;
    }

    @Test
    void passAtKIsTheShareOfKSubsetsWithARightSample() {
        for (int n = 1; n <= 12; n++) {
            for (int c = 0; c <= n; c++) {
                for (int k = 1; k <= n; k++) {
                    assertThat(PassAtK.estimate(n, c, k)).as("n=%d c=%d k=%d", n, c, k)
                            .isCloseTo(passAtKByEnumeration(n, c, k), within(1e-12));
                }
            }
        }
        assertThat(PassAtK.estimate(8, 3, 1)).isCloseTo(3 / 8.0, within(1e-15)); // pass@1 is the mean
        assertThatThrownBy(() -> PassAtK.estimate(4, 1, 5)).hasMessageContaining("k <= n");
    }

    @Test
    void majorityVoteSubmitsTheLargestClusterAndBreaksTiesBySampleOrder() {
        // clusters of answers: 0 = "12" (right), 1 = "13", 2 and 3 = no answer
        assertThat(MajorityVote.correct(new int[] {1, 0, 0, 1, 0}, new boolean[] {false, true, true, false, true})).isTrue();
        assertThat(MajorityVote.correct(new int[] {1, 0, 1, 2}, new boolean[] {false, true, false, false})).isFalse();
        // a 2-2 tie: the cluster that got to two first wins
        assertThat(MajorityVote.correct(new int[] {0, 1, 1, 0}, new boolean[] {true, false, false, true})).isFalse();
        assertThat(MajorityVote.correct(new int[] {0, 1, 0, 1}, new boolean[] {true, false, true, false})).isTrue();
        // one right answer among answerless samples: each answerless sample is its own cluster of one
        assertThat(MajorityVote.correct(new int[] {0, 1, 2}, new boolean[] {false, true, false})).isFalse();
        assertThatThrownBy(() -> MajorityVote.correct(new int[0], new boolean[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void majorityVoteAgreesWithCountingEveryClusterOnRandomVotes() {
        SplittableRandom r = new SplittableRandom(5);
        for (int t = 0; t < 2000; t++) {
            int n = 1 + r.nextInt(9);
            int[] clusters = new int[n];
            boolean[] correct = new boolean[n];
            for (int i = 0; i < n; i++) {
                clusters[i] = r.nextInt(4);
                correct[i] = clusters[i] == 0;
            }
            // brute force: count every cluster, take the largest; on a tie, the one whose count reached it first
            Map<Integer, Integer> counts = new HashMap<>();
            Arrays.stream(clusters).forEach(c -> counts.merge(c, 1, Integer::sum));
            int top = counts.values().stream().max(Integer::compare).orElseThrow();
            int winner = -1;
            Map<Integer, Integer> running = new HashMap<>();
            for (int c : clusters) {
                if (running.merge(c, 1, Integer::sum) == top && winner < 0) {
                    winner = c;
                }
            }
            assertThat(MajorityVote.correct(clusters, correct)).isEqualTo(winner == 0);
        }
    }

    @Test
    void bootstrapIntervalMatchesTheExactBootstrapDistribution() {
        // n = 4 values: all 4^4 = 256 resamples are equally likely; compare quantiles of the exact distribution
        double[] v = {0, 1, 1, 0.5};
        List<Double> exact = new ArrayList<>();
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 4; d++) {
                        exact.add((v[a] + v[b] + v[c] + v[d]) / 4);
                    }
                }
            }
        }
        exact.sort(Double::compare);
        Bootstrap.Interval i = Bootstrap.mean(v, 50_000, 0.95, 3);
        assertThat(i.mean()).isEqualTo(0.625);
        assertThat(i.low()).isCloseTo(exact.get((int) (0.025 * 255)), within(0.0626));
        assertThat(i.high()).isCloseTo(exact.get((int) Math.ceil(0.975 * 255)), within(0.0626));
        assertThat(Bootstrap.mean(v, 1)).isEqualTo(Bootstrap.mean(v, 1)); // seeded
    }

    @Test
    void bootstrapIntervalsCoverTheTrueAccuracyAboutNineteenTimesInTwenty() {
        SplittableRandom r = new SplittableRandom(11);
        int covered = 0;
        int rounds = 300;
        for (int t = 0; t < rounds; t++) {
            double[] outcomes = new double[200];
            for (int i = 0; i < outcomes.length; i++) {
                outcomes[i] = r.nextDouble() < 0.6 ? 1 : 0;
            }
            Bootstrap.Interval i = Bootstrap.mean(outcomes, 1000, 0.95, t);
            covered += i.low() <= 0.6 && 0.6 <= i.high() ? 1 : 0;
        }
        assertThat(covered / (double) rounds).isBetween(0.90, 0.99);
    }

    @Test
    void pairedDifferenceResamplesProblemsNotRounds() {
        double[] before = {0, 0, 1, 1, 0, 1, 0, 0, 1, 0};
        double[] after = {1, 0, 1, 1, 1, 1, 0, 1, 1, 0};
        Bootstrap.Interval d = Bootstrap.pairedDifference(before, after, 7);
        assertThat(d.mean()).isCloseTo(0.3, within(1e-12));
        assertThat(d.low()).isGreaterThanOrEqualTo(0.0); // no problem got worse: no resample can go below zero
        assertThatThrownBy(() -> Bootstrap.pairedDifference(new double[2], new double[3], 1))
                .hasMessageContaining("same problems");
    }

    @Test
    void stepVerifierCountsRightWrongAndLuckyAnswers() {
        // right answer, right steps
        assertThat(StepVerifier.check("Steps: 9*3=27. 27+11=38. \\boxed{38}")).isEqualTo(new StepVerifier.Check(2, 0));
        // careful mode: the heading "27+11:" is not a step, its parts are
        assertThat(StepVerifier.check("Careful: 9*3=27. 27+11: 27+10=37. 37+1=38. \\boxed{38}"))
                .isEqualTo(new StepVerifier.Check(3, 0));
        // fractions, a fraction operand after '*', and a wrong last step
        assertThat(StepVerifier.check("Steps: 5+2=7. 7*5/7=5. 7-5=3. \\boxed{3}")).isEqualTo(new StepVerifier.Check(3, 1));
        assertThat(StepVerifier.check("1/2+1/3=5/6. 0.5*4=2. 12/4=3. -3+5=2.")).isEqualTo(new StepVerifier.Check(4, 0));
        // lucky: the boxed answer is right, a step is not
        assertThat(StepVerifier.check("Steps: 21-5=9. 9+7=23. \\boxed{23}").allTrue()).isFalse();
        // no steps at all: nothing false
        assertThat(StepVerifier.check("Answer: \\boxed{23}")).isEqualTo(new StepVerifier.Check(0, 0));
        assertThat(StepVerifier.check("4/0=1. 3-1=2.")).isEqualTo(new StepVerifier.Check(2, 1));
    }

    @Test
    void problemOutcomesSummariseByLevelWithEveryMeasure() {
        Grader grader = new Grader();
        var steps = new ProblemOutcome.Answer("Steps: 9*3=27. 27+11=38. \\boxed{38}", false);
        var lucky = new ProblemOutcome.Answer("Steps: 9*3=26. 26+11=38. \\boxed{38}", false);
        var wrong = new ProblemOutcome.Answer("Answer: \\boxed{37}", false);
        var cut = new ProblemOutcome.Answer("Steps: 9*3=27. 27+11=38. \\boxed{38}", true);
        ProblemOutcome a = ProblemOutcome.grade(grader, "a", 2, List.of("38"), steps, List.of(steps, wrong, wrong, lucky));
        ProblemOutcome b = ProblemOutcome.grade(grader, "b", 2, List.of("38"), lucky, List.of(wrong, wrong, cut, wrong));
        ProblemOutcome c = ProblemOutcome.grade(grader, "c", 1, List.of("38"), wrong, List.of(steps, steps, wrong, wrong));
        assertThat(a).isEqualTo(new ProblemOutcome("a", 2, true, true, "steps", 4, 2, false,
                Map.of("steps", 2, "answer", 2))); // 38 37 37 38: 37 leads first
        assertThat(b).isEqualTo(new ProblemOutcome("b", 2, true, false, "steps", 4, 0, false,
                Map.of("answer", 3, "steps", 1)));
        assertThat(c).isEqualTo(new ProblemOutcome("c", 1, false, false, "answer", 4, 2, true,
                Map.of("steps", 2, "answer", 2))); // a 2-2 tie, "38" first

        List<EvalSummary> s = EvalSummary.byLevel(List.of(a, b, c), 1);
        assertThat(s).extracting(EvalSummary::group).containsExactly("all", "L1", "L2");
        EvalSummary all = s.get(0);
        assertThat(all.passAt1().mean()).isCloseTo(2 / 3.0, within(1e-12));
        assertThat(all.stepVerifiedPassAt1()).isCloseTo(1 / 3.0, within(1e-12));
        assertThat(all.meanAtK()).isCloseTo(4 / 12.0, within(1e-12));
        assertThat(all.passAtK()).isCloseTo(2 / 3.0, within(1e-12)); // k = n: any right sample
        assertThat(all.majorityAtK()).isCloseTo(1 / 3.0, within(1e-12));
        assertThat(all.modeShares()).containsEntry("steps", 2 / 3.0).containsEntry("answer", 1 / 3.0);
        assertThat(all.sampleModeShares()).containsEntry("steps", 5 / 12.0).containsEntry("answer", 7 / 12.0);
        assertThat(EvalSummary.pairedChange(List.of(a, b, c), List.of(c, a), 1).mean()).isCloseTo(0, within(1e-12));
    }
}
