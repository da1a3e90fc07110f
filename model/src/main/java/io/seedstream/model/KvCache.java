package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Keys and values of every layer for the positions already processed, so that decoding one more
 * token costs one position of attention instead of the whole sequence. Arrays are (B, KV, T, D)
 * and belong to the caller's manager.
 */
public final class KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;

    public KvCache(int layers) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Appends this step's keys and values (B, KV, T, D) to layer i and returns the whole history. */
    NDList append(int layer, NDArray k, NDArray v) {
        keys[layer] = keys[layer] == null ? k : NDArrays.concat(new NDList(keys[layer], k), 2);
        values[layer] = values[layer] == null ? v : NDArrays.concat(new NDList(values[layer], v), 2);
        return new NDList(keys[layer], values[layer]);
    }

    /** Positions already cached. */
    public long length() {
        return keys[0] == null ? 0 : keys[0].getShape().get(2);
    }
}
