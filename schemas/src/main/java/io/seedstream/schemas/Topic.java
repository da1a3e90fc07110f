package io.seedstream.schemas;

import java.util.Map;
import java.util.Objects;

/**
 * A topic of the system, declared once: its name without the deployment prefix, the types of
 * its keys and values, and the configuration it is created with.
 *
 * @param suffix name without the prefix (e.g. {@code rollouts})
 * @param prefixed whether the deployment prefix ({@code topic.prefix}) applies to the name
 * @param keyType class of the record keys
 * @param valueType class of the record values
 * @param partitions partition count used when the topic is created
 * @param configs topic-level configuration used when the topic is created
 */
public record Topic<K, V>(
        String suffix,
        boolean prefixed,
        Class<K> keyType,
        Class<V> valueType,
        int partitions,
        Map<String, String> configs) {

    public Topic {
        Objects.requireNonNull(suffix, "suffix");
        if (partitions < 1) {
            throw new IllegalArgumentException(
                    "partitions of " + suffix + " was " + partitions + ", must be >= 1");
        }
        configs = Map.copyOf(configs);
    }

    /** The topic's full name under the given prefix. */
    public String name(String prefix) {
        return prefixed ? prefix + suffix : suffix;
    }
}
