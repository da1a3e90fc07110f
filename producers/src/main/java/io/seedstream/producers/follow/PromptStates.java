package io.seedstream.producers.follow;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.PromptState;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The prompt-states topic as an in-memory table, kept up to date on its own thread: what the
 * topology last knew of each training prompt, for the dispatcher's selection policies. A record
 * that does not decode, or whose numbers cannot be a state (a pass rate outside [0, 1], a
 * negative entropy or count), is left out of the table and kept for the dispatcher to
 * dead-letter; selection goes on with the rest.
 */
public final class PromptStates implements AutoCloseable {

    private final Map<String, PromptState> byId = new ConcurrentHashMap<>();
    private final Undecodable undecodable = new Undecodable();
    private final TopicFollower<PromptState> follower;

    private PromptStates(ConnectionConfig connection, AvroSerdes serdes, String clientId) {
        this.follower = new TopicFollower<>(connection, connection.topic(Topics.PROMPT_STATES),
                serdes.value(Topics.PROMPT_STATES).deserializer(), clientId, (r, s) -> {
                    if (s == null) {
                        byId.remove(r.key());
                        return;
                    }
                    String wrong = implausible(s);
                    if (wrong != null) {
                        undecodable.add(r, new IllegalArgumentException(wrong));
                    } else {
                        byId.put(s.getPromptId(), s);
                    }
                }, undecodable::add);
    }

    public static PromptStates follow(ConnectionConfig connection, AvroSerdes serdes, String clientId) {
        PromptStates t = new PromptStates(connection, serdes, clientId);
        t.follower.start();
        return t;
    }

    /** Why a decoded state cannot be one, or null when it can. */
    static String implausible(PromptState s) {
        if (!(s.getRecentPassRate() >= 0 && s.getRecentPassRate() <= 1)) {
            return "recent_pass_rate " + s.getRecentPassRate() + " is not in [0, 1]";
        }
        if (!(s.getPassRateEwma() >= 0 && s.getPassRateEwma() <= 1)) {
            return "pass_rate_ewma " + s.getPassRateEwma() + " is not in [0, 1]";
        }
        if (!(s.getLastSemanticEntropy() >= 0) || !(s.getRecentSemanticEntropy() >= 0)
                || Double.isInfinite(s.getRecentSemanticEntropy())) {
            return "semantic entropy " + s.getRecentSemanticEntropy() + " is not a finite non-negative number";
        }
        if (s.getVisits() < 1 || s.getRecentVisits() < 1 || s.getRecentVisits() > s.getVisits()
                || s.getZeroAdvantageVisits() < 0 || s.getZeroAdvantageVisits() > s.getVisits()
                || s.getZeroAdvantageStreak() < 0 || s.getZeroAdvantageStreak() > s.getVisits()
                || s.getDroppedVisits() < 0 || s.getDroppedVisits() > s.getZeroAdvantageVisits()) {
            return "counts do not fit: visits " + s.getVisits() + ", recent " + s.getRecentVisits() + ", zero-advantage "
                    + s.getZeroAdvantageVisits() + " (streak " + s.getZeroAdvantageStreak() + "), dropped "
                    + s.getDroppedVisits();
        }
        return null;
    }

    /** Waits until every state that existed when the table started has been read. */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return follower.awaitCaughtUp(timeout);
    }

    public Optional<PromptState> get(String promptId) {
        return Optional.ofNullable(byId.get(promptId));
    }

    /** A copy of the table as it stands: the dispatcher decides a release on one snapshot. */
    public Map<String, PromptState> snapshot() {
        return Map.copyOf(byId);
    }

    /** Records left out of the table (undecodable or implausible); the dispatcher dead-letters them. */
    public Undecodable undecodable() {
        return undecodable;
    }

    @Override
    public void close() throws InterruptedException {
        follower.close();
    }
}
