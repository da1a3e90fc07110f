package io.seedstream.schemas;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/** For the tools that read a log to the end it had when they started (tail, replay), not beyond. */
public final class LogEnd {

    private LogEnd() {}

    /** Whether the consumer's position has reached {@code end} on every partition. */
    public static boolean reached(Consumer<?, ?> consumer, Map<TopicPartition, Long> end, Duration timeout) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), timeout) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
