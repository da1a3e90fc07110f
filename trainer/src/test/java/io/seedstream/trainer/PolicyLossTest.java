package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hand-computed values of the clipped loss, its gradient, each aggregation, KL and the decoupled correction. */
class PolicyLossTest {

    private static final double EPS = 1e-6;

    /** One token, eps 0.2 both sides: loss and d loss / d logp. */
    @ParameterizedTest(name = "A={0}, ratio={1}")
    @CsvSource({
        // advantage, ratio, loss, gradient wrt logp, clipped term active
        " 1, 1.1, -1.1, -1.1, false", // inside the range: -A rho
        " 1, 1.5, -1.2,  0.0, true", // above, A > 0: clipped at 1 + eps_high, no gradient
        " 1, 0.5, -0.5, -0.5, false", // below, A > 0: the unclipped (larger) term wins
        "-1, 1.1,  1.1,  1.1, false", // inside, A < 0
        "-1, 1.5,  1.5,  1.5, false", // above, A < 0: unclipped wins, gradient flows
        "-1, 0.5,  0.8,  0.0, true", // below, A < 0: clipped at 1 - eps_low
    })
    void clipInEveryCase(double advantage, double ratio, double loss, double grad, boolean clipped) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray old = m.create(new float[][] {{-2f}});
            NDArray logp = m.create(new float[][] {{(float) (-2 + Math.log(ratio))}});
            logp.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                PolicyLoss.Terms t = PolicyLoss.compute(logp, m.ones(logp.getShape()), old, null, null,
                        m.create(new float[][] {{(float) advantage}}), LossSettings.defaults(),
                        new PolicyLoss.Normalizer(1, 1, 1));
                gc.backward(t.loss());
                assertThat((double) t.loss().getFloat()).isCloseTo(loss, within(EPS));
                assertThat(t.clippedTokens()).isEqualTo(clipped ? 1.0 : 0.0);
            }
            assertThat((double) logp.getGradient().getFloat(0, 0)).isCloseTo(grad, within(EPS));
        }
    }

    @Test
    void clipHigherWidensOnlyTheUpperSide() {
        LossSettings s = LossSettings.defaults().withClip(0.2, 0.28);
        assertThat(single(1, 1.5, s)).isCloseTo(-1.28, within(EPS));
        assertThat(single(-1, 0.5, s)).isCloseTo(0.8, within(EPS));
    }

    /** Two answers of 2 and 1 tokens at ratio 1 with advantages 1 and 3: token losses -1, -1 | -3. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "constant,   -0.625", // (-2 - 3) / (max length 4 * 2 answers)
        "token-mean, -1.6666666667", // -5 / 3 tokens
        "seq-mean,   -2.0", // (-2/2 + -3/1) / 2
    })
    void aggregations(String mode, double expected) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logp = m.create(new float[][] {{-1f, -2f}, {-0.5f, 0f}});
            NDArray mask = m.create(new float[][] {{1f, 1f}, {1f, 0f}});
            LossSettings s = LossSettings.defaults().withAggregation(Aggregation.parse(mode), 4);
            PolicyLoss.Terms t = PolicyLoss.compute(logp, mask, logp.duplicate(), null, null,
                    m.create(new float[][] {{1f}, {3f}}), s, new PolicyLoss.Normalizer(2, 3, 4));
            assertThat((double) t.loss().getFloat()).isCloseTo(expected, within(EPS));
        }
    }

    @Test
    void constantAggregationDefaultsToTheLongestCompletionOfTheStep() {
        var step = java.util.List.of(
                new TrainingSample(new int[] {1}, new int[] {2, 3, 4}, new float[] {-1, -1, -1}, 1, 0),
                new TrainingSample(new int[] {1}, new int[] {2}, new float[] {-1}, 1, 0));
        assertThat(PolicyLoss.Normalizer.of(step, LossSettings.defaults())).isEqualTo(new PolicyLoss.Normalizer(2, 4, 3));
        assertThat(PolicyLoss.Normalizer.of(step, LossSettings.defaults().withAggregation(Aggregation.CONSTANT, 16)))
                .isEqualTo(new PolicyLoss.Normalizer(2, 4, 16));
    }

    /** Advantage 0, logp -1, reference -1.5: k1 = 0.5; k3 = e^-0.5 + 0.5 - 1 = 0.1065306597. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"k1, 0.05", "k3, 0.01065306597"})
    void klPenalty(String estimator, double expected) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logp = m.create(new float[][] {{-1f}});
            LossSettings s = LossSettings.defaults().withKl(0.1, KlEstimator.parse(estimator));
            PolicyLoss.Terms t = PolicyLoss.compute(logp, m.ones(logp.getShape()), logp.duplicate(), null,
                    m.create(new float[][] {{-1.5f}}), m.create(new float[][] {{0f}}), s,
                    new PolicyLoss.Normalizer(1, 1, 1));
            assertThat((double) t.loss().getFloat()).isCloseTo(expected, within(EPS));
            assertThat(t.referenceKlSum()).isCloseTo(expected * 10, within(EPS));
        }
    }

    /**
     * Behaviour log-prob -2, current (= proximal) -1: rho against the proximal policy is 1, the
     * importance weight pi_prox / pi_behaviour = e, truncated at the cap.
     */
    @ParameterizedTest(name = "cap {0}")
    @CsvSource({"5.0, -2.718281828", "2.0, -2.0"})
    void decoupledCorrection(double cap, double expected) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logp = m.create(new float[][] {{-1f}});
            logp.setRequiresGradient(true);
            LossSettings s = LossSettings.defaults().withDecoupled(true, cap);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                PolicyLoss.Terms t = PolicyLoss.compute(logp, m.ones(logp.getShape()), m.create(new float[][] {{-2f}}),
                        logp.stopGradient(), null, m.create(new float[][] {{1f}}), s, new PolicyLoss.Normalizer(1, 1, 1));
                gc.backward(t.loss());
                assertThat((double) t.loss().getFloat()).isCloseTo(expected, within(EPS));
            }
            // d/dlogp of -A * w * exp(logp - prox) at logp = prox is -A * w
            assertThat((double) logp.getGradient().getFloat(0, 0)).isCloseTo(expected, within(EPS));
        }
    }

    @Test
    void withoutDecouplingARatioOutsideTheRangeIsClippedAgainstTheBehaviourPolicy() {
        // the same numbers without the correction: rho = e against the behaviour policy, clipped at 1.2
        assertThat(single(1, Math.E, LossSettings.defaults())).isCloseTo(-1.2, within(EPS));
    }

    private static double single(double advantage, double ratio, LossSettings s) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray old = m.create(new float[][] {{-2f}});
            NDArray logp = m.create(new float[][] {{(float) (-2 + Math.log(ratio))}});
            return PolicyLoss.compute(logp, m.ones(logp.getShape()), old, null, null,
                    m.create(new float[][] {{(float) advantage}}), s, new PolicyLoss.Normalizer(1, 1, 1)).loss().getFloat();
        }
    }
}
