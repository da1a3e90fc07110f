package io.seedstream.cli;

import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys a {@code --config} file may hold: every stage's, since one file serves every command of
 * a deployment, and the Kafka clients' security settings. A key nobody reads is refused with the
 * nearest known one, so a typo ({@code trainer.learning_rate}) stops the command instead of
 * silently leaving the default in place.
 */
public final class ConfigKeys {

    /** Passed unchanged to every Kafka client (ConnectionConfig keeps them). */
    private static final List<String> CLIENT_PREFIXES = List.of("security.", "sasl.", "ssl.");

    static final Set<String> KNOWN = known();

    private ConfigKeys() {}

    private static Set<String> known() {
        Set<String> keys = new TreeSet<>();
        keys.addAll(ConnectionConfig.DEFINITION.names());
        keys.addAll(TrainerConfig.DEFINITION.names());
        keys.addAll(GeneratorConfig.DEFINITION.names());
        keys.addAll(DispatcherConfig.DEFINITION.names());
        keys.addAll(ScoringConfig.DEFINITION.names());
        keys.addAll(TopologySettings.DEFINITION.names());
        keys.addAll(RegistrySettings.DEFINITION.names());
        return keys;
    }

    /**
     * Refuses the first key of {@code keys} that no stage reads and {@code extra} does not name.
     *
     * @param source where the keys come from, for the message (a file, an arm)
     */
    public static void check(Collection<String> keys, Set<String> extra, String source) {
        for (String key : new TreeSet<>(keys)) {
            if (KNOWN.contains(key) || extra.contains(key) || CLIENT_PREFIXES.stream().anyMatch(key::startsWith)) {
                continue;
            }
            String near = nearest(key, extra);
            throw new IllegalArgumentException(source + ": unknown key '" + key + "'"
                    + (near != null ? "; did you mean '" + near + "'?" : "; the stages read keys beginning with "
                            + String.join(", ", stages())));
        }
    }

    public static void check(java.util.Properties p, Path file) {
        check(p.stringPropertyNames(), Set.of(), "config " + file);
    }

    /** A --config properties file, read and checked: an unknown key is refused. */
    public static java.util.Properties load(Path file) {
        java.util.Properties p = new java.util.Properties();
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        check(p, file);
        return p;
    }

    /** The known key closest to {@code key}: fewest edits, or the only one of its stage with a shared word. */
    private static String nearest(String key, Set<String> extra) {
        Set<String> all = new TreeSet<>(KNOWN);
        all.addAll(extra);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : all) {
            int d = distance(key.replace('_', '.'), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        if (best != null && bestDistance <= Math.max(3, key.length() / 3)) {
            return best;
        }
        // same stage, a word in common: scoring.modulation -> scoring.f ("f in s = f(alpha * SE / ln G)")
        int dot = key.indexOf('.');
        if (dot > 0) {
            String stage = key.substring(0, dot + 1);
            List<String> same = all.stream().filter(k -> k.startsWith(stage)).toList();
            if (!same.isEmpty() && same.size() <= 8) {
                return String.join("' or '", same);
            }
        }
        return null;
    }

    /** The first word of every known key ("trainer.", "scoring.", ...). */
    private static Set<String> stages() {
        Set<String> out = new TreeSet<>();
        for (String k : KNOWN) {
            int dot = k.indexOf('.');
            out.add(dot > 0 ? k.substring(0, dot + 1) : k);
        }
        return out;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
