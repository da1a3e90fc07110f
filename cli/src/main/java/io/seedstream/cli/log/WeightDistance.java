package io.seedstream.cli.log;

import io.seedstream.model.Checkpoints;
import io.seedstream.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** How far apart two checkpoints' weights are: the L2 norm of their difference over every tensor. */
final class WeightDistance {

    private WeightDistance() {}

    static double l2(Path checkpointA, Path checkpointB) throws IOException {
        Map<String, SafeTensors.Tensor> a = SafeTensors.read(checkpointA.resolve(Checkpoints.WEIGHTS));
        Map<String, SafeTensors.Tensor> b = SafeTensors.read(checkpointB.resolve(Checkpoints.WEIGHTS));
        if (!a.keySet().equals(b.keySet())) {
            return Double.POSITIVE_INFINITY; // not the same model
        }
        double sum = 0;
        for (Map.Entry<String, SafeTensors.Tensor> e : a.entrySet()) {
            float[] x = e.getValue().data();
            float[] y = b.get(e.getKey()).data();
            if (x.length != y.length) {
                return Double.POSITIVE_INFINITY;
            }
            for (int i = 0; i < x.length; i++) {
                double d = (double) x[i] - y[i];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }
}
