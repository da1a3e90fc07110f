package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sequences of two query chunks or more attend chunk by chunk; one token at a time through the
 * KV cache never chunks. The two must agree, with and without cached positions before the chunks
 * and with padding.
 */
class ChunkedAttentionTest {

    private static final int LENGTH = 3 * CausalSelfAttention.QUERY_CHUNK + 17;

    private static NDManager manager;
    private static Transformer model;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        model = QwenFixture.model(manager);
    }

    @AfterAll
    static void close() {
        model.weights().close();
        manager.close();
    }

    private static long[][] randomIds(int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[][] ids = new long[1][length];
        for (int i = 0; i < length; i++) {
            ids[0][i] = r.nextInt(model.config().vocabSize());
        }
        return ids;
    }

    private static NDArray positions(NDManager m, long from, long to) {
        return m.arange(from, to).toType(DataType.INT64, false).reshape(1, to - from);
    }

    private static float maxDifference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void wholeSequenceEqualsOneTokenAtATime() {
        try (NDManager m = manager.newSubManager()) {
            long[][] ids = randomIds(LENGTH, 1);
            NDArray whole = model.forward(m.create(ids)); // (1, T, V), chunked
            KvCache cache = new KvCache(model.config().numLayers(), LENGTH, m);
            for (int i = 0; i < LENGTH; i++) {
                NDArray one = model.forward(m.create(new long[][] {{ids[0][i]}}), positions(m, i, i + 1), null, cache);
                NDArray expected = whole.get(new NDIndex(":, {}:{}, :", i, i + 1));
                assertThat(maxDifference(one, expected)).as("position %d", i).isLessThan(1e-5f);
            }
        }
    }

    @Test
    void chunksAfterCachedPositionsSeeThePast() {
        try (NDManager m = manager.newSubManager()) {
            long[][] ids = randomIds(LENGTH, 2);
            NDArray whole = model.forward(m.create(ids));
            int past = 30;
            long[][] head = {java.util.Arrays.copyOfRange(ids[0], 0, past)};
            long[][] rest = {java.util.Arrays.copyOfRange(ids[0], past, LENGTH)};
            KvCache cache = new KvCache(model.config().numLayers(), LENGTH, m);
            model.forward(m.create(head), positions(m, 0, past), null, cache);
            NDArray chunked = model.forward(m.create(rest), positions(m, past, LENGTH), null, cache);
            NDArray expected = whole.get(new NDIndex(":, {}:, :", past));
            assertThat(maxDifference(chunked, expected)).isLessThan(1e-5f);
        }
    }

    @Test
    void aLongPaddedPromptDecodesAsWithoutChunks() {
        SplittableRandom r = new SplittableRandom(3);
        int[] longPrompt = new int[LENGTH - 20];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = r.nextInt(model.config().vocabSize());
        }
        List<int[]> prompts = List.of(longPrompt, new int[] {5, 6, 7});
        Sampler sampler = new Sampler(model, ids -> "", 1);
        SamplingOptions o = SamplingOptions.sample(1.0, 1.0, 0, 12, Set.of(), 11);
        // cached: a chunked prefill of the padded batch, then one position at a time;
        // recomputed: every step a chunked pass over the whole padded batch
        List<Completion> cached = sampler.generate(prompts, o, manager, true);
        List<Completion> recomputed = sampler.generate(prompts, o, manager, false);
        // greedy, so that the draws of the other sequence do not matter
        Completion shortAlone = sampler.generate(List.of(prompts.get(1)), SamplingOptions.greedy(12, Set.of()), manager,
                true).get(0);
        Completion shortInBatch = sampler.generate(prompts, SamplingOptions.greedy(12, Set.of()), manager, true).get(1);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(cached.get(i).tokenIds()).containsExactly(recomputed.get(i).tokenIds());
            for (int j = 0; j < cached.get(i).logprobs().length; j++) {
                assertThat(Math.abs(cached.get(i).logprobs()[j] - recomputed.get(i).logprobs()[j])).isLessThan(1e-5f);
            }
        }
        assertThat(shortInBatch.tokenIds()).containsExactly(shortAlone.tokenIds());
        for (int j = 0; j < shortAlone.logprobs().length; j++) {
            assertThat(Math.abs(shortInBatch.logprobs()[j] - shortAlone.logprobs()[j])).isLessThan(1e-5f);
        }
    }
}
