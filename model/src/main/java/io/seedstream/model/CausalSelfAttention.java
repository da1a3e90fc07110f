package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;

/**
 * Multi-head causal self-attention with grouped-query attention: H query heads share KV key/value
 * heads (each KV head serves H / KV query heads), rotary embeddings on queries and keys, optional
 * q/k/v biases, no output bias.
 */
final class CausalSelfAttention {

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
        NDArray k = linear(w, x, "k_proj").reshape(b, t, kv, d).transpose(0, 2, 1, 3); // (B, KV, T, D)
        NDArray v = linear(w, x, "v_proj").reshape(b, t, kv, d).transpose(0, 2, 1, 3); // (B, KV, T, D)
        q = rotary.apply(q, rotaryTables);
        k = rotary.apply(k, rotaryTables);
        if (cache != null) {
            NDList past = cache.append(layer, k, v);
            k = past.get(0); // (B, KV, S, D)
            v = past.get(1);
        }
        // Grouped-query attention without copying keys and values H / KV times: the G = H / KV
        // query heads of a group and their T positions are one axis of G * T rows, so every
        // product is a plain batched matmul against the group's own keys and values.
        long src = k.getShape().get(2);
        int g = h / kv;
        NDManager scope = x.getManager();
        NDArray qg = q.reshape(b, kv, (long) g * t, d); // (B, KV, G*T, D)
        NDArray kt = k.transpose(0, 1, 3, 2); // (B, KV, D, S)
        kt.attach(scope); // derived from the cache, which lives longer than this step
        NDArray att = qg.matMul(kt).reshape(b, kv, g, t, src); // (B, KV, G, T, S)
        att = att.add(mask.reshape(mask.getShape().get(0), 1, 1, t, src)).softmax(4)
                .reshape(b, kv, (long) g * t, src); // (B, KV, G*T, S)
        NDArray y = att.matMul(v).reshape(b, h, t, d); // (B, KV, G*T, D) -> (B, H, T, D)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) h * d); // (B, T, H*D)
        return Linear.linear(y, w.get(prefix + "o_proj.weight")).singletonOrThrow();
    }

    /** x W^T (+ b) with W in Hugging Face's (out, in) layout, as one fused engine op. */
    private NDArray linear(Weights w, NDArray x, String proj) {
        return linear(w, x, proj, 1.0);
    }

    /**
     * (x W^T + b) * scale as x (scale W)^T + scale b. The queries carry attention's 1/sqrt(D) this
     * way: scaling the (out, in) weight costs a pass over C x C numbers, scaling the scores or the
     * queries a pass over (B, H, T, S) or (B, H, T, D), forward and backward.
     */
    private NDArray linear(Weights w, NDArray x, String proj, double scale) {
        NDArray weight = w.get(prefix + proj + ".weight");
        NDArray bias = c.attentionBias() ? w.get(prefix + proj + ".bias") : null;
        if (scale != 1.0) {
            weight = weight.mul(scale);
            bias = bias == null ? null : bias.mul(scale);
            weight.attach(x.getManager()); // a temporary of this step, not of the weights
            if (bias != null) {
                bias.attach(x.getManager());
            }
        }
        return (bias != null ? Linear.linear(x, weight, bias) : Linear.linear(x, weight)).singletonOrThrow();
    }
}
