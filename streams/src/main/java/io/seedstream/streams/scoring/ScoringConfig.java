package io.seedstream.streams.scoring;

import io.seedstream.schemas.SharedKeys;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * How a group is scored (DESIGN.md section 1): clustering mode, probability estimator, base
 * advantage, modulation function and its alpha, and whether all-zero-advantage groups are dropped.
 */
public record ScoringConfig(
        Clustering clustering,
        Estimator estimator,
        Advantage advantage,
        Modulation modulation,
        double alpha,
        boolean filterZeroAdvantage) {

    public enum Clustering { EXACT, NORMALIZED, MATH }

    public enum Estimator { LIKELIHOOD, COUNT, KUHN }

    public enum Advantage { DR_GRPO, GRPO, RLOO }

    public enum Modulation { INVERSE, LINEAR, EXP, FOCAL, NONE }

    /** The official code's alpha: the paper's "alpha = 0.02" at G = 8 is 0.0417 / ln 8 * ln 8. */
    public static final double DEFAULT_ALPHA = 0.0417;

    public static final String CLUSTERING = "scoring.clustering";
    public static final String ESTIMATOR = "scoring.estimator";
    public static final String ADVANTAGE = "scoring.advantage";
    public static final String MODULATION = "scoring.f";
    public static final String ALPHA = "scoring.alpha";
    /** Shared with the dispatcher, which replaces the groups the filter drops. */
    public static final String FILTER_ZERO = SharedKeys.FILTER_ZERO_ADVANTAGE;

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(CLUSTERING, Type.STRING, "math", ConfigDef.ValidString.in("exact", "normalized", "math"),
                    Importance.HIGH, "How answers are grouped by meaning: identical extracted strings (exact), "
                            + "normalised strings (normalized), or mathematical equivalence (math).")
            .define(ESTIMATOR, Type.STRING, "likelihood", ConfigDef.ValidString.in("likelihood", "count", "kuhn"),
                    Importance.HIGH, "Cluster probabilities: length-normalised likelihood (likelihood), cluster "
                            + "sizes (count), or likelihood with the paper's Eq. 5 entropy (kuhn).")
            .define(ADVANTAGE, Type.STRING, "dr-grpo", ConfigDef.ValidString.in("dr-grpo", "grpo", "rloo"),
                    Importance.HIGH, "Base advantage: r - mean (dr-grpo), (r - mean) / (std + 1e-6) (grpo), "
                            + "r - mean of the others (rloo).")
            .define(MODULATION, Type.STRING, "inverse",
                    ConfigDef.ValidString.in("inverse", "linear", "exp", "focal", "none"), Importance.HIGH,
                    "f in s = f(alpha * SE / ln G): 1/(1+x), max(0,1-x), exp(-x), (1-SE/SEmax)^alpha, or 1.")
            .define(ALPHA, Type.DOUBLE, DEFAULT_ALPHA, ConfigDef.Range.atLeast(0), Importance.HIGH,
                    "alpha of the modulation (default 0.0417, the official code's value).")
            .define(SharedKeys.key(FILTER_ZERO));

    public static final ScoringConfig DEFAULT = from(Map.of());

    public ScoringConfig {
        if (!(alpha >= 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha was " + alpha + ", must be a finite number >= 0");
        }
    }

    public static ScoringConfig from(Map<?, ?> props) {
        AbstractConfig c = new AbstractConfig(DEFINITION, props, false);
        return new ScoringConfig(parse(Clustering.class, c.getString(CLUSTERING)),
                parse(Estimator.class, c.getString(ESTIMATOR)), parse(Advantage.class, c.getString(ADVANTAGE)),
                parse(Modulation.class, c.getString(MODULATION)), c.getDouble(ALPHA), c.getBoolean(FILTER_ZERO));
    }

    /** Parses "dr-grpo" as DR_GRPO; a clear error names the bad value and the choices. */
    public static <E extends Enum<E>> E parse(Class<E> type, String name) {
        try {
            return Enum.valueOf(type, name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException(type.getSimpleName().toLowerCase(Locale.ROOT) + " was '" + name
                    + "', must be one of " + Arrays.toString(Arrays.stream(type.getEnumConstants())
                    .map(x -> x.name().toLowerCase(Locale.ROOT).replace('_', '-')).toArray()));
        }
    }

    /** The settings as properties, for logging and saving with a run. */
    public Map<String, String> describe() {
        return Map.of(CLUSTERING, name(clustering), ESTIMATOR, name(estimator), ADVANTAGE, name(advantage),
                MODULATION, name(modulation), ALPHA, String.valueOf(alpha), FILTER_ZERO,
                String.valueOf(filterZeroAdvantage));
    }

    private static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
