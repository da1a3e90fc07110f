package io.seedstream.cli;

import io.seedstream.streams.scoring.ScoringConfig;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The method's options of DESIGN.md section 1, shared by {@code streams} and {@code up}; each is a scoring.* key. */
public final class MethodOptions {

    @Option(names = "--clustering", description = "exact | normalized | math (default: ${sys:seedstream.default.scoring.clustering}).")
    String clustering;

    @Option(names = "--estimator", description = "likelihood | count | kuhn (default: ${sys:seedstream.default.scoring.estimator}).")
    String estimator;

    @Option(names = "--advantage", description = "dr-grpo | grpo | rloo (default: ${sys:seedstream.default.scoring.advantage}).")
    String advantage;

    @Option(names = "--f", description = "inverse | linear | exp | focal | none (default: ${sys:seedstream.default.scoring.f}).")
    String f;

    @Option(names = "--alpha", description = "alpha of the modulation (default: ${sys:seedstream.default.scoring.alpha}).")
    Double alpha;

    @Option(names = "--filter-zero-advantage", description = "Dynamic sampling: drop groups whose advantages are all zero "
            + "(counted); the dispatcher releases one more group for each.")
    Boolean filterZero;

    public void putInto(Properties p) {
        UpdateOptions.put(p, ScoringConfig.CLUSTERING, clustering);
        UpdateOptions.put(p, ScoringConfig.ESTIMATOR, estimator);
        UpdateOptions.put(p, ScoringConfig.ADVANTAGE, advantage);
        UpdateOptions.put(p, ScoringConfig.MODULATION, f);
        UpdateOptions.put(p, ScoringConfig.ALPHA, alpha);
        UpdateOptions.put(p, ScoringConfig.FILTER_ZERO, filterZero);
    }
}
