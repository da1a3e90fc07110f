package io.seedstream.trainer;

import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.ToolTokens;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a training batch into the answers of an update: groups outside the staleness bound are
 * left out (and counted by the gate), a group that cannot be trained on is reported with the
 * reason. The scaled advantages are the scorer's, as they came.
 */
final class BatchSamples {

    /** The trainable answers of a batch and the groups left out, with reasons. */
    record Selection(List<TrainingSample> samples, List<ScoredGroup> usedGroups, List<String> invalid) {}

    private BatchSamples() {}

    /**
     * The admitted groups' samples. A group whose tokens are not ids of the policy's vocabulary is
     * invalid, whatever its version: validity is checked before staleness, so bad input is always a
     * dead letter and never passes as merely stale.
     */
    static Selection select(TrainingBatch batch, long trainerVersion, StalenessGate gate, int vocabSize) {
        List<TrainingSample> samples = new ArrayList<>();
        List<ScoredGroup> used = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (ScoredGroup g : batch.getGroups()) {
            AnswerGroup rollout = g.getRollout();
            List<TrainingSample> own;
            try {
                own = samplesOf(g, vocabSize);
            } catch (IllegalArgumentException e) {
                invalid.add("group " + rollout.getRequestId() + " of prompt " + rollout.getPromptId() + ": "
                        + e.getMessage());
                continue;
            }
            if (gate.admit(rollout.getPolicyVersion(), trainerVersion)) {
                samples.addAll(own);
                used.add(g);
            }
        }
        return new Selection(samples, used, invalid);
    }

    static List<TrainingSample> samplesOf(ScoredGroup g, int vocabSize) {
        AnswerGroup rollout = g.getRollout();
        int[] prompt = inVocabulary(TokenArrays.ints(rollout.getPromptTokenIds()), vocabSize, "prompt");
        List<Answer> answers = rollout.getAnswers();
        if (g.getScaledAdvantages().size() != answers.size()) {
            throw new IllegalArgumentException(answers.size() + " answers but " + g.getScaledAdvantages().size()
                    + " advantages");
        }
        // the old log-probs are those of softmax(logits / T): the trainer's must be at the same T
        double temperature = rollout.getSampling() == null ? 1.0 : rollout.getSampling().getTemperature();
        List<TrainingSample> out = new ArrayList<>(answers.size());
        for (int i = 0; i < answers.size(); i++) {
            Answer a = answers.get(i);
            int[] ids = inVocabulary(TokenArrays.ints(a.getTokenIds()), vocabSize, "answer " + i);
            String calls = ToolTokens.problem(a, ids.length);
            if (calls != null) {
                throw new IllegalArgumentException("answer " + i + ": " + calls);
            }
            out.add(new TrainingSample(prompt, ids, TokenArrays.floats(a.getTokenLogprobs()),
                    g.getScaledAdvantages().get(i), rollout.getPolicyVersion(), temperature,
                    ToolTokens.any(a) ? ToolTokens.modelTokens(a, ids.length) : null));
        }
        return out;
    }

    /** The ids, when every one indexes the embedding (an id outside it would fail inside the engine mid-update). */
    private static int[] inVocabulary(int[] ids, int vocabSize, String where) {
        for (int id : ids) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException(where + " has token id " + id + ", outside the vocabulary [0, "
                        + vocabSize + ")");
            }
        }
        return ids;
    }
}
