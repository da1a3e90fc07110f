package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static NDManager manager;
    private static Transformer model;
    private static Sampler sampler;
    private static JsonNode reference;

    @BeforeAll
    static void load() throws Exception {
        reference = QwenFixture.reference();
        manager = NDManager.newBaseManager();
        model = QwenFixture.model(manager);
        sampler = new Sampler(model, ids -> java.util.Arrays.toString(ids), 1);
    }

    @AfterAll
    static void close() {
        model.weights().close();
        manager.close();
    }


    @Test
    void aRowThatCallsAToolWaitsForItsReplyWhileTheOthersDecodeAndItsModelTokensKeepTheirLogprobs() {
        List<int[]> prompts = List.of(new int[] {5, 17, 23, 42, 8}, new int[] {70, 71, 72});
        SamplingOptions o = SamplingOptions.greedy(12, Set.of());
        List<Completion> plain = sampler.generate(prompts, o, manager, true);
        int[] firstThree = java.util.Arrays.copyOf(plain.get(0).tokenIds(), 3);
        assertThat(java.util.Arrays.copyOf(plain.get(1).tokenIds(), 3)).as("the rows start differently")
                .isNotEqualTo(firstThree);
        int[] reply = {30, 31, 32};
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        ToolCaller tools = callerOf(2, text -> {
            if (!text.equals(java.util.Arrays.toString(firstThree))) {
                return null;
            }
            calls.incrementAndGet();
            // a slow tool: the other row decodes meanwhile
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new ToolCaller.Result("calculator", "21-5", "16", "ok", 300);
            });
        }, text -> reply);
        List<Completion> withTools = sampler.generate(prompts, o, null, manager, true, (row, c) -> { }, tools);

        assertThat(calls.get()).isEqualTo(1);
        assertThat(withTools.get(1).tokenIds()).as("the other row, decoding around the waiting one")
                .containsExactly(plain.get(1).tokenIds());
        assertThat(withTools.get(1).toolCalls()).isEmpty();
        Completion called = withTools.get(0);
        assertThat(called.tokenIds()).hasSize(12);
        assertThat(java.util.Arrays.copyOfRange(called.tokenIds(), 0, 6)).containsExactly(concat(firstThree, reply));
        assertThat(called.toolCalls()).singleElement().satisfies(u -> {
            assertThat(u.replyStart()).isEqualTo(3);
            assertThat(u.replyEnd()).isEqualTo(6);
            assertThat(u.result().reply()).isEqualTo("16");
        });
        assertThat(java.util.Arrays.copyOfRange(called.logprobs(), 3, 6)).containsOnly(0f);
        // teacher-forced over the whole answer, the trainer's view: the model's tokens carry the same log-probs
        float[] forced = ContinuationLogProbs.compute(model, List.of(prompts.get(0)), List.of(called.tokenIds()),
                manager, 1).get(0).toFloatArray();
        for (int t = 0; t < called.tokenIds().length; t++) {
            if (t < 3 || t >= 6) {
                assertThat((double) called.logprobs()[t]).as("token %d", t).isCloseTo(forced[t], within(1e-4));
            }
        }
    }

    @Test
    void anAnswerWithTwoCallsKeepsItsModelTokensLogprobsAcrossBothReplies() {
        int[] prompt = {5, 17, 23, 42, 8};
        ToolCaller tools = callerOf(2, text -> {
            // this test's decoder writes the token ids: a call ends after the 3rd and after the 8th token
            int tokens = text.split(",").length;
            return tokens == 3 || tokens == 8 ? java.util.concurrent.CompletableFuture.completedFuture(
                    new ToolCaller.Result("calculator", "x", tokens == 3 ? "first" : "second", "ok", 0)) : null;
        }, text -> text.equals("first") ? new int[] {30, 31, 32} : new int[] {33, 34});
        Completion c = sampler.generate(List.of(prompt), SamplingOptions.greedy(16, Set.of()), null, manager, true,
                (row, done) -> { }, tools).get(0);

        assertThat(c.toolCalls()).extracting(Completion.ToolUse::replyStart, Completion.ToolUse::replyEnd)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(3, 6), org.assertj.core.groups.Tuple.tuple(8, 10));
        assertThat(c.tokenIds()).hasSize(16);
        float[] forced = ContinuationLogProbs.compute(model, List.of(prompt), List.of(c.tokenIds()), manager, 1).get(0)
                .toFloatArray();
        int modelTokens = 0;
        for (int t = 0; t < c.tokenIds().length; t++) {
            boolean reply = (t >= 3 && t < 6) || (t >= 8 && t < 10);
            if (reply) {
                assertThat(c.logprobs()[t]).as("reply token %d", t).isZero();
            } else {
                modelTokens++;
                assertThat((double) c.logprobs()[t]).as("model token %d", t).isCloseTo(forced[t], within(1e-4));
            }
        }
        assertThat(modelTokens).isEqualTo(11);
    }

    /** A caller that checks after every token; {@code call} answers (or, null, ignores) the text so far. */
    private static ToolCaller callerOf(int maxCalls,
            java.util.function.Function<String, java.util.concurrent.Future<ToolCaller.Result>> call,
            java.util.function.Function<String, int[]> encode) {
        return new ToolCaller() {
            @Override
            public int maxCalls() {
                return maxCalls;
            }

            @Override
            public int maxWaitSteps() {
                return 64;
            }

            @Override
            public boolean mayEndCall(String tokenText) {
                return true;
            }

            @Override
            public java.util.concurrent.Future<Result> callIfEnded(String text) {
                return call.apply(text);
            }

            @Override
            public int[] encode(String text) {
                return encode.apply(text);
            }
        };
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void greedyWithTheCacheMatchesTransformers() {
        JsonNode g = reference.get("greedy");
        Completion c = sampler.generate(List.of(QwenFixture.ints(g.get("prompt_ids"))),
                SamplingOptions.greedy(g.get("new_ids").size(), Set.of()), manager, true).get(0);
        assertThat(c.tokenIds()).containsExactly(QwenFixture.ints(g.get("new_ids")));
        for (int i = 0; i < c.logprobs().length; i++) {
            assertThat((double) c.logprobs()[i]).isCloseTo(g.get("new_token_logprobs").get(i).asDouble(), within(1e-4));
        }
        assertThat(c.finishedByStop()).isFalse();
    }

    @Test
    void cachedDecodingEqualsRecomputationForABatchOfDifferentLengths() {
        List<int[]> prompts = List.of(new int[] {5, 17, 23, 42, 8, 9, 60}, new int[] {33}, new int[] {70, 71, 72});
        SamplingOptions o = SamplingOptions.sample(1.0, 0.95, 0, 20, Set.of(), 7);
        List<Completion> cached = sampler.generate(prompts, o, manager, true);
        List<Completion> recomputed = sampler.generate(prompts, o, manager, false);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(cached.get(i).tokenIds()).as("sequence %d", i).containsExactly(recomputed.get(i).tokenIds());
            for (int j = 0; j < cached.get(i).logprobs().length; j++) {
                assertThat((double) cached.get(i).logprobs()[j]).isCloseTo(recomputed.get(i).logprobs()[j], within(1e-5));
            }
        }
        // a padded sequence decodes exactly as it would alone
        Completion alone = sampler.generate(List.of(prompts.get(1)),
                SamplingOptions.greedy(10, Set.of()), manager, true).get(0);
        Completion inBatch = sampler.generate(prompts, SamplingOptions.greedy(10, Set.of()), manager, true).get(1);
        assertThat(inBatch.tokenIds()).containsExactly(alone.tokenIds());
        for (int j = 0; j < alone.logprobs().length; j++) {
            assertThat((double) inBatch.logprobs()[j]).isCloseTo(alone.logprobs()[j], within(1e-5));
        }
    }

    @Test
    void seedsMakeSamplingReproducibleAndStopTokensEndSequences() {
        List<int[]> prompts = List.of(new int[] {5, 6, 7}, new int[] {8, 9});
        SamplingOptions o = SamplingOptions.sample(1.0, 1.0, 0, 30, Set.of(), 3);
        List<Completion> a = sampler.generate(prompts, o, manager, true);
        List<Completion> b = sampler.generate(prompts, o, manager, true);
        assertThat(a.get(0).tokenIds()).containsExactly(b.get(0).tokenIds());
        int stop = a.get(0).tokenIds()[2];
        Completion stopped = sampler.generate(prompts, SamplingOptions.sample(1.0, 1.0, 0, 30, Set.of(stop), 3),
                manager, true).get(0);
        assertThat(stopped.finishedByStop()).isTrue();
        assertThat(stopped.tokenIds()[stopped.tokenIds().length - 1]).isEqualTo(stop);
        assertThat(stopped.tokenIds().length).isLessThanOrEqualTo(3);
    }
}
