package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;

/**
 * Multi-head causal self-attention with grouped-query attention: H query heads share KV key/value
 * heads (each KV head serves H / KV query heads), rotary embeddings on queries and keys, optional
 * q/k/v biases, no output bias.
 */
final class CausalSelfAttention {

    /** Query positions per chunk of causal attention (sequences of 2 chunks or more are chunked). */
    static final int QUERY_CHUNK = 64;

    private final ModelConfig c;
    private final String prefix;
    private final Rotary rotary;

    CausalSelfAttention(ModelConfig c, int layer, Rotary rotary) {
        this.c = c;
        this.prefix = "model.layers." + layer + ".self_attn.";
        this.rotary = rotary;
    }

    /**
     * @param x (B, T, C)
     * @param rotaryTables rotary tables for the T new positions (see {@link Rotary#tables})
     * @param mask additive mask (B, 1, T, S) over the S = cached + T positions (0 or -inf)
     * @param cache the layer's past keys and values, or null to attend to x alone
     */
    NDArray forward(Weights w, NDArray x, NDList rotaryTables, NDArray mask, KvCache cache, int layer) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int h = c.numHeads();
        int kv = c.numKvHeads();
        int d = c.headDim();
        NDArray q = linear(w, x, "q_proj", 1.0 / Math.sqrt(d)).reshape(b, t, h, d).transpose(0, 2, 1, 3); // (B, H, T, D)
        NDArray k = linear(w, x, "k_proj", 1.0).reshape(b, t, kv, d).transpose(0, 2, 1, 3); // (B, KV, T, D)
        NDArray v = linear(w, x, "v_proj", 1.0).reshape(b, t, kv, d).transpose(0, 2, 1, 3); // (B, KV, T, D)
        q = rotary.apply(q, rotaryTables);
        k = rotary.apply(k, rotaryTables);
        if (cache != null) {
            NDList history = cache.append(layer, k, v);
            k = history.get(0); // (B, KV, S, D)
            v = history.get(1);
        }
        long src = k.getShape().get(2);
        long past = src - t; // positions cached before this step
        int g = h / kv;
        NDManager scope = x.getManager();
        NDArray y;
        if (t < 2L * QUERY_CHUNK) {
            NDArray kt = k.transpose(0, 1, 3, 2); // (B, KV, D, S)
            kt.attach(scope); // derived from the cache, which lives longer than this step
            y = attend(q.reshape(b, kv, (long) g * t, d), kt, v, mask, g); // (B, KV, G, T, D)
        } else {
            // Causal attention by chunks of queries: chunk [a, e) sees keys [0, past + e) only,
            // so the part of the score matrix above the diagonal blocks (all masked) is never
            // computed, a third or more of the largest activation of a training step, which is
            // moved through memory about a dozen times forward and backward. Queries, keys and
            // values are cut with split (whose backward is one concatenation), not sliced (each
            // slice's backward would zero-fill a full-size gradient).
            int chunks = (int) ((t + QUERY_CHUNK - 1) / QUERY_CHUNK);
            long[] queryCuts = new long[chunks - 1];
            long[] keyCuts = new long[chunks - 1];
            for (int i = 1; i < chunks; i++) {
                queryCuts[i - 1] = (long) i * QUERY_CHUNK;
                keyCuts[i - 1] = past + (long) i * QUERY_CHUNK;
            }
            NDList queryChunks = q.reshape(b, kv, g, t, d).split(queryCuts, 3); // each (B, KV, G, Tc, D)
            NDList keyBlocks = k.split(keyCuts, 2); // each (B, KV, Sc, D), the first with the past
            NDList valueBlocks = v.split(keyCuts, 2);
            NDList parts = new NDList();
            NDArray keys = null;
            NDArray values = null;
            for (int i = 0; i < chunks; i++) {
                keys = i == 0 ? keyBlocks.get(0) : NDArrays.concat(new NDList(keys, keyBlocks.get(i)), 2);
                values = i == 0 ? valueBlocks.get(0) : NDArrays.concat(new NDList(values, valueBlocks.get(i)), 2);
                long a = (long) i * QUERY_CHUNK;
                long e = Math.min(t, a + QUERY_CHUNK);
                NDArray mc = mask.get(new NDIndex(":, :, {}:{}, :{}", a, e, past + e));
                mc.attach(scope);
                NDArray qc = queryChunks.get(i).reshape(b, kv, g * (e - a), d);
                parts.add(attend(qc, keys.transpose(0, 1, 3, 2), values, mc, g)); // (B, KV, G, Tc, D)
            }
            y = NDArrays.concat(parts, 3); // (B, KV, G, T, D)
        }
        y = y.reshape(b, h, t, d); // (B, H, T, D)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) h * d); // (B, T, H*D)
        return Linear.linear(y, w.get(prefix + "o_proj.weight")).singletonOrThrow();
    }

    /**
     * Softmax attention of Tq query rows against S keys for every KV group. Grouped-query
     * attention without copying keys and values H / KV times: the G = H / KV query heads of a
     * group and their positions are one axis of G * Tq rows, so every product is a plain batched
     * matmul against the group's own keys and values.
     *
     * @param qg queries (B, KV, G*Tq, D), already scaled by 1/sqrt(D)
     * @param kt keys, transposed (B, KV, D, S)
     * @param v values (B, KV, S, D)
     * @param mask additive mask (B or 1, 1, Tq, S)
     * @return (B, KV, G, Tq, D)
     */
    private static NDArray attend(NDArray qg, NDArray kt, NDArray v, NDArray mask, int g) {
        long b = qg.getShape().get(0);
        long kv = qg.getShape().get(1);
        long tq = qg.getShape().get(2) / g;
        long src = kt.getShape().get(3);
        NDArray att = qg.matMul(kt).reshape(b, kv, g, tq, src); // (B, KV, G, Tq, S)
        att = att.add(mask.reshape(mask.getShape().get(0), 1, 1, tq, src)).softmax(4)
                .reshape(b, kv, g * tq, src); // (B, KV, G*Tq, S)
        return att.matMul(v).reshape(b, kv, g, tq, v.getShape().get(3)); // (B, KV, G, Tq, D)
    }

    /**
     * (x W^T + b) * scale as x (scale W)^T + scale b, one fused engine op, W in Hugging Face's
     * (out, in) layout. The queries carry attention's 1/sqrt(D) this way: scaling the weight costs
     * a pass over C x C numbers, scaling the scores or the queries a pass over (B, H, T, S) or
     * (B, H, T, D), forward and backward.
     */
    private NDArray linear(Weights w, NDArray x, String proj, double scale) {
        NDArray weight = w.get(prefix + proj + ".weight");
        NDArray bias = c.attentionBias() ? w.get(prefix + proj + ".bias") : null;
        if (scale != 1.0) {
            NDArray factor = Scalar.of(x.getManager(), scale);
            weight = weight.mul(factor);
            bias = bias == null ? null : bias.mul(factor);
            weight.attach(x.getManager()); // a temporary of this step, not of the weights
            if (bias != null) {
                bias.attach(x.getManager());
            }
        }
        return (bias != null ? Linear.linear(x, weight, bias) : Linear.linear(x, weight)).singletonOrThrow();
    }
}
