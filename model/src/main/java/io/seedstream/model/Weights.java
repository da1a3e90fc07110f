package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The model's parameters by Hugging Face name, as float32 NDArrays owned by one long-lived
 * manager. Loaded from a checkpoint's safetensors, one file or shards (every tensor the config
 * needs must be there, with its shape), or initialised from a seed.
 */
public final class Weights implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> tensors;

    private Weights(NDManager manager, Map<String, NDArray> tensors) {
        this.manager = manager;
        this.tensors = tensors;
    }

    /**
     * The weights the config names, from a model directory (one file or shards with an index) or
     * from one safetensors file, each widened to float32 by the engine (stored F32, BF16 or F16).
     */
    public static Weights load(ModelConfig config, Path source, NDManager parent) throws IOException {
        Map<String, Path> files;
        if (Files.isDirectory(source)) {
            files = Checkpoints.weightFiles(source);
        } else {
            files = new LinkedHashMap<>();
            for (String name : SafeTensors.header(source).entries().keySet()) {
                files.put(name, source);
            }
        }
        Map<Path, SafeTensors.Header> headers = new HashMap<>();
        NDManager m = parent.newSubManager();
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (String name : config.weightNames()) {
                Path file = files.get(name);
                if (file == null) {
                    throw new IllegalArgumentException("missing tensor '" + name + "' in " + source);
                }
                SafeTensors.Header h = headers.get(file);
                if (h == null) {
                    h = SafeTensors.header(file);
                    headers.put(file, h);
                }
                if (!h.entries().containsKey(name)) {
                    throw new IllegalArgumentException("the index of " + source + " puts '" + name + "' in " + file
                            + ", which does not hold it");
                }
                long[] expected = config.shapeOf(name);
                if (!Arrays.equals(expected, h.entry(name).shape())) {
                    throw new IllegalArgumentException("tensor '" + name + "' in " + file + " has shape "
                            + Arrays.toString(h.entry(name).shape()) + ", config needs " + Arrays.toString(expected));
                }
                NDArray stored = SafeTensors.load(h, name, m);
                if (stored.getDataType() == DataType.FLOAT32) {
                    out.put(name, stored);
                } else {
                    out.put(name, stored.toType(DataType.FLOAT32, false));
                    stored.close();
                }
            }
        } catch (RuntimeException | IOException e) {
            m.close();
            throw e;
        }
        return new Weights(m, out);
    }

    /** Random initialisation as transformers does: normal(0, 0.02) matrices, zero biases, unit norms. */
    public static Weights random(ModelConfig config, long seed, NDManager parent) {
        NDManager m = parent.newSubManager();
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : config.weightNames()) {
            long[] shape = config.shapeOf(name);
            int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            float[] data = new float[n];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(data, 1f);
            } else if (!name.endsWith(".bias")) {
                for (int i = 0; i < n; i++) {
                    data[i] = (float) (gaussian(r) * 0.02);
                }
            }
            out.put(name, m.create(data, new Shape(shape)));
        }
        return new Weights(m, out);
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller: deterministic for a seed on every JVM
        double u = 1.0 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    public NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no weight '" + name + "'");
        }
        return a;
    }

    public Map<String, NDArray> all() {
        return tensors;
    }

    /** Whether any weight has a gradient attached, i.e. a forward pass may be differentiated. */
    public boolean anyTrainable() {
        for (NDArray a : tensors.values()) {
            if (a.hasGradient()) {
                return true;
            }
        }
        return false;
    }

    /** The weights as float32 tensors, in config order (for checkpoints). */
    public Map<String, SafeTensors.Tensor> toTensors() {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, new SafeTensors.Tensor(v.getShape().getShape(),
                v.toType(DataType.FLOAT32, false).toFloatArray())));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
