package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The backward of an op with a scalar operand reads that scalar again. When the scalar's memory
 * is freed and reused between the forward and the backward (here forced: a collection, then fresh
 * direct buffers full of garbage), the gradient must not change.
 */
class ScalarOperandTest {

    private static float[] gradient(NDManager m, boolean churnBeforeBackward) throws InterruptedException {
        try (NDManager s = m.newSubManager()) {
            NDArray x = s.create(new float[] {0.5f, -1.25f, 2f, 0.75f, -0.3f, 1.1f, 0.2f, -2.2f}, new Shape(2, 4));
            NDArray w = s.create(new float[] {1f, 0.5f, -1.5f, 2f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = RmsNorm.forward(x, w, 1e-6); // scalars: 1/C, eps, -1/2
                NDArray loss = y.mul(s.create(new float[] {1f, -2f, 3f, 0.5f})).sum();
                if (churnBeforeBackward) {
                    List<ByteBuffer> garbage = new ArrayList<>();
                    for (int round = 0; round < 5; round++) {
                        System.gc();
                        Thread.sleep(50); // lets the cleaner free unreachable direct buffers
                        for (int i = 0; i < 2_000; i++) {
                            ByteBuffer b = ByteBuffer.allocateDirect(4);
                            b.putInt(0, 0x7f7f7f7f);
                            garbage.add(b);
                        }
                    }
                }
                gc.backward(loss);
            }
            return x.getGradient().toFloatArray();
        }
    }

    @Test
    void theBackwardSeesTheScalarsOfTheForward() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] quiet = gradient(m, false);
            for (int attempt = 0; attempt < 3; attempt++) {
                assertThat(gradient(m, true)).containsExactly(quiet);
            }
        }
    }
}
