package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the positions already processed, so that decoding one more
 * token costs one position of attention instead of the whole sequence. Arrays are (B, KV, S, D).
 * With a capacity the buffers are allocated once and each step writes its positions in place;
 * without one, the cache grows by concatenation (a copy per step).
 */
public final class KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final long capacity;
    private long length;

    /** A cache that grows as needed. */
    public KvCache(int layers) {
        this(layers, 0);
    }

    /** A cache for at most {@code capacity} positions (prompt plus new tokens), allocated once. */
    public KvCache(int layers, long capacity) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
    }

    /** Adds this step's keys and values (B, KV, T, D) to layer i and returns the whole history. */
    NDList append(int layer, NDArray k, NDArray v) {
        long t = k.getShape().get(2);
        long start = layer == 0 ? length : length - t; // layer 0 advances the length for the step
        if (capacity > 0) {
            if (start + t > capacity) {
                throw new IllegalStateException("KV cache of " + capacity + " positions is full");
            }
            if (keys[layer] == null) {
                Shape s = new Shape(k.getShape().get(0), k.getShape().get(1), capacity, k.getShape().get(3));
                keys[layer] = k.getManager().zeros(s);
                values[layer] = v.getManager().zeros(s);
            }
            keys[layer].set(new NDIndex(":, :, {}:{}, :", start, start + t), k);
            values[layer].set(new NDIndex(":, :, {}:{}, :", start, start + t), v);
            if (layer == 0) {
                length = start + t;
            }
            NDArray kSeen = keys[layer].get(new NDIndex(":, :, :{}, :", start + t)); // views, no copy
            NDArray vSeen = values[layer].get(new NDIndex(":, :, :{}, :", start + t));
            kSeen.attach(k.getManager()); // the step's views go with the step
            vSeen.attach(k.getManager());
            return new NDList(kSeen, vSeen);
        }
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        keys[layer] = oldK == null ? k : NDArrays.concat(new NDList(oldK, k), 2);
        values[layer] = oldV == null ? v : NDArrays.concat(new NDList(oldV, v), 2);
        if (oldK != null) { // the longer copies replace them: free native memory now, not at the end
            oldK.close();
            oldV.close();
        }
        if (layer == 0) {
            length = start + t;
        }
        return new NDList(keys[layer], values[layer]);
    }

    /** Moves the cached arrays to a longer-lived manager (the step that made them is closing). */
    void keepIn(NDManager manager) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].attach(manager);
                values[i].attach(manager);
            }
        }
    }

    /** Positions already cached. */
    public long length() {
        return length;
    }
}
