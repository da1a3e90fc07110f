package io.seedstream.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.seedstream.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, in the order of operations of torch.optim.AdamW (single
 * tensor path), so an update here matches one there to float32 precision. Moments live in the
 * optimizer's own manager, one pair per parameter name.
 */
public final class AdamW implements AutoCloseable {

    /** betas, eps and weight decay; the learning rate comes with each step (it may follow a schedule). */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {

        public static Settings defaults() {
            return new Settings(0.9, 0.95, 1e-8, 0.0);
        }
    }

    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(Settings settings, NDManager parent) {
        this.settings = settings;
        this.manager = parent.newSubManager();
    }

    public long step() {
        return step;
    }

    /** Updates every parameter in place from its gradient. */
    public void update(Map<String, NDArray> params, double lr) {
        step++;
        double b1 = settings.beta1();
        double b2 = settings.beta2();
        double biasCorrection1 = 1 - Math.pow(b1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
        float stepSize = (float) (lr / biasCorrection1);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            // one parameter's temporaries at a time: a scratch over the whole loop held four
            // copies of the model at the step's end, the trainer's peak at real size (bench memory)
            try (NDManager scratch = manager.newSubManager()) {
                // the step writes through a detached view of the weights (same storage): an in-place op on a
                // leaf that requires grad is refused while the thread's grad mode is on, which is the default
                // of every new thread (up runs the trainer on its own)
                NDArray p = tempOf(e.getValue().stopGradient(), scratch);
                NDArray g = e.getValue().getGradient();
                g.attach(scratch);
                NDArray m = expAvg.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape()));
                NDArray v = expAvgSq.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape()));
                if (settings.weightDecay() != 0) {
                    p.muli((float) (1 - lr * settings.weightDecay()));
                }
                // m <- m + (1 - b1) (g - m), torch's lerp; v <- b2 v + (1 - b2) g^2
                m.addi(tempOf(g.sub(m), scratch).muli((float) (1 - b1)));
                v.muli((float) b2).addi(tempOf(g.mul(g), scratch).muli((float) (1 - b2)));
                NDArray denom = tempOf(v.sqrt(), scratch).divi((float) biasCorrection2Sqrt).addi((float) settings.eps());
                p.subi(tempOf(m.div(denom), scratch).muli(stepSize));
            }
        }
    }

    /** Results of an op are owned by the manager of the array it was called on; move them to the scratch. */
    private static NDArray tempOf(NDArray a, NDManager scratch) {
        a.attach(scratch);
        return a;
    }

    /**
     * The moments, named exp_avg.NAME / exp_avg_sq.NAME, as the engine holds them: a checkpoint writes
     * them from there, never through the Java heap. Read only.
     */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> out.put("exp_avg." + k, v));
        expAvgSq.forEach((k, v) -> out.put("exp_avg_sq." + k, v));
        return out;
    }

    /** Restores the moments written from {@link #state()} (none: a fresh optimizer) and the step count. */
    public void restore(Path file, long savedStep) throws IOException {
        expAvg.values().forEach(NDArray::close);
        expAvgSq.values().forEach(NDArray::close);
        expAvg.clear();
        expAvgSq.clear();
        if (file != null) {
            SafeTensors.Header h = SafeTensors.header(file);
            for (String name : h.entries().keySet()) {
                if (name.startsWith("exp_avg_sq.")) {
                    expAvgSq.put(name.substring("exp_avg_sq.".length()), SafeTensors.load(h, name, manager));
                } else if (name.startsWith("exp_avg.")) {
                    expAvg.put(name.substring("exp_avg.".length()), SafeTensors.load(h, name, manager));
                } else {
                    throw new IllegalArgumentException(file + ": unexpected optimizer tensor '" + name + "'");
                }
            }
        }
        this.step = savedStep;
    }

    @Override
    public void close() {
        manager.close();
    }
}
