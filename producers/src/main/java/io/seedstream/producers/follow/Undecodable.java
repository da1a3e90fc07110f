package io.seedstream.producers.follow;

import io.seedstream.schemas.DeadLetters;
import io.seedstream.schemas.avro.DeadLetter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The records of a followed table that could not be decoded: counted, and kept (the newest
 * {@value #KEPT}) until the one process that owns the table's dead letters takes them; the
 * others only count them, so a record is not dead-lettered once per follower.
 */
public final class Undecodable {

    static final int KEPT = 1000;

    /** One record that did not decode, and why. */
    public record Entry(String topic, int partition, long offset, String key, byte[] value, String error,
            Throwable cause) {

        public DeadLetter deadLetter(String stage, String what, Instant now) {
            return DeadLetters.of(topic, partition, offset, key, value, stage, "cannot decode " + what + ": " + error,
                    cause, now);
        }
    }

    private final ConcurrentLinkedQueue<Entry> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicLong count = new AtomicLong();

    void add(ConsumerRecord<String, byte[]> r, RuntimeException error) {
        count.incrementAndGet();
        waiting.add(new Entry(r.topic(), r.partition(), r.offset(), r.key(), r.value(), String.valueOf(error.getMessage()),
                error));
        while (waiting.size() > KEPT) {
            waiting.poll();
        }
    }

    /** How many records did not decode since the table started following. */
    public long count() {
        return count.get();
    }

    /** The undecodable records not taken yet, oldest first; they are taken. */
    public List<Entry> take() {
        List<Entry> out = new ArrayList<>();
        for (Entry e; (e = waiting.poll()) != null; ) {
            out.add(e);
        }
        return out;
    }
}
