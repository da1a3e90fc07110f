package io.seedstream.producers.follow;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The prompts topic as an in-memory table, kept up to date on its own thread: generators look
 * up the problem of each request here, the dispatcher takes its training prompts from it.
 * Undecodable records are skipped and kept for the dispatcher to dead-letter (the loader
 * dead-letters bad lines before they reach the topic; what else lands there is written by hand).
 */
public final class PromptTable implements AutoCloseable {

    private final Map<String, Prompt> byId = new ConcurrentHashMap<>();
    private final Undecodable undecodable = new Undecodable();
    private final TopicFollower<Prompt> follower;

    private PromptTable(ConnectionConfig connection, AvroSerdes serdes, String clientId) {
        this.follower = new TopicFollower<>(connection, connection.topic(Topics.PROMPTS),
                serdes.value(Topics.PROMPTS).deserializer(), clientId, (r, p) -> {
                    if (p == null) {
                        byId.remove(r.key());
                    } else {
                        byId.put(p.getId(), p);
                    }
                }, undecodable::add);
    }

    public static PromptTable follow(ConnectionConfig connection, AvroSerdes serdes, String clientId) {
        PromptTable t = new PromptTable(connection, serdes, clientId);
        t.follower.start();
        return t;
    }

    /** Waits until every prompt that existed when the table started has been read. */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return follower.awaitCaughtUp(timeout);
    }

    public Optional<Prompt> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The prompts now known, in no particular order. */
    public List<Prompt> all() {
        return List.copyOf(byId.values());
    }

    public int size() {
        return byId.size();
    }

    /** Records of prompts that could not be decoded (skipped here; the dispatcher dead-letters them). */
    public Undecodable undecodable() {
        return undecodable;
    }

    @Override
    public void close() throws InterruptedException {
        follower.close();
    }
}
