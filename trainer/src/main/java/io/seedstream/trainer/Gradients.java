package io.seedstream.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Collection;

/** Gradient bookkeeping of a step: zeroing, the total norm, clipping by it. */
final class Gradients {

    private Gradients() {}

    /**
     * Clears the accumulated gradient of every parameter (backward adds to it). Assigned, not
     * multiplied by zero: a NaN left by a diverged step must not survive into the next one.
     */
    static void zero(Collection<NDArray> params, NDManager scratch) {
        for (NDArray p : params) {
            NDArray g = p.getGradient();
            g.attach(scratch);
            g.set(new NDIndex("..."), 0f);
        }
    }

    /** The L2 norm of all gradients taken as one vector, as torch's clip_grad_norm_ computes it. */
    static double totalNorm(Collection<NDArray> params, NDManager scratch) {
        double sumSq = 0;
        for (NDArray p : params) {
            NDArray g = p.getGradient();
            g.attach(scratch);
            NDArray n = g.norm();
            n.attach(scratch);
            double v = n.getFloat();
            sumSq += v * v;
        }
        return Math.sqrt(sumSq);
    }

    /** Scales every gradient by min(1, maxNorm / (norm + 1e-6)); returns the factor applied. */
    static double clip(Collection<NDArray> params, double totalNorm, double maxNorm, NDManager scratch) {
        double coef = Math.min(1.0, maxNorm / (totalNorm + 1e-6));
        if (coef < 1.0) {
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(scratch);
                g.muli((float) coef);
            }
        }
        return coef;
    }

    /** What one optimizer step did: the norm before clipping, the clip factor, whether it was applied. */
    record Step(double gradNorm, double clipCoef, boolean applied) {}

    /**
     * The end of every update: total norm, clipping, the AdamW step, gradients cleared. A
     * non-finite norm (a diverged loss) clears the gradients without touching the weights.
     */
    static Step clipAndApply(java.util.Map<String, NDArray> params, AdamW optimizer, double lr, double maxNorm,
            NDManager scratch) {
        double norm = totalNorm(params.values(), scratch);
        if (!Double.isFinite(norm)) {
            zero(params.values(), scratch);
            return new Step(norm, 1.0, false);
        }
        double coef = clip(params.values(), norm, maxNorm, scratch);
        optimizer.update(params, lr);
        zero(params.values(), scratch);
        return new Step(norm, coef, true);
    }
}
