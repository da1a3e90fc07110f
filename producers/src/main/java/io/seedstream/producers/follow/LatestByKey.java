package io.seedstream.producers.follow;

import io.seedstream.schemas.ConnectionConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Deserializer;

/** The newest committed value of one key in a topic, read from the beginning to the end once. */
public final class LatestByKey {

    private LatestByKey() {}

    /**
     * @throws IllegalStateException when the topic could not be read to its end within the timeout
     */
    public static <V> Optional<V> read(ConnectionConfig connection, String topic, Deserializer<V> values, String key,
            String clientId, Duration timeout) throws InterruptedException {
        AtomicReference<V> latest = new AtomicReference<>();
        try (TopicFollower<V> f = new TopicFollower<>(connection, topic, values, clientId, (r, v) -> {
            if (key.equals(r.key())) {
                latest.set(v);
            }
        }, (r, e) -> {
            throw new IllegalStateException("record " + r.partition() + "@" + r.offset() + " of " + topic
                    + " cannot be decoded: " + e.getMessage(), e);
        })) {
            if (!f.start().awaitCaughtUp(timeout)) {
                throw new IllegalStateException(topic + " not read to its end within " + timeout.toMillis() + " ms");
            }
        }
        return Optional.ofNullable(latest.get());
    }
}
