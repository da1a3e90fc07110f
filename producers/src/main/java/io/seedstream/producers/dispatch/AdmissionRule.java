package io.seedstream.producers.dispatch;

/**
 * How many groups may have been released, for a staleness bound eta and B groups per training
 * batch. AReaL's rule counts versions: when the newest announced version is v, at most
 * (eta + v + 1) x B groups. It assumes every version consumed B groups; when a stage is down the
 * topology closes short batches on its linger, versions consume fewer, and admission runs ahead
 * of what the trainer can use within eta. So where the announcement says how many groups the
 * trainer has consumed (C, applied or rejected), the rule counts groups: at most C + (eta + 1) x B
 * (the same as AReaL's while every batch is full). Group n may be sampled by any version from
 * v + (n - C) / B - eta on (n / B - eta by AReaL's count), which is the minimum version its request
 * carries: when short batches made versions run ahead of groups, the bound follows the versions.
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

    /**
     * Groups that may have been released in all when the newest announcement is of version
     * {@code newest} and says the trainer has consumed {@code consumedGroups} (null: not counted,
     * AReaL's rule).
     */
    long capacity(long newest, Long consumedGroups) {
        if (consumedGroups == null || newest < 0) {
            return capacity(newest);
        }
        return consumedGroups + (stalenessBound + 1L) * batchGroups;
    }

    /** The oldest policy version that may sample group number {@code n} (from 0), by AReaL's count. */
    long minPolicyVersion(long n) {
        return Math.max(0, n / batchGroups - stalenessBound);
    }

    /**
     * The oldest policy version that may sample group number {@code n} when the newest announcement is
     * of version {@code newest} and says the trainer has consumed {@code consumedGroups} (null: AReaL's
     * count). Group n is consumed after about (n - C) / B more full batches, so a version older than
     * newest + (n - C) / B - eta would make it stale by then; never newer than {@code newest}, since
     * n - C is below (eta + 1) x B.
     */
    long minPolicyVersion(long n, long newest, Long consumedGroups) {
        if (consumedGroups == null || newest < 0) {
            return minPolicyVersion(n);
        }
        long ahead = Math.max(0, n - consumedGroups) / batchGroups;
        return Math.max(0, Math.min(newest, newest + ahead - stalenessBound));
    }
}
