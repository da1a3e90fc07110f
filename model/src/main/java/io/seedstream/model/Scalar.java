package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Scalar operands of ops that autograd will differentiate. DJL's {@code x.mul(2.0)} (and div, pow,
 * minimum, ... with a Number) wraps the number in a tensor over a Java buffer, runs the op and
 * closes that tensor at once; the graph still points at the buffer for the backward, which reads
 * freed memory once the buffer has been collected: rare, history-dependent gradients. A scalar
 * made here belongs to the given manager (the step's), so it outlives the backward.
 */
public final class Scalar {

    private Scalar() {}

    /** A float32 scalar tensor owned by {@code m}. */
    public static NDArray of(NDManager m, double value) {
        return m.create((float) value);
    }
}
