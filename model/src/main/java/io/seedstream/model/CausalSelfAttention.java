package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

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
     * @param cosSin rotary tables for the T new positions, each (B, 1, T, D)
     * @param mask additive mask (B, 1, T, S) over the S = cached + T positions (0 or -inf)
     * @param cache the layer's past keys and values, or null to attend to x alone
     */
    NDArray forward(Weights w, NDArray x, NDList cosSin, NDArray mask, KvCache cache, int layer) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int h = c.numHeads();
        int kv = c.numKvHeads();
        int d = c.headDim();
        NDArray q = linear(w, x, "q_proj").reshape(b, t, h, d).transpose(0, 2, 1, 3); // (B, H, T, D)
        NDArray k = linear(w, x, "k_proj").reshape(b, t, kv, d).transpose(0, 2, 1, 3); // (B, KV, T, D)
        NDArray v = linear(w, x, "v_proj").reshape(b, t, kv, d).transpose(0, 2, 1, 3); // (B, KV, T, D)
        q = rotary.apply(q, cosSin.get(0), cosSin.get(1));
        k = rotary.apply(k, cosSin.get(0), cosSin.get(1));
        if (cache != null) {
            NDList past = cache.append(layer, k, v);
            k = past.get(0); // (B, KV, S, D)
            v = past.get(1);
        }
        // k and v may be the cache's own arrays, owned by a longer-lived manager: what is derived
        // from them is moved to this step's manager, or it would pile up there step after step
        NDManager scope = x.getManager();
        if (h != kv) {
            k = inScope(k.repeat(1, h / kv), scope); // (B, H, S, D): each KV head repeated for its query heads
            v = inScope(v.repeat(1, h / kv), scope);
        }
        NDArray att = q.matMul(inScope(k.transpose(0, 1, 3, 2), scope)).div(Math.sqrt(d)); // (B, H, T, S)
        att = att.add(mask).softmax(3);
        NDArray y = att.matMul(v); // (B, H, T, D)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) h * d); // (B, T, H*D)
        return y.matMul(w.transposed(prefix + "o_proj.weight", y.getManager()));
    }

    private static NDArray inScope(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    private NDArray linear(Weights w, NDArray x, String proj) {
        NDArray y = x.matMul(w.transposed(prefix + proj + ".weight", x.getManager()));
        return c.attentionBias() ? y.add(w.get(prefix + proj + ".bias")) : y;
    }
}
