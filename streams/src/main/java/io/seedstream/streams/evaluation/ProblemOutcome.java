package io.seedstream.streams.evaluation;

import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.grading.StepVerifier;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.scoring.SemanticClusterer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one evaluation problem went at one policy version: the greedy answer (right, right with
 * every step true, its mode) and, when k samples were drawn, how many were right and whether
 * their majority answer was.
 *
 * @param level the problem's level (0 when the benchmark has none)
 * @param samples k (0 when only the greedy answer was asked for)
 * @param sampleModes how many of the k samples open with each mode label
 */
public record ProblemOutcome(String id, int level, boolean correct, boolean stepVerified, String mode, int samples,
        int samplesCorrect, boolean majorityCorrect, Map<String, Integer> sampleModes) {

    public ProblemOutcome {
        sampleModes = sampleModes == null ? Map.of() : Map.copyOf(sampleModes);
    }

    /** A decoded answer: its text and whether it ran out of tokens (a truncated answer is wrong). */
    public record Answer(String text, boolean truncated) {}

    /** A prompt's "level" metadata (the built-in task sets it), 0 when it has none or it is not a number. */
    public static int levelOf(Map<String, String> metadata) {
        try {
            return Integer.parseInt(metadata.getOrDefault("level", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Grades a problem's answers with the topology's grader and clustering by meaning. */
    public static ProblemOutcome grade(Grader grader, String id, int level, List<String> references, Answer greedy,
            List<Answer> samples) {
        boolean right = right(grader, references, greedy);
        boolean verified = right && StepVerifier.check(greedy.text()).allTrue();
        int c = 0;
        boolean majority = false;
        Map<String, Integer> modes = new TreeMap<>();
        if (!samples.isEmpty()) {
            List<String> extracted = new ArrayList<>(samples.size());
            boolean[] correct = new boolean[samples.size()];
            for (int i = 0; i < samples.size(); i++) {
                Answer a = samples.get(i);
                modes.merge(AnswerMode.of(a.text()), 1, Integer::sum);
                var e = a.truncated() ? null : grader.extract(a.text());
                extracted.add(e == null ? null : e.answer());
                correct[i] = right(grader, references, a);
                c += correct[i] ? 1 : 0;
            }
            int[] clusters = new SemanticClusterer(grader, ScoringConfig.Clustering.MATH).cluster(extracted);
            majority = MajorityVote.correct(clusters, correct);
        }
        return new ProblemOutcome(id, level, right, verified, AnswerMode.of(greedy.text()), samples.size(), c, majority,
                modes);
    }

    /**
     * A problem's samples graded on their own (they come in a result of their own): only the
     * sample fields mean anything; {@link #withSamplesOf} puts them beside the greedy answer's.
     */
    public static ProblemOutcome gradeSamples(Grader grader, String id, int level, List<String> references,
            List<Answer> samples) {
        ProblemOutcome o = grade(grader, id, level, references, new Answer("", true), samples);
        return new ProblemOutcome(id, level, false, false, AnswerMode.NONE, o.samples(), o.samplesCorrect(),
                o.majorityCorrect(), o.sampleModes());
    }

    /** This greedy outcome with the sample fields of {@code sampled} (the same problem). */
    public ProblemOutcome withSamplesOf(ProblemOutcome sampled) {
        return new ProblemOutcome(id, level, correct, stepVerified, mode, sampled.samples(), sampled.samplesCorrect(),
                sampled.majorityCorrect(), sampled.sampleModes());
    }

    private static boolean right(Grader grader, List<String> references, Answer a) {
        if (a.truncated()) {
            return false;
        }
        for (String ref : references) {
            if (grader.grade(ref, a.text()).equal()) {
                return true;
            }
        }
        return false;
    }
}
