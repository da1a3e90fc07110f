package io.seedstream.producers.dispatch;

import io.seedstream.producers.dispatch.Selection.Policy;
import io.seedstream.producers.dispatch.Selection.Reason;
import io.seedstream.schemas.avro.PromptState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Chooses the prompt of each release. Every policy walks the epoch's seeded shuffle one slot per
 * release: uniform releases the slot's prompt; learnable and uncertainty release it when the
 * topology has no state of it yet (unseen prompts first), and otherwise spend the slot on a draw
 * weighted by the prompt-state table. A choice follows from the run's seed, the release number,
 * the epoch position and the table as read, so the same inputs give the same releases; the
 * position is committed with the requests, so a restarted dispatcher neither repeats nor skips one.
 */
final class PromptSelector {

    /** A release's prompt and why it was chosen. */
    record Choice(String promptId, Reason reason) {}

    private final Selection selection;
    private final long seed;
    private final boolean filterOn;
    private final Supplier<Collection<String>> trainingIds;
    private EpochOrder order;
    private Set<String> members;
    private long index;
    private Map<String, PromptState> weighedTable;
    private Weights weights;

    PromptSelector(Selection selection, long seed, boolean filterOn, Supplier<Collection<String>> trainingIds,
            EpochOrder order, long index) {
        this.selection = selection;
        this.seed = seed;
        this.filterOn = filterOn;
        this.trainingIds = trainingIds;
        this.order = order;
        this.members = new HashSet<>(order.ids());
        this.index = index;
    }

    EpochOrder order() {
        return order;
    }

    long index() {
        return index;
    }

    /** The prompt of release number {@code n}, given the prompt-state table as the dispatcher read it. */
    Choice next(long n, Map<String, PromptState> table) {
        if (selection.policy() == Policy.UNIFORM) {
            // retired prompts (the filter dropped their newest visits) give their slot to the next one
            String first = null;
            for (int tried = 0; tried <= order.ids().size(); tried++) {
                String id = nextSlot();
                first = first == null ? id : first;
                if (!retired(table.get(id))) {
                    return new Choice(id, Reason.EPOCH);
                }
            }
            return new Choice(first, Reason.EPOCH);
        }
        String slot = nextSlot();
        if (!table.containsKey(slot)) {
            return new Choice(slot, Reason.UNSEEN);
        }
        if (table != weighedTable) {
            weights = new Weights(table);
            weighedTable = table;
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + n);
        Choice c = selection.policy() == Policy.LEARNABLE ? weights.learnable(r) : weights.uncertain(r);
        return c != null ? c : new Choice(slot, Reason.FALLBACK);
    }

    /** The prompts the filter has retired (their newest visits all had zero advantage), in the table given. */
    long retiredIn(Map<String, PromptState> table) {
        return table.values().stream().filter(this::retired).count();
    }

    private boolean retired(PromptState s) {
        return filterOn && s != null && s.getZeroAdvantageStreak() >= selection.filteredStreakLimit();
    }

    private String nextSlot() {
        if (index >= order.ids().size()) {
            // prompts added since the last epoch join now
            order = EpochOrder.of(trainingIds.get(), seed, order.epoch() + 1);
            members = new HashSet<>(order.ids());
            index = 0;
        }
        return order.ids().get((int) index++);
    }

    /** The seen training prompts of one table, by category, in id order (so draws do not depend on map order). */
    private final class Weights {
        final List<String> band = new ArrayList<>();
        final List<Double> bandWeights = new ArrayList<>();
        final List<String> above = new ArrayList<>();
        final List<String> below = new ArrayList<>();
        final List<String> seen = new ArrayList<>();
        final List<Double> entropies = new ArrayList<>();

        Weights(Map<String, PromptState> table) {
            List<String> ids = new ArrayList<>(table.keySet());
            ids.sort(null);
            for (String id : ids) {
                PromptState s = table.get(id);
                if (!members.contains(id) || retired(s)) {
                    continue;
                }
                seen.add(id);
                entropies.add(s.getRecentSemanticEntropy());
                double p = s.getRecentPassRate();
                if (p > selection.bandHigh()) {
                    above.add(id);
                } else if (p < selection.bandLow()) {
                    below.add(id);
                } else {
                    band.add(id);
                    bandWeights.add(p * (1 - p));
                }
            }
        }

        Choice learnable(SplittableRandom r) {
            double u = r.nextDouble();
            if (u < selection.exploreSolved() && !above.isEmpty()) {
                return new Choice(above.get(r.nextInt(above.size())), Reason.EXPLORE_SOLVED);
            }
            if (u >= selection.exploreSolved() && u < selection.exploreSolved() + selection.exploreUnsolved()
                    && !below.isEmpty()) {
                return new Choice(below.get(r.nextInt(below.size())), Reason.EXPLORE_UNSOLVED);
            }
            String id = weighted(band, bandWeights, r);
            if (id != null) {
                return new Choice(id, Reason.LEARNABLE);
            }
            return seen.isEmpty() ? null : new Choice(seen.get(r.nextInt(seen.size())), Reason.FALLBACK);
        }

        Choice uncertain(SplittableRandom r) {
            String id = weighted(seen, entropies, r);
            if (id != null) {
                return new Choice(id, Reason.UNCERTAIN);
            }
            return seen.isEmpty() ? null : new Choice(seen.get(r.nextInt(seen.size())), Reason.FALLBACK);
        }

        private static String weighted(List<String> ids, List<Double> weights, SplittableRandom r) {
            double total = 0;
            for (double w : weights) {
                total += w;
            }
            if (!(total > 0)) {
                return null;
            }
            double x = r.nextDouble() * total;
            for (int i = 0; i < ids.size(); i++) {
                x -= weights.get(i);
                if (x < 0) {
                    return ids.get(i);
                }
            }
            return ids.get(ids.size() - 1);
        }
    }
}
