package io.seedstream.producers.dispatch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The admission rule's two numbers, by AReaL's count of versions and by the trainer's count of groups. */
class AdmissionRuleTest {

    private final AdmissionRule rule = new AdmissionRule(2, 8); // eta = 2, B = 8

    @Test
    void whileEveryBatchIsFullBothCountsAgree() {
        for (long v = 0; v < 20; v++) {
            long consumed = v * 8;
            assertThat(rule.capacity(v, consumed)).isEqualTo(rule.capacity(v));
            for (long n = consumed; n < rule.capacity(v); n++) {
                assertThat(rule.minPolicyVersion(n, v, consumed)).as("n %d at v %d", n, v).isEqualTo(rule.minPolicyVersion(n));
            }
        }
    }

    /**
     * Short batches made version 10 after only 40 groups: AReaL's count would admit up to group 103
     * and let version 3 sample group 40, 7 versions stale when it is applied; counting groups admits
     * up to group 63 and asks group 40 for version 8 or newer, so it is at most eta stale at version 10.
     */
    @Test
    void afterShortBatchesTheGroupCountAdmitsLessAndAsksForNewerVersions() {
        assertThat(rule.capacity(10)).isEqualTo(104);
        assertThat(rule.capacity(10, 40L)).isEqualTo(64);
        assertThat(rule.minPolicyVersion(40)).isEqualTo(3);
        assertThat(rule.minPolicyVersion(40, 10, 40L)).isEqualTo(8);
        assertThat(rule.minPolicyVersion(55, 10, 40L)).isEqualTo(9);
        assertThat(rule.minPolicyVersion(63, 10, 40L)).as("never newer than the newest announced").isEqualTo(10);
        assertThat(rule.minPolicyVersion(63, 10, null)).isEqualTo(rule.minPolicyVersion(63));
    }
}
