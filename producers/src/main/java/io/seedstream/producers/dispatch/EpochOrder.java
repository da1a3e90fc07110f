package io.seedstream.producers.dispatch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order in which one epoch visits the training prompts: their ids sorted, then shuffled with
 * a seed made of the run's seed and the epoch, so a restarted dispatcher computes the same order.
 */
record EpochOrder(long epoch, List<String> ids, String fingerprint) {

    static EpochOrder of(Collection<String> promptIds, long seed, long epoch) {
        List<String> sorted = new ArrayList<>(promptIds);
        sorted.sort(null);
        String fingerprint = fingerprint(sorted);
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = sorted.size() - 1; i > 0; i--) { // Fisher-Yates
            int j = r.nextInt(i + 1);
            String t = sorted.get(i);
            sorted.set(i, sorted.get(j));
            sorted.set(j, t);
        }
        return new EpochOrder(epoch, List.copyOf(sorted), fingerprint);
    }

    private static String fingerprint(List<String> sortedIds) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String id : sortedIds) {
                d.update(id.getBytes(StandardCharsets.UTF_8));
                d.update((byte) '\n');
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
