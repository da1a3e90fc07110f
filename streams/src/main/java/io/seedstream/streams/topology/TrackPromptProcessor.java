package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.streams.topology.DashboardRecords.Cluster;
import io.seedstream.streams.topology.DashboardRecords.PromptStats;
import io.seedstream.streams.topology.DashboardRecords.Visit;
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
 * like the rollouts, so each instance holds the prompts of its partitions.
 */
final class TrackPromptProcessor implements Processor<String, ScoredGroup, Void, Void> {

    private KeyValueStore<String, PromptStats> stats;
    private KeyValueStore<String, Prompt> prompts;
    private ProcessorContext<Void, Void> context;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
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
        history.add(new Visit(g.getRollout().getPolicyVersion(), g.getSemanticEntropy(), g.getRewards().size(), correct));
        if (history.size() > PromptStats.HISTORY) {
            history = new ArrayList<>(history.subList(history.size() - PromptStats.HISTORY, history.size()));
        }
        PromptStats updated = new PromptStats(id, prompt == null ? "" : prompt.getDataset(), g.getSemanticEntropy(),
                g.getClusterProbs().size(), (old == null ? 0 : old.visits()) + 1,
                (old == null ? 0 : old.answers()) + g.getRewards().size(), (old == null ? 0 : old.correct()) + correct,
                Math.max(old == null ? Long.MIN_VALUE : old.lastPolicyVersion(), g.getRollout().getPolicyVersion()),
                context.currentSystemTimeMs(), prompt == null ? null : prompt.getProblem(), clusters(g), history);
        stats.put(id, updated);
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
