package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder: token embedding, N pre-norm blocks, final RMSNorm, output projection (the
 * embedding itself when tied). Works on a batch of sequences, with an optional key mask for
 * padding and an optional KV cache for incremental decoding.
 */
public final class Transformer {

    /** Added to the attention logits of masked positions: large enough, and never NaN. */
    static final float MASKED = -1e30f;

    private final ModelConfig config;
    private final Weights weights;
    private final List<Block> blocks = new ArrayList<>();
    private final Rotary rotary;

    public Transformer(ModelConfig config, Weights weights) {
        this.config = config;
        this.weights = weights;
        this.rotary = new Rotary(config);
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(new Block(config, i, rotary));
        }
    }

    public ModelConfig config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    /** Logits (B, T, V) of unpadded sequences ids (B, T), no cache. */
    public NDArray forward(NDArray ids) {
        return head(hidden(ids));
    }

    /**
     * @param ids new tokens (B, T), int64
     * @param positions their positions (B, T) (padding-aware: pads do not advance positions)
     * @param keyMask 1 for real tokens, 0 for padding, over every position seen so far including
     *     these (B, S); null when nothing is padded
     * @param cache past keys and values, extended in place; null for a full forward pass
     * @return logits (B, T, V)
     */
    public NDArray forward(NDArray ids, NDArray positions, NDArray keyMask, KvCache cache) {
        return forward(ids, positions, keyMask, cache, false);
    }

    /**
     * As {@link #forward(NDArray, NDArray, NDArray, KvCache)}; with {@code lastOnly} the logits of
     * the last position only, (B, 1, V): sampling needs nothing else, and the output projection
     * of every prompt position is most of the cost of a prefill.
     */
    public NDArray forward(NDArray ids, NDArray positions, NDArray keyMask, KvCache cache, boolean lastOnly) {
        NDArray x = hidden(ids, positions, keyMask, cache); // (B, T, C)
        if (lastOnly && x.getShape().get(1) > 1) {
            x = x.get(new ai.djl.ndarray.index.NDIndex(":, -1:, :")); // (B, 1, C)
        }
        return head(x);
    }

    /** The final hidden states (B, T, C), after the last norm, of unpadded sequences ids (B, T), no cache. */
    public NDArray hidden(NDArray ids) {
        NDManager m = ids.getManager();
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        NDArray positions = m.arange(0, t).toType(DataType.INT64, false).reshape(1, t).repeat(0, b);
        return hidden(ids, positions, null, null);
    }

    /** The final hidden states (B, T, C); arguments as {@link #forward(NDArray, NDArray, NDArray, KvCache)}. */
    public NDArray hidden(NDArray ids, NDArray positions, NDArray keyMask, KvCache cache) {
        NDManager m = ids.getManager();
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        long past = cache == null ? 0 : cache.length();
        long s = past + t;
        NDArray x = embed(ids, m).reshape(b, t, config.hiddenSize()); // (B, T, C)

        // causal: new position i (absolute past + i) sees keys j <= past + i
        NDArray rows = m.arange(past, s).reshape(t, 1); // (T, 1)
        NDArray cols = m.arange(0, s).reshape(1, s); // (1, S)
        NDArray mask = cols.gt(rows).toType(DataType.FLOAT32, false).mul(MASKED).reshape(1, 1, t, s);
        if (keyMask != null) {
            NDArray pad = keyMask.toType(DataType.FLOAT32, false).neg().add(1).mul(MASKED).reshape(b, 1, 1, s);
            mask = mask.add(pad); // (B, 1, T, S)
        }
        NDList rotaryTables = rotary.tables(m, positions);
        boolean keepActivations = weights.anyTrainable(); // a backward pass will need them
        for (Block block : blocks) {
            x = keepActivations ? block.forward(weights, x, rotaryTables, mask, cache)
                    : forwardAndRelease(block, x, rotaryTables, mask, cache, m);
        }
        return RmsNorm.forward(x, weights.get("model.norm.weight"), config.rmsNormEps());
    }

    /**
     * One block whose intermediates (and its input) are freed as soon as it is done. DJL frees an
     * array with its manager, and every op's result joins its input's manager, so without this a
     * forward pass would hold every layer's attention scores and MLP activations until the caller
     * closes its manager: 8.9 GB for 64 x 256 tokens of a 10M-parameter config instead of one
     * layer's worth.
     */
    private NDArray forwardAndRelease(Block block, NDArray x, NDList rotaryTables, NDArray mask, KvCache cache,
            NDManager m) {
        try (NDManager layer = m.newSubManager()) {
            x.attach(layer);
            NDArray y = block.forward(weights, x, rotaryTables, mask, cache);
            y.attach(m);
            return y;
        }
    }

    /**
     * Rows of the embedding for ids (B, T): (B*T, C). When the embedding is being trained, the
     * rows are gathered along the vocabulary axis with an index broadcast over C: the backward of
     * a plain lookup (index_put with accumulation) adds repeated ids' gradients in a
     * thread-dependent order on the CPU, so two identical runs would drift apart, while gather's
     * backward (scatter_add) adds them in token order, reproducible bit for bit.
     */
    private NDArray embed(NDArray ids, NDManager m) {
        NDArray table = weights.get("model.embed_tokens.weight");
        NDArray flat = ids.flatten();
        NDArray x;
        if (!table.hasGradient()) {
            x = table.get(flat); // owned by the table's manager until moved
        } else {
            long n = flat.getShape().get(0);
            NDArray index = flat.reshape(n, 1).broadcast(new Shape(n, config.hiddenSize())); // (N, C)
            index.attach(m);
            x = table.gather(index, 0); // (N, C)
        }
        x.attach(m);
        return x;
    }

    /** The output projection: logits (..., V) of hidden states (..., C); the embedding itself when tied. */
    public NDArray head(NDArray hidden) {
        String name = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        return ai.djl.nn.core.Linear.linear(hidden, weights.get(name)).singletonOrThrow();
    }

    /** Log-softmax over the vocabulary. */
    static NDArray logProbs(NDArray logits) {
        return logits.logSoftmax(-1 + (int) logits.getShape().dimension());
    }
}
