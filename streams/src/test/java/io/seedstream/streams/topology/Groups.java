package io.seedstream.streams.topology;

import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.ToolCall;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builders of prompts and answer groups for the topology's tests. */
final class Groups {

    static Prompt prompt(String id, String... answers) {
        return Prompt.newBuilder().setId(id).setDataset("test").setProblem("What is it?").setAnswers(List.of(answers))
                .setMetadata(Map.of()).build();
    }

    /** An answer whose every one of {@code tokens} tokens has log-prob {@code l}: mean log-prob l. */
    static Answer answer(String text, double l, int tokens, FinishReason finish) {
        int[] ids = new int[tokens];
        float[] lps = new float[tokens];
        java.util.Arrays.fill(ids, 7);
        java.util.Arrays.fill(lps, (float) l);
        return Answer.newBuilder().setText(text).setTokenIds(TokenArrays.ofInts(ids))
                .setTokenLogprobs(TokenArrays.ofFloats(lps)).setFinishReason(finish).build();
    }

    /**
     * An answer of {@code before} model tokens at log-prob {@code l}, then a tool's reply of
     * {@code reply} tokens at log-prob 0 (appended, not sampled), then {@code after} model tokens at l.
     */
    static Answer withToolReply(String text, double l, int before, int reply, int after) {
        int n = before + reply + after;
        int[] ids = new int[n];
        float[] lps = new float[n];
        java.util.Arrays.fill(ids, 7);
        for (int t = 0; t < n; t++) {
            lps[t] = t >= before && t < before + reply ? 0f : (float) l;
        }
        ToolCall call = ToolCall.newBuilder().setTool("calculator").setArguments("21-5").setReply("<result>16</result>")
                .setStatus("ok").setLatencyMs(1).setReplyStart(before).setReplyEnd(before + reply).build();
        return Answer.newBuilder().setText(text).setTokenIds(TokenArrays.ofInts(ids))
                .setTokenLogprobs(TokenArrays.ofFloats(lps)).setFinishReason(FinishReason.STOP)
                .setToolCalls(List.of(call)).build();
    }

    static Answer answer(String text, double l) {
        return answer(text, l, 1, FinishReason.STOP);
    }

    static AnswerGroup group(String requestId, String promptId, long version, List<Answer> answers) {
        return AnswerGroup.newBuilder().setRequestId(requestId).setPromptId(promptId).setPolicyVersion(version)
                .setGeneratorId("gen-test").setGroupSize(answers.size()).setPromptTokenIds(TokenArrays.ofInts(new int[] {1, 2, 3}))
                .setAnswers(answers).setCreatedAt(Instant.ofEpochMilli(1_000)).build();
    }

    /** G answers: the given texts with equal log-probs. */
    static AnswerGroup equalLikelihood(String requestId, String promptId, String... texts) {
        List<Answer> answers = new ArrayList<>();
        for (String t : texts) {
            answers.add(answer(t, -1.0));
        }
        return group(requestId, promptId, 0, answers);
    }

    private Groups() {}
}
