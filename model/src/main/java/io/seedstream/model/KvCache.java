package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the positions already processed, so that decoding one more
 * token costs one position of attention instead of the whole sequence. The (B, KV, capacity, D)
 * buffers are allocated once, in the owner's manager, and each step writes its positions in place.
 */
public final class KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final long capacity;
    private final NDManager owner;
    private long length;

    /**
     * @param capacity positions the cache can hold (prompt plus new tokens)
     * @param owner manager that outlives every step of the generation
     */
    public KvCache(int layers, long capacity, NDManager owner) {
        if (capacity < 1) {
            throw new IllegalArgumentException("KV cache capacity was " + capacity + ", must be >= 1");
        }
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
        this.owner = owner;
    }

    /** Adds this step's keys and values (B, KV, T, D) to layer i and returns the whole history. */
    NDList append(int layer, NDArray k, NDArray v) {
        long t = k.getShape().get(2);
        long start = layer == 0 ? length : length - t; // layer 0 advances the length for the step
        if (start + t > capacity) {
            throw new IllegalStateException("KV cache of " + capacity + " positions is full");
        }
        if (keys[layer] == null) {
            Shape s = new Shape(k.getShape().get(0), k.getShape().get(1), capacity, k.getShape().get(3));
            keys[layer] = owner.zeros(s);
            values[layer] = owner.zeros(s);
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

    /** Positions already cached. */
    public long length() {
        return length;
    }
}
