package io.seedstream.trainer;

import java.util.Locale;

/** How per-token losses become one number (DESIGN.md section 1.7). */
public enum Aggregation {
    /** Dr. GRPO: each answer's token sum divided by the max generation length, mean over answers. */
    CONSTANT,
    /** Sum over every token of the step divided by the number of tokens. */
    TOKEN_MEAN,
    /** Each answer's token mean, then the mean over answers. */
    SEQ_MEAN;

    public static Aggregation parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown aggregation '" + s + "' (constant, token-mean, seq-mean)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
