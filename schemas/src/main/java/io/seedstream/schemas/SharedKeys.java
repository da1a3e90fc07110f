package io.seedstream.schemas;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The keys more than one stage reads, declared once: the admission rule of the dispatcher, the
 * trainer's gate and the topology's batching only hold together when they agree on eta and B, and
 * on whether zero-advantage groups are dropped.
 * Each stage's definition takes these declarations ({@link #key}) instead of repeating them.
 */
public final class SharedKeys {

    /** eta, read by the trainer (its gate) and the dispatcher (admission). */
    public static final String STALENESS_BOUND = "trainer.staleness.bound";
    /** B, read by the topology (batch size) and the dispatcher (admission). */
    public static final String BATCH_GROUPS = "batch.groups";
    /** The zero-advantage filter, read by the topology (it drops such groups) and the dispatcher (it replaces them). */
    public static final String FILTER_ZERO_ADVANTAGE = "scoring.filter.zero.advantage";

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(STALENESS_BOUND, Type.INT, 2, Range.atLeast(0), Importance.HIGH,
                    "eta: answers generated more than eta policy versions before the weights being updated are "
                            + "rejected by the trainer (counted, never used); the dispatcher admits work so that this "
                            + "need not happen. 0 is synchronous on-policy training.")
            .define(BATCH_GROUPS, Type.INT, 16, Range.atLeast(1), Importance.HIGH,
                    "B: groups per training batch. The topology closes a batch when it holds this many; the "
                            + "dispatcher admits work in units of B.")
            .define(FILTER_ZERO_ADVANTAGE, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Dynamic sampling: the topology drops groups whose advantages are all zero (they are always "
                            + "counted), and the dispatcher releases one more group for each dropped one, so every "
                            + "training batch still holds B trainable groups.");

    private SharedKeys() {}

    /** The one declaration of a shared key, to add to a stage's definition. */
    public static ConfigDef.ConfigKey key(String name) {
        ConfigDef.ConfigKey k = DEFINITION.configKeys().get(name);
        if (k == null) {
            throw new IllegalArgumentException("not a shared key: " + name);
        }
        return k;
    }
}
