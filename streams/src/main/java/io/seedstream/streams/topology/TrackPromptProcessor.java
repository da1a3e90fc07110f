package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.streams.topology.DashboardRecords.PromptStats;
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
        long correct = ScoringTopology.correctAnswers(g);
        Prompt prompt = prompts.get(id);
        PromptStats updated = new PromptStats(id, prompt == null ? "" : prompt.getDataset(), g.getSemanticEntropy(),
                g.getClusterProbs().size(), (old == null ? 0 : old.visits()) + 1,
                (old == null ? 0 : old.answers()) + g.getRewards().size(), (old == null ? 0 : old.correct()) + correct,
                Math.max(old == null ? Long.MIN_VALUE : old.lastPolicyVersion(), g.getRollout().getPolicyVersion()),
                context.currentSystemTimeMs());
        stats.put(id, updated);
    }
}
