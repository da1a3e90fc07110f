package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** A pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)). */
final class Block {

    private final ModelConfig c;
    private final int layer;
    private final String prefix;
    private final CausalSelfAttention attention;
    private final Mlp mlp;

    Block(ModelConfig c, int layer, Rotary rotary) {
        this.c = c;
        this.layer = layer;
        this.prefix = "model.layers." + layer + ".";
        this.attention = new CausalSelfAttention(c, layer, rotary);
        this.mlp = new Mlp(layer);
    }

    NDArray forward(Weights w, NDArray x, NDList rotaryTables, NDArray mask, KvCache cache) {
        NDArray a = RmsNorm.forward(x, w.get(prefix + "input_layernorm.weight"), c.rmsNormEps());
        x = x.add(attention.forward(w, a, rotaryTables, mask, cache, layer));
        NDArray m = RmsNorm.forward(x, w.get(prefix + "post_attention_layernorm.weight"), c.rmsNormEps());
        return x.add(mlp.forward(w, m));
    }
}
