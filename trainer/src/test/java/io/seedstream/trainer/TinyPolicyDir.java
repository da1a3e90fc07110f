package io.seedstream.trainer;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.CharacterTokenizer;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.SafeTensors;
import io.seedstream.model.Weights;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/** A random tiny policy saved as a Hugging Face directory, and batches of answers in its vocabulary. */
public final class TinyPolicyDir {

    static final String ALPHABET = "0123456789+-*/=.";
    static final int VOCAB = CharacterTokenizer.vocabularySize(List.of("<eos>"), ALPHABET);
    static final ModelConfig CONFIG = new ModelConfig("qwen2", VOCAB, 16, 32, 2, 4, 2, 4, 1e-6, 10000, true, true,
            64, 0, 0);

    private TinyPolicyDir() {}

    public static Path create(Path dir, long seed) throws IOException {
        return create(dir, seed, SafeTensors.DType.F32);
    }

    /** Saved in the given dtype, as a hub checkpoint in bf16 is. */
    public static Path create(Path dir, long seed, SafeTensors.DType dtype) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(CONFIG, seed, m)) {
            Checkpoints.save(dir, CONFIG, w, CharacterTokenizer.json(List.of("<eos>"), ALPHABET),
                    new Checkpoints.SaveOptions(dtype, Checkpoints.MAX_SHARD_BYTES));
        }
        return dir;
    }

    /** A batch of {@code groups} groups of 4 answers from policy {@code version}, deterministic in {@code seed}. */
    public static TrainingBatch batch(String id, int groups, long version, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ScoredGroup> out = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int[] prompt = ids(r, 3 + r.nextInt(4));
            List<Answer> answers = new ArrayList<>();
            List<Double> adv = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = 1 + r.nextInt(6);
                float[] lp = new float[n];
                for (int t = 0; t < n; t++) {
                    lp[t] = (float) -(0.5 + 3 * r.nextDouble());
                }
                answers.add(Answer.newBuilder().setText("x").setTokenIds(TokenArrays.ofInts(ids(r, n)))
                        .setTokenLogprobs(TokenArrays.ofFloats(lp))
                        .setFinishReason(FinishReason.STOP).build());
                adv.add(i % 2 == 0 ? 0.5 : -0.5);
            }
            AnswerGroup rollout = AnswerGroup.newBuilder().setRequestId(id + "-" + g).setPromptId("p" + g)
                    .setPolicyVersion(version).setGeneratorId("test").setGroupSize(4).setPromptTokenIds(TokenArrays.ofInts(prompt))
                    .setAnswers(answers).setCreatedAt(Instant.EPOCH).build();
            out.add(ScoredGroup.newBuilder().setRollout(rollout)
                    .setExtractedAnswers(new ArrayList<>(Collections.nCopies(4, (String) null)))
                    .setRewards(List.of(1.0, 0.0, 1.0, 0.0)).setClusterIds(List.of(0, 1, 0, 1))
                    .setClusterProbs(List.of(0.5, 0.5)).setSemanticEntropy(Math.log(2)).setScale(1.0)
                    .setAdvantages(adv).setScaledAdvantages(adv).setSourcePartition(0).setSourceOffset(g).build());
        }
        return TrainingBatch.newBuilder().setBatchId(id).setGroups(out).setNumTokens(0).setMinPolicyVersion(version)
                .setMaxPolicyVersion(version).setCreatedAt(Instant.EPOCH).build();
    }

    private static int[] ids(SplittableRandom r, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = 2 + r.nextInt(VOCAB - 2);
        }
        return out;
    }
}
