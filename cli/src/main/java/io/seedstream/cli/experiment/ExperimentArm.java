package io.seedstream.cli.experiment;

import io.seedstream.cli.ConfigKeys;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.schemas.SharedKeys;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.trainer.TrainerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One arm of an experiment: a name and the stage keys it changes from {@code up}'s settings
 * (everything else equal across arms).
 *
 * @param settings stage keys (scoring.*, trainer.*, ...) in the order given
 */
public record ExperimentArm(String name, Map<String, String> settings) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,40}");

    public ExperimentArm {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("arm name '" + name + "' must be 1-40 of A-Z a-z 0-9 . _ - (it names topics)");
        }
        settings = Map.copyOf(settings);
    }

    /**
     * The arms of issue 14 by name: the method's arms (SEED-GRPO at the paper's alpha and at two
     * larger ones, Dr. GRPO, GRPO with std normalisation) and the asynchrony arms (SEED-GRPO at
     * staleness bound 0, 2 and 4).
     */
    static final Map<String, Map<String, String>> CATALOGUE = catalogue();

    private static Map<String, Map<String, String>> catalogue() {
        Map<String, Map<String, String>> c = new LinkedHashMap<>();
        c.put("seed-grpo", Map.of());
        c.put("dr-grpo", Map.of(ScoringConfig.MODULATION, "none"));
        c.put("seed-grpo-a0.5", Map.of(ScoringConfig.ALPHA, "0.5"));
        c.put("seed-grpo-a1", Map.of(ScoringConfig.ALPHA, "1"));
        c.put("seed-grpo-a2", Map.of(ScoringConfig.ALPHA, "2"));
        c.put("grpo-std", Map.of(ScoringConfig.MODULATION, "none", ScoringConfig.ADVANTAGE, "grpo"));
        c.put("sync", Map.of(TrainerConfig.STALENESS, "0"));
        c.put("async-2", Map.of(TrainerConfig.STALENESS, "2"));
        c.put("async-4", Map.of(TrainerConfig.STALENESS, "4"));
        // which prompts the dispatcher releases, without and with dynamic sampling (zero-advantage groups dropped
        // and replaced)
        for (String selection : List.of("uniform", "learnable", "uncertainty")) {
            c.put(selection, Map.of(DispatcherConfig.SELECTION, selection));
            c.put(selection + "-filter", Map.of(DispatcherConfig.SELECTION, selection, SharedKeys.FILTER_ZERO_ADVANTAGE,
                    "true"));
        }
        return c;
    }

    /** The method arms, in the report's order. */
    static final List<String> METHOD_ARMS = List.of("seed-grpo", "dr-grpo", "seed-grpo-a0.5", "seed-grpo-a2", "grpo-std");

    /**
     * A catalogue name ({@code dr-grpo}), or {@code NAME:key=value,key=value} for an arm of one's
     * own ({@code hot:scoring.alpha=1,trainer.learning.rate=3e-4}).
     */
    public static ExperimentArm parse(String spec) {
        String s = spec.strip();
        int colon = s.indexOf(':');
        if (colon < 0) {
            Map<String, String> known = CATALOGUE.get(s);
            if (known == null) {
                throw new IllegalArgumentException("unknown arm '" + s + "': one of " + CATALOGUE.keySet()
                        + ", or NAME:key=value,...");
            }
            return new ExperimentArm(s, known);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (String kv : s.substring(colon + 1).split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0 || eq == kv.length() - 1) {
                throw new IllegalArgumentException("arm '" + s + "': '" + kv + "' is not key=value");
            }
            settings.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
        }
        // a misspelt key would run the arm on the defaults under a name that says otherwise
        ConfigKeys.check(settings.keySet(), java.util.Set.of(), "arm '" + s.substring(0, colon) + "'");
        return new ExperimentArm(s.substring(0, colon), settings);
    }

    /** The settings as the report shows them ("up's settings" when none). */
    String describe() {
        if (settings.isEmpty()) {
            return "up's settings";
        }
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(settings).forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return b.toString();
    }
}
