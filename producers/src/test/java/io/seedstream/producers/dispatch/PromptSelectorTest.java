package io.seedstream.producers.dispatch;

import io.seedstream.producers.dispatch.PromptSelector.Choice;
import io.seedstream.producers.dispatch.Selection.Policy;
import io.seedstream.producers.dispatch.Selection.Reason;
import io.seedstream.schemas.avro.PromptState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The selection policies on a fixed prompt-state table: what each releases, and that it is a function of its inputs. */
class PromptSelectorTest {

    /** 40 prompts: 10 never scored, 10 solved at every recent visit, 10 never solved, 10 in the band. */
    private static final List<String> IDS = new ArrayList<>();
    private static final Map<String, PromptState> TABLE = new HashMap<>();

    static {
        for (int i = 0; i < 40; i++) {
            String id = String.format("p%02d", i);
            IDS.add(id);
            if (i >= 10 && i < 20) {
                TABLE.put(id, state(id, 1.0, 0.0, 0));
            } else if (i >= 20 && i < 30) {
                TABLE.put(id, state(id, 0.0, 0.0, 0));
            } else if (i >= 30) {
                TABLE.put(id, state(id, 0.25 + 0.05 * (i - 30), 0.3 + 0.1 * (i - 30), 0));
            }
        }
    }

    static PromptState state(String id, double passRate, double entropy, int zeroStreak) {
        return PromptState.newBuilder().setPromptId(id).setVisits(Math.max(1, zeroStreak)).setRecentVisits(1)
                .setRecentPassRate(passRate).setPassRateEwma(passRate).setLastSemanticEntropy(entropy)
                .setRecentSemanticEntropy(entropy).setLastClusters(1).setLastPolicyVersion(0)
                .setZeroAdvantageVisits(zeroStreak).setZeroAdvantageStreak(zeroStreak).setUpdatedAt(Instant.EPOCH).build();
    }

    private static PromptSelector selector(Selection s, long seed, boolean filterOn) {
        return new PromptSelector(s, seed, filterOn, () -> IDS, EpochOrder.of(IDS, seed, 0), 0);
    }

    private static List<Choice> releases(PromptSelector selector, int n, Map<String, PromptState> table) {
        List<Choice> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(selector.next(i, table));
        }
        return out;
    }

    @Test
    void learnableReleasesUnseenPromptsThenOnlyPromptsInTheBandWhenItDoesNotExplore() {
        Selection noExploring = new Selection(Policy.LEARNABLE, 0.1, 0.9, 0, 0, 4);
        List<Choice> out = releases(selector(noExploring, 7, false), 2000, TABLE);
        for (Choice c : out) {
            PromptState s = TABLE.get(c.promptId());
            if (s == null) {
                assertThat(c.reason()).isEqualTo(Reason.UNSEEN);
            } else {
                assertThat(c.reason()).isEqualTo(Reason.LEARNABLE);
                assertThat(s.getRecentPassRate()).isBetween(0.1, 0.9);
            }
        }
        // each epoch (40 slots) releases each unseen prompt once, in its slot
        assertThat(out.subList(0, 40).stream().filter(c -> c.reason() == Reason.UNSEEN).map(Choice::promptId)
                .distinct().count()).isEqualTo(10);
        assertThat(out.stream().filter(c -> c.reason() == Reason.UNSEEN).count()).isEqualTo(2000 / 40 * 10);
        // weighted by p(1 - p): the prompt at 0.5 comes more often than the one at 0.25
        Map<String, Long> byId = new HashMap<>();
        out.forEach(c -> byId.merge(c.promptId(), 1L, Long::sum));
        assertThat(byId.get("p35")).isGreaterThan(byId.get("p30"));
    }

    @Test
    void learnableExploresOutsideTheBandAtTheStatedRatesAndOnlyThere() {
        Selection s = new Selection(Policy.LEARNABLE, 0.1, 0.9, 0.1, 0.2, 4);
        List<Choice> out = releases(selector(s, 11, false), 4000, TABLE);
        Map<Reason, Integer> reasons = new EnumMap<>(Reason.class);
        for (Choice c : out) {
            reasons.merge(c.reason(), 1, Integer::sum);
            PromptState st = TABLE.get(c.promptId());
            switch (c.reason()) {
                case EXPLORE_SOLVED -> assertThat(st.getRecentPassRate()).isGreaterThan(0.9);
                case EXPLORE_UNSOLVED -> assertThat(st.getRecentPassRate()).isLessThan(0.1);
                case LEARNABLE -> assertThat(st.getRecentPassRate()).isBetween(0.1, 0.9);
                case UNSEEN -> assertThat(st).isNull();
                default -> throw new AssertionError("unexpected reason " + c.reason());
            }
        }
        // 3000 weighted draws (the seen slots): 10% and 20% of them, within 5 standard deviations
        int draws = 4000 - reasons.get(Reason.UNSEEN);
        assertThat(reasons.get(Reason.EXPLORE_SOLVED)).isBetween((int) (draws * 0.1 - 5 * Math.sqrt(draws * 0.09)),
                (int) (draws * 0.1 + 5 * Math.sqrt(draws * 0.09)));
        assertThat(reasons.get(Reason.EXPLORE_UNSOLVED)).isBetween((int) (draws * 0.2 - 5 * Math.sqrt(draws * 0.16)),
                (int) (draws * 0.2 + 5 * Math.sqrt(draws * 0.16)));
    }

    @Test
    void theSameSeedPositionAndTableGiveTheSameReleasesAndAnotherSeedOthers() {
        Selection s = new Selection(Policy.LEARNABLE, 0.1, 0.9, 0.05, 0.05, 4);
        List<Choice> a = releases(selector(s, 3, false), 500, TABLE);
        List<Choice> b = releases(selector(s, 3, false), 500, TABLE);
        assertThat(b).isEqualTo(a);
        assertThat(releases(selector(s, 4, false), 500, TABLE)).isNotEqualTo(a);
        // a selector resumed at a committed position continues the same sequence
        PromptSelector first = selector(s, 3, false);
        releases(first, 123, TABLE);
        PromptSelector resumed = new PromptSelector(s, 3, false, () -> IDS, first.order(), first.index());
        List<Choice> rest = new ArrayList<>();
        for (int n = 123; n < 500; n++) {
            rest.add(resumed.next(n, TABLE));
        }
        assertThat(rest).isEqualTo(a.subList(123, 500));
    }

    @Test
    void uncertaintyWeighsBySemanticEntropyAndNeverDrawsAPromptWithoutAny() {
        Selection s = new Selection(Policy.UNCERTAINTY, 0.1, 0.9, 0.05, 0.05, 4);
        List<Choice> out = releases(selector(s, 5, false), 2000, TABLE);
        Map<String, Long> byId = new HashMap<>();
        for (Choice c : out) {
            assertThat(c.reason()).isIn(Reason.UNSEEN, Reason.UNCERTAIN);
            if (c.reason() == Reason.UNCERTAIN) {
                assertThat(TABLE.get(c.promptId()).getRecentSemanticEntropy()).isPositive();
                byId.merge(c.promptId(), 1L, Long::sum);
            }
        }
        assertThat(byId.get("p39")).isGreaterThan(byId.get("p30")); // entropy 1.2 against 0.3
    }

    @Test
    void withTheFilterOnRetiredPromptsAreNoLongerReleased() {
        Map<String, PromptState> table = new HashMap<>(TABLE);
        Set<String> retired = new HashSet<>();
        for (int i = 10; i < 20; i++) {
            String id = String.format("p%02d", i);
            table.put(id, state(id, 1.0, 0.0, 4));
            retired.add(id);
        }
        for (Policy p : Policy.values()) {
            PromptSelector on = selector(new Selection(p, 0.1, 0.9, 0.3, 0.3, 4), 9, true);
            assertThat(releases(on, 400, table)).as(p.label()).extracting(Choice::promptId).doesNotContainAnyElementsOf(retired);
            assertThat(on.retiredIn(table)).isEqualTo(10);
        }
        // without the filter nothing is retired: uniform visits every prompt
        PromptSelector off = selector(Selection.uniform(), 9, false);
        assertThat(releases(off, 40, table)).extracting(Choice::promptId).containsAll(retired);
        assertThat(off.retiredIn(table)).isZero();
    }
}
