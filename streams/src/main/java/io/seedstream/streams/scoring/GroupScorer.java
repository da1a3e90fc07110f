package io.seedstream.streams.scoring;

import io.seedstream.schemas.ToolTokens;
import io.seedstream.streams.grading.Extraction;
import io.seedstream.streams.grading.Grade;
import io.seedstream.streams.grading.Grader;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores one group of answers: reward each answer against the references, cluster the group by
 * meaning, estimate cluster probabilities and semantic entropy, compute base advantages and
 * scale them by f(alpha * SE / ln G). The one implementation behind the topology and
 * {@code seedstream score}.
 */
public final class GroupScorer {

    /** One answer as scoring needs it. */
    public record ScorableAnswer(String text, double[] tokenLogprobs, boolean truncated) {}

    private final Grader grader;
    private final ScoringConfig config;
    private final SemanticClusterer clusterer;

    public GroupScorer(Grader grader, ScoringConfig config) {
        this.grader = grader;
        this.config = config;
        this.clusterer = new SemanticClusterer(grader, config.clustering());
    }

    public ScoringConfig config() {
        return config;
    }

    /**
     * The answers of a generated group as the scorer reads them (a truncated answer finished by length),
     * with the log-probs of the tokens the model sampled: a tool's reply was appended, not sampled, and
     * would make the answer look more likely than the model made it.
     */
    public static List<ScorableAnswer> answersOf(io.seedstream.schemas.avro.AnswerGroup g) {
        List<ScorableAnswer> out = new ArrayList<>(g.getAnswers().size());
        for (io.seedstream.schemas.avro.Answer a : g.getAnswers()) {
            float[] packed = io.seedstream.schemas.TokenArrays.floats(a.getTokenLogprobs());
            boolean[] model = ToolTokens.modelTokens(a, packed.length);
            double[] lps = new double[packed.length];
            int j = 0;
            for (int i = 0; i < packed.length; i++) {
                if (model[i]) {
                    lps[j++] = packed[i];
                }
            }
            lps = j == lps.length ? lps : java.util.Arrays.copyOf(lps, j);
            out.add(new ScorableAnswer(a.getText(), lps,
                    a.getFinishReason() == io.seedstream.schemas.avro.FinishReason.LENGTH));
        }
        return out;
    }

    /**
     * @param references accepted reference answers (any one counts as correct)
     * @throws IllegalArgumentException when a log-prob is not finite
     */
    public GroupScore score(List<String> references, List<ScorableAnswer> answers) {
        int g = answers.size();
        double[] rewards = new double[g];
        double[] meanLogprobs = new double[g];
        List<String> extracted = new ArrayList<>(g);
        int timeouts = 0;
        for (int i = 0; i < g; i++) {
            ScorableAnswer a = answers.get(i);
            meanLogprobs[i] = mean(a.tokenLogprobs(), i);
            Extraction e = grader.extract(a.text());
            extracted.add(e == null ? null : e.answer());
            if (!a.truncated() && e != null) { // truncated answers get 0 but are still clustered
                for (String ref : references) {
                    Grade grade = grader.gradeAnswer(ref, e.answer());
                    timeouts += grade.timedOut() ? 1 : 0;
                    if (grade.equal()) {
                        rewards[i] = 1.0;
                        break;
                    }
                }
            }
        }
        int[] ids = clusterer.cluster(extracted);
        SemanticEntropy.Result se = SemanticEntropy.compute(ids, meanLogprobs, config.estimator());
        double scale = EntropyModulation.scale(se.entropy(), g, config.modulation(), config.alpha());
        double[] adv = Advantages.compute(rewards, config.advantage());
        double[] scaled = new double[g];
        for (int i = 0; i < g; i++) {
            scaled[i] = scale * adv[i];
        }
        return new GroupScore(extracted, rewards, ids, se.clusterProbs(), se.entropy(), scale, adv, scaled, timeouts);
    }

    /** l_i: the length-normalised log-likelihood of an answer (0 for an empty answer). */
    private static double mean(double[] logprobs, int answer) {
        if (logprobs.length == 0) {
            return 0;
        }
        double s = 0;
        for (double lp : logprobs) {
            if (!Double.isFinite(lp)) {
                throw new IllegalArgumentException("answer " + answer + " has a non-finite log-prob (" + lp + ")");
            }
            s += lp;
        }
        return s / logprobs.length;
    }
}
