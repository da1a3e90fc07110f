package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Qwen2 fixture reproduces transformers' logits, greedy tokens and log-probs. */
class HuggingFaceParityTest {

    private static JsonNode reference;
    private static NDManager manager;
    private static Transformer model;

    @BeforeAll
    static void load() throws Exception {
        reference = QwenFixture.reference();
        manager = NDManager.newBaseManager();
        model = QwenFixture.model(manager);
    }

    @AfterAll
    static void close() {
        model.weights().close();
        manager.close();
    }

    private static long[] ids(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    @Test
    void logitsMatchTransformersWithin1e4() {
        for (JsonNode c : reference.get("cases")) {
            try (NDManager step = manager.newSubManager()) {
                long[] input = ids(c.get("input_ids"));
                NDArray logits = model.forward(step.create(input).reshape(1, input.length)); // (1, T, V)
                float[] got = logits.toFloatArray();
                int v = model.config().vocabSize();
                double maxDiff = 0;
                for (int t = 0; t < input.length; t++) {
                    for (int j = 0; j < v; j++) {
                        maxDiff = Math.max(maxDiff, Math.abs(got[t * v + j] - c.get("logits").get(t).get(j).asDouble()));
                    }
                }
                assertThat(maxDiff).as("max |logit diff| for %d tokens", input.length).isLessThan(1e-4);
            }
        }
    }

    @Test
    void greedyDecodingMatchesTokensAndLogprobs() {
        JsonNode g = reference.get("greedy");
        List<Long> seq = new ArrayList<>();
        for (long id : ids(g.get("prompt_ids"))) {
            seq.add(id);
        }
        JsonNode expected = g.get("new_ids");
        for (int k = 0; k < expected.size(); k++) {
            try (NDManager step = manager.newSubManager()) {
                long[] input = seq.stream().mapToLong(Long::longValue).toArray();
                NDArray logits = model.forward(step.create(input).reshape(1, input.length));
                NDArray last = Transformer.logProbs(logits.get(new NDIndex("0, -1, :")));
                long next = last.argMax().toType(DataType.INT64, false).getLong();
                assertThat(next).as("greedy token %d", k).isEqualTo(expected.get(k).asLong());
                assertThat((double) last.getFloat(next)).isCloseTo(g.get("new_token_logprobs").get(k).asDouble(),
                        org.assertj.core.api.Assertions.within(1e-4));
                seq.add(next);
            }
        }
    }
}
