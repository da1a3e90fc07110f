package io.seedstream.producers.dispatch;

/**
 * AReaL's capacity rule for a staleness bound eta and B groups per training batch: when the
 * newest announced version is v, at most (eta + v + 1) x B groups have ever been released. Group
 * n belongs to batch n / B, which updates version n / B; it may be sampled by any version from
 * n / B - eta on, which is the minimum version its request carries.
 */
record AdmissionRule(int stalenessBound, int batchGroups) {

    AdmissionRule {
        if (stalenessBound < 0) {
            throw new IllegalArgumentException("staleness bound was " + stalenessBound + ", must be >= 0");
        }
        if (batchGroups < 1) {
            throw new IllegalArgumentException("batch groups was " + batchGroups + ", must be >= 1");
        }
    }

    /** Groups that may have been released in all when version {@code newest} is announced (-1: none yet). */
    long capacity(long newest) {
        return (stalenessBound + Math.max(0, newest) + 1L) * batchGroups;
    }

    /** The oldest policy version that may sample group number {@code n} (from 0). */
    long minPolicyVersion(long n) {
        return Math.max(0, n / batchGroups - stalenessBound);
    }
}
