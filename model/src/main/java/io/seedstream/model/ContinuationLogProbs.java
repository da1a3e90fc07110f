package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Per-token log-probs of given continuations after given prompts, batched: sequences are
 * prompt + continuation, right-padded (causal attention never looks at the padding of a shorter
 * sequence). Differentiable: computed inside a gradient collector, the result backpropagates to
 * the weights. Used by the trainer.
 */
public final class ContinuationLogProbs {

    private ContinuationLogProbs() {}

    /** At temperature 1 (the model's own distribution). */
    public static NDList compute(Transformer model, java.util.List<int[]> prompts, java.util.List<int[]> continuations,
            NDManager m, int padId) {
        return compute(model, prompts, continuations, null, m, padId);
    }

    /**
     * @param temperatures each sequence's sampling temperature T: log-probs are those of
     *     softmax(logits / T), the distribution the generator drew from; null means T = 1
     * @return (B, L) log-probs of each continuation token, L the longest continuation, and the
     *     (B, L) mask of real (1) and padded (0) entries
     */
    public static NDList compute(Transformer model, java.util.List<int[]> prompts, java.util.List<int[]> continuations,
            double[] temperatures, NDManager m, int padId) {
        int b = prompts.size();
        if (continuations.size() != b) {
            throw new IllegalArgumentException(b + " prompts but " + continuations.size() + " continuations");
        }
        int s = 0;
        int l = 1;
        for (int i = 0; i < b; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty");
            }
            s = Math.max(s, prompts.get(i).length + continuations.get(i).length);
            l = Math.max(l, continuations.get(i).length);
        }
        long[][] ids = new long[b][s];
        long[][] pick = new long[b][l]; // which position predicts continuation token j
        long[][] targets = new long[b][l]; // continuation token j, padded
        float[][] mask = new float[b][l];
        for (int i = 0; i < b; i++) {
            int[] p = prompts.get(i);
            int[] c = continuations.get(i);
            java.util.Arrays.fill(ids[i], padId);
            java.util.Arrays.fill(targets[i], padId);
            for (int t = 0; t < p.length; t++) {
                ids[i][t] = p[t];
            }
            for (int j = 0; j < c.length; j++) {
                ids[i][p.length + j] = c[j];
                pick[i][j] = p.length - 1 + j;
                targets[i][j] = c[j];
                mask[i][j] = 1f;
            }
        }
        NDArray hidden = model.hidden(m.create(ids)); // (B, S, C)
        long width = hidden.getShape().get(2);
        // only the positions that predict a continuation token go through the output projection
        NDArray at = m.create(pick).reshape(b, l, 1).broadcast(new Shape(b, l, width)); // (B, L, C)
        NDArray logits = model.head(hidden.gather(at, 1)); // (B, L, V)
        if (temperatures != null && java.util.Arrays.stream(temperatures).anyMatch(t -> t != 1.0)) {
            float[] inverse = new float[b];
            for (int i = 0; i < b; i++) {
                if (!(temperatures[i] > 0)) {
                    throw new IllegalArgumentException("temperature of sequence " + i + " was " + temperatures[i]
                            + ", must be > 0");
                }
                inverse[i] = (float) (1.0 / temperatures[i]);
            }
            // an array the step's manager owns, not mul(Number): see Scalar
            logits = logits.mul(m.create(inverse).reshape(b, 1, 1)); // (B, L, V)
        }
        NDArray logp = Transformer.logProbs(logits); // (B, L, V)
        NDArray selected = logp.gather(m.create(targets).reshape(b, l, 1), 2).reshape(b, l); // (B, L)
        NDArray maskArray = m.create(mask);
        return new NDList(selected.mul(maskArray), maskArray);
    }
}
