package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.PromptState;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.streams.topology.DashboardRecords.Cluster;
import io.seedstream.streams.topology.DashboardRecords.PromptStats;
import io.seedstream.streams.topology.DashboardRecords.Visit;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps {@code prompt-uncertainty}: per prompt, the latest semantic entropy and cluster count,
 * the pass rate over every answer so far, visits and the last policy version. Keyed by prompt id
 * like the rollouts, so each instance holds the prompts of its partitions. Forwards each
 * prompt's new {@link PromptState}, which the topology publishes to prompt-states for the
 * dispatcher's selection policies.
 */
final class TrackPromptProcessor implements Processor<String, ScoredGroup, String, PromptState> {

    /** Visits the recent pass rate and entropy are taken over. */
    static final int RECENT = 8;
    /** Weight of the newest visit in the pass rate's exponentially weighted mean. */
    static final double EWMA_WEIGHT = 0.3;

    /** Whether the topology drops zero-advantage groups: then each such visit is also a dropped one. */
    private final boolean dropsZeroAdvantage;
    private KeyValueStore<String, PromptStats> stats;
    private KeyValueStore<String, Prompt> prompts;
    private ProcessorContext<String, PromptState> context;

    TrackPromptProcessor(boolean dropsZeroAdvantage) {
        this.dropsZeroAdvantage = dropsZeroAdvantage;
    }

    @Override
    public void init(ProcessorContext<String, PromptState> context) {
        this.context = context;
        this.stats = context.getStateStore(ScoringTopology.PROMPT_UNCERTAINTY_STORE);
        this.prompts = context.getStateStore(ScoringTopology.PROMPTS_STORE);
    }

    @Override
    public void process(Record<String, ScoredGroup> record) {
        ScoredGroup g = record.value();
        String id = g.getRollout().getPromptId();
        PromptStats old = stats.get(id);
        int correct = ScoringTopology.correctAnswers(g);
        Prompt prompt = prompts.get(id);
        List<Visit> history = new ArrayList<>(old == null || old.history() == null ? List.of() : old.history());
        boolean zero = ScoringTopology.zeroAdvantage(g);
        history.add(new Visit(g.getRollout().getPolicyVersion(), g.getSemanticEntropy(), g.getRewards().size(), correct,
                zero));
        if (history.size() > PromptStats.HISTORY) {
            history = new ArrayList<>(history.subList(history.size() - PromptStats.HISTORY, history.size()));
        }
        PromptStats updated = new PromptStats(id, prompt == null ? "" : prompt.getDataset(), g.getSemanticEntropy(),
                g.getClusterProbs().size(), (old == null ? 0 : old.visits()) + 1,
                (old == null ? 0 : old.answers()) + g.getRewards().size(), (old == null ? 0 : old.correct()) + correct,
                Math.max(old == null ? Long.MIN_VALUE : old.lastPolicyVersion(), g.getRollout().getPolicyVersion()),
                context.currentSystemTimeMs(), prompt == null ? null : prompt.getProblem(), clusters(g), history,
                (old == null ? 0 : old.zeroAdvantageVisits()) + (zero ? 1 : 0),
                (old == null ? 0 : old.droppedVisits()) + (zero && dropsZeroAdvantage ? 1 : 0));
        stats.put(id, updated);
        context.forward(new Record<>(id, state(updated), record.timestamp()));
    }

    /** The published state: pass rate and entropy over the last {@value #RECENT} visits, the streak of zero-advantage ones. */
    static PromptState state(PromptStats s) {
        List<Visit> history = s.history();
        List<Visit> recent = history.subList(Math.max(0, history.size() - RECENT), history.size());
        long answers = 0;
        long correct = 0;
        double entropy = 0;
        for (Visit v : recent) {
            answers += v.answers();
            correct += v.correct();
            entropy += v.entropy();
        }
        double ewma = Double.NaN;
        for (Visit v : history) {
            double rate = v.answers() == 0 ? 0 : (double) v.correct() / v.answers();
            ewma = Double.isNaN(ewma) ? rate : EWMA_WEIGHT * rate + (1 - EWMA_WEIGHT) * ewma;
        }
        int streak = 0;
        for (int i = history.size() - 1; i >= 0 && history.get(i).zeroAdvantage(); i--) {
            streak++;
        }
        return PromptState.newBuilder().setPromptId(s.promptId()).setDataset(s.dataset() == null ? "" : s.dataset())
                .setVisits(s.visits()).setRecentVisits(recent.size())
                .setRecentPassRate(answers == 0 ? 0 : (double) correct / answers)
                .setPassRateEwma(Double.isNaN(ewma) ? 0 : ewma).setLastSemanticEntropy(s.latestEntropy())
                .setRecentSemanticEntropy(recent.isEmpty() ? 0 : entropy / recent.size())
                .setLastClusters(s.latestClusters()).setLastPolicyVersion(s.lastPolicyVersion())
                .setZeroAdvantageVisits(s.zeroAdvantageVisits()).setZeroAdvantageStreak(streak)
                .setDroppedVisits(s.droppedVisits())
                .setUpdatedAt(Instant.ofEpochMilli(s.updatedAt())).build();
    }

    /** The group's meanings, most probable first, each shown by its first answer's extracted form. */
    static List<Cluster> clusters(ScoredGroup g) {
        List<Cluster> out = new ArrayList<>();
        for (int c = 0; c < g.getClusterProbs().size(); c++) {
            String representative = null;
            int answers = 0;
            boolean correct = false;
            for (int i = 0; i < g.getClusterIds().size(); i++) {
                if (g.getClusterIds().get(i) == c) {
                    answers++;
                    correct |= g.getRewards().get(i) > 0;
                    if (representative == null) {
                        CharSequence e = g.getExtractedAnswers().get(i);
                        representative = e == null ? "(no answer)" : e.toString();
                    }
                }
            }
            out.add(new Cluster(representative == null ? "" : representative, g.getClusterProbs().get(c), answers, correct));
        }
        out.sort(Comparator.comparingDouble(Cluster::probability).reversed());
        return out;
    }
}
