package io.seedstream.infra.harness;

import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.DispatchPosition;
import io.seedstream.schemas.avro.GenerationTimings;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.EvalResult;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import io.seedstream.schemas.avro.TrainingBatch;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One fully populated record of every type, for round-trip tests. */
public final class SampleRecords {

    private static final Instant T = Instant.ofEpochMilli(1_790_000_000_000L);

    public static Prompt prompt() {
        return Prompt.newBuilder().setId("math500-0001").setDataset("math500")
                .setProblem("What is $\\frac{1}{2} + \\frac{1}{4}$?").setAnswers(List.of("\\frac{3}{4}", "0.75"))
                .setMetadata(Map.of("level", "3")).build();
    }

    public static AnswerGroup answerGroup() {
        Answer a = Answer.newBuilder().setText("so \\boxed{3/4}").setTokenIds(TokenArrays.ofInts(new int[] {5, 6, 7}))
                .setTokenLogprobs(TokenArrays.ofFloats(new float[] {-0.5f, -1.25f, -0.01f})).setFinishReason(FinishReason.STOP).build();
        Answer b = Answer.newBuilder().setText("the answer is 0.7").setTokenIds(TokenArrays.ofInts(new int[] {8, 9}))
                .setTokenLogprobs(TokenArrays.ofFloats(new float[] {-2f, -3f})).setFinishReason(FinishReason.LENGTH).build();
        return AnswerGroup.newBuilder().setRequestId("req-1").setPromptId("math500-0001")
                .setPolicyVersion(3).setGeneratorId("gen-0").setGroupSize(2)
                .setPromptTokenIds(TokenArrays.ofInts(new int[] {1, 2, 3, 4})).setAnswers(List.of(a, b)).setCreatedAt(T)
                .setSampling(SamplingParams.newBuilder().setTemperature(0.7).setTopP(1.0).setTopK(0).setMaxNewTokens(64)
                        .setSeed(11L).build())
                .setTimings(new GenerationTimings(T.minusMillis(900), T.minusMillis(400), T, 64)).build();
    }

    public static ScoredGroup scoredGroup() {
        return ScoredGroup.newBuilder().setRollout(answerGroup())
                .setExtractedAnswers(Arrays.asList("3/4", null)).setRewards(List.of(1.0, 0.0))
                .setClusterIds(List.of(0, 1)).setClusterProbs(List.of(0.6, 0.4))
                .setSemanticEntropy(0.673).setScale(0.98).setAdvantages(List.of(0.5, -0.5))
                .setScaledAdvantages(List.of(0.49, -0.49)).setSourcePartition(2).setSourceOffset(17).build();
    }

    public static List<SpecificRecord> all() {
        return List.of(
                prompt(),
                RolloutRequest.newBuilder().setRequestId("req-1").setPromptId("math500-0001").setGroupSize(8)
                        .setSampling(SamplingParams.newBuilder().setTemperature(0.9).setTopP(0.95).setTopK(0)
                                .setMaxNewTokens(256).setSeed(42L).build())
                        .setMinPolicyVersion(2).setCreatedAt(T).build(),
                answerGroup(),
                TrainingBatch.newBuilder().setBatchId("batch-1").setGroups(List.of(scoredGroup()))
                        .setNumTokens(5).setMinPolicyVersion(3).setMaxPolicyVersion(3).setCreatedAt(T).build(),
                PolicyVersion.newBuilder().setRunId("run-a").setVersion(4).setCheckpointUri("file:///tmp/ckpt/step-4")
                        .setSha256("ab".repeat(32)).setTrainerStep(4)
                        .setConsumedOffsets(List.of(new TopicPartitionOffset("seedstream.training-batches", 0, 12L)))
                        .setCreatedAt(T).build(),
                EvalRequest.newBuilder().setRequestId("ev-1").setPromptId("aime24-0000").setBenchmark("aime24")
                        .setPolicyVersion(4).setMaxNewTokens(512).setCreatedAt(T).build(),
                EvalResult.newBuilder().setRequestId("ev-1").setPromptId("aime24-0000").setBenchmark("aime24")
                        .setPolicyVersion(4).setGeneratorId("gen-1").setText("\\boxed{204}")
                        .setFinishReason(FinishReason.STOP).setCreatedAt(T).build(),
                MetricsSnapshot.newBuilder().setSource("trainer-0").setKind(MetricsSource.TRAINER).setStep(10)
                        .setPolicyVersion(4).setValues(Map.of("loss", 0.25, "mean_se", 1.1))
                        .setHistograms(Map.of("staleness", List.of(10L, 3L, 0L))).setCreatedAt(T).build(),
                DispatchPosition.newBuilder().setRunId("run-a").setEpoch(2).setIndex(17).setEpochPrompts(2000)
                        .setEpochFingerprint("cd".repeat(32)).setReleasedGroups(4017).setLastEvalVersion(30)
                        .setUpdatedAt(T).build(),
                DeadLetter.newBuilder().setSourceTopic("seedstream.rollouts").setPartition(1).setOffset(99)
                        .setStage("deserialize").setError("unknown magic byte 7").setErrorClass("SerializationException")
                        .setRawKey(ByteBuffer.wrap(new byte[] {1, 2})).setRawValue(ByteBuffer.wrap(new byte[] {7, 0, 0}))
                        .setFailedAt(T).build());
    }

    /** The topic whose values have the record's type. */
    @SuppressWarnings("unchecked")
    public static Topic<String, SpecificRecord> topicOf(SpecificRecord record) {
        return (Topic<String, SpecificRecord>) (Topic<?, ?>) Topics.RECORD_TOPICS.stream()
                .filter(t -> t.valueType() == record.getClass()).findFirst().orElseThrow();
    }

    private SampleRecords() {}
}
