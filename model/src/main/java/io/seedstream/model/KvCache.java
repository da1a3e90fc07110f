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
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        keys[layer] = oldK == null ? k : NDArrays.concat(new NDList(oldK, k), 2);
        values[layer] = oldV == null ? v : NDArrays.concat(new NDList(oldV, v), 2);
        if (oldK != null) { // the longer copies replace them: free native memory now, not at the end
            oldK.close();
            oldV.close();
        }
        return new NDList(keys[layer], values[layer]);
    }

    /** Moves the cached arrays to a longer-lived manager (the step that made them is closing). */
    void keepIn(ai.djl.ndarray.NDManager manager) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].attach(manager);
                values[i].attach(manager);
            }
        }
    }

    /** Positions already cached. */
    public long length() {
        return keys[0] == null ? 0 : keys[0].getShape().get(2);
    }
}
