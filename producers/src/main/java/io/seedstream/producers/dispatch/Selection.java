package io.seedstream.producers.dispatch;

import java.util.Locale;

/**
 * Which prompts the dispatcher releases, and the knobs of the state-driven policies.
 *
 * @param policy uniform (each epoch's seeded shuffle), learnable (unseen prompts first, then prompts
 *     whose recent pass rate is inside the band, weighted by p(1 - p)) or uncertainty (unseen first,
 *     then weighted by recent semantic entropy)
 * @param bandLow lowest recent pass rate that counts as learnable
 * @param bandHigh highest recent pass rate that counts as learnable
 * @param exploreSolved share of learnable's releases drawn among prompts above the band
 * @param exploreUnsolved share of learnable's releases drawn among prompts below the band
 * @param filteredStreakLimit with the zero-advantage filter on, a prompt whose newest this many visits
 *     were all dropped is retired: noted, and no longer released
 */
public record Selection(Policy policy, double bandLow, double bandHigh, double exploreSolved, double exploreUnsolved,
        int filteredStreakLimit) {

    public enum Policy {
        UNIFORM, LEARNABLE, UNCERTAINTY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why a prompt was released: the {@code selection} field of its request. */
    public enum Reason {
        /** the next prompt of the epoch's shuffle (uniform) */
        EPOCH,
        /** a prompt the topology has no state of yet */
        UNSEEN,
        /** inside the pass-rate band, weighted by p(1 - p) */
        LEARNABLE,
        /** above the band, at the exploration rate */
        EXPLORE_SOLVED,
        /** below the band, at the exploration rate */
        EXPLORE_UNSOLVED,
        /** weighted by recent semantic entropy */
        UNCERTAIN,
        /** learnable found no prompt in the band: any seen prompt */
        FALLBACK;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public Selection {
        if (!(bandLow >= 0 && bandLow <= bandHigh && bandHigh <= 1)) {
            throw new IllegalArgumentException("the pass-rate band must satisfy 0 <= low <= high <= 1, was [" + bandLow
                    + ", " + bandHigh + "]");
        }
        if (!(exploreSolved >= 0 && exploreUnsolved >= 0 && exploreSolved + exploreUnsolved <= 1)) {
            throw new IllegalArgumentException("exploration rates must be >= 0 and add up to at most 1, were "
                    + exploreSolved + " and " + exploreUnsolved);
        }
    }

    public static Policy parse(String name) {
        for (Policy p : Policy.values()) {
            if (p.label().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown selection policy '" + name + "': uniform, learnable or uncertainty");
    }

    public static Selection uniform() {
        return new Selection(Policy.UNIFORM, 0.1, 0.9, 0.05, 0.05, 4);
    }
}
