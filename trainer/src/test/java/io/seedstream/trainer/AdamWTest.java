package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** Two steps of AdamW on p = 1 with gradient 2 (loss 2p), computed by hand as torch defines it. */
    @Test
    void twoStepsMatchTheHandComputedUpdate() throws Exception {
        double lr = 0.1;
        double wd = 0.01;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1f});
            p.setRequiresGradient(true);
            try (AdamW opt = new AdamW(new AdamW.Settings(0.9, 0.95, 1e-8, wd), m)) {
                double expected = 1;
                double mom = 0;
                double sq = 0;
                for (int t = 1; t <= 2; t++) {
                    try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(p.mul(2f).sum());
                    }
                    opt.update(Map.of("p", p), lr);
                    try (NDManager s = m.newSubManager()) {
                        Gradients.zero(java.util.List.of(p), s);
                    }
                    expected *= 1 - lr * wd;
                    mom = 0.9 * mom + 0.1 * 2;
                    sq = 0.95 * sq + 0.05 * 4;
                    double mhat = mom / (1 - Math.pow(0.9, t));
                    double vhat = sq / (1 - Math.pow(0.95, t));
                    expected -= lr * mhat / (Math.sqrt(vhat) + 1e-8);
                    assertThat((double) p.getFloat(0)).isCloseTo(expected, within(1e-6));
                }
                assertThat(opt.step()).isEqualTo(2);
                // state round trip, through a file as a checkpoint writes it
                var state = opt.state();
                assertThat(state).containsKeys("exp_avg.p", "exp_avg_sq.p");
                assertThat((double) state.get("exp_avg.p").getFloat(0)).isCloseTo(0.9 * 0.2 + 0.2, within(1e-6));
                java.nio.file.Path file = java.nio.file.Files.createTempFile("optimizer", ".safetensors");
                try {
                    io.seedstream.model.SafeTensors.write(file, state, io.seedstream.model.SafeTensors.DType.F32);
                    float[] m1 = state.get("exp_avg.p").toFloatArray();
                    float[] v1 = state.get("exp_avg_sq.p").toFloatArray();
                    try (AdamW back = new AdamW(AdamW.Settings.defaults(), m)) {
                        back.restore(file, 2);
                        assertThat(back.step()).isEqualTo(2);
                        assertThat(back.state().get("exp_avg.p").toFloatArray()).containsExactly(m1);
                        assertThat(back.state().get("exp_avg_sq.p").toFloatArray()).containsExactly(v1);
                    }
                } finally {
                    java.nio.file.Files.deleteIfExists(file);
                }
            }
        }
    }

    @Test
    void clippingScalesTheTotalNormToTheBound() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {0f, 0f});
            NDArray b = m.create(new float[] {0f});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // gradients (3, 0) and (4): total norm 5
                gc.backward(a.mul(m.create(new float[] {3f, 0f})).sum().add(b.mul(4f).sum()));
            }
            try (NDManager s = m.newSubManager()) {
                double norm = Gradients.totalNorm(java.util.List.of(a, b), s);
                assertThat(norm).isCloseTo(5.0, within(1e-6));
                double coef = Gradients.clip(java.util.List.of(a, b), norm, 1.0, s);
                assertThat(coef).isCloseTo(1.0 / (5.0 + 1e-6), within(1e-12));
                assertThat((double) Gradients.totalNorm(java.util.List.of(a, b), s)).isCloseTo(1.0, within(1e-6));
            }
        }
    }
}
