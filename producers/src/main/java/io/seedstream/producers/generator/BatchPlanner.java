package io.seedstream.producers.generator;

import io.seedstream.producers.follow.PromptTable;
import io.seedstream.producers.generator.PendingRequests.Pending;
import io.seedstream.schemas.avro.Prompt;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * Chooses the next sampler batch from the pending requests. Rollout requests come first; while
 * they wait, an evaluation batch runs after every {@code evalInterleave} rollout batches, so a
 * whole benchmark never starves training and never starves itself. Within a partition requests
 * are taken in order: one that must wait (its minimum policy version is not loaded, its prompt
 * is not known yet) holds back the requests behind it.
 */
final class BatchPlanner {

    private final String rolloutTopic;
    private final String evalTopic;
    private final PromptTable prompts;
    private final int capacity;
    private final int evalInterleave;
    private final long promptWaitNanos;
    private int rolloutBatchesSinceEval;

    BatchPlanner(String rolloutTopic, String evalTopic, PromptTable prompts, GeneratorConfig config) {
        this.rolloutTopic = rolloutTopic;
        this.evalTopic = evalTopic;
        this.prompts = prompts;
        this.capacity = config.maxBatchSequences();
        this.evalInterleave = config.evalInterleave();
        this.promptWaitNanos = config.promptWait().toNanos();
    }

    /** The next batch for weights of {@code loadedVersion}; empty when nothing can run now. */
    BatchPlan next(PendingRequests pending, long loadedVersion, long now) {
        BatchPlan rollout = fill(new BatchPlan(BatchPlan.Kind.ROLLOUT), rolloutTopic, pending, loadedVersion, now);
        BatchPlan eval = fill(new BatchPlan(BatchPlan.Kind.EVAL), evalTopic, pending, loadedVersion, now);
        boolean evalTurn = !eval.items.isEmpty()
                && (rollout.items.isEmpty() || rolloutBatchesSinceEval >= evalInterleave);
        BatchPlan chosen = evalTurn ? eval : rollout;
        BatchPlan other = evalTurn ? rollout : eval;
        if (chosen.items.isEmpty() && chosen.dead.isEmpty()) {
            chosen = other.items.isEmpty() ? other : chosen; // dead letters alone still get their transaction
        }
        return chosen;
    }

    /** Called when a batch's transaction committed. */
    void ran(BatchPlan plan) {
        if (plan.kind == BatchPlan.Kind.EVAL) {
            rolloutBatchesSinceEval = 0;
        } else if (!plan.items.isEmpty()) {
            rolloutBatchesSinceEval++;
        }
    }

    private BatchPlan fill(BatchPlan plan, String topic, PendingRequests pending, long loaded, long now) {
        Object key = null; // rollouts: the sampling parameters; evaluation: version and token budget
        for (Map.Entry<TopicPartition, Deque<Pending>> e : pending.byPartition().entrySet()) {
            if (!e.getKey().topic().equals(topic)) {
                continue;
            }
            for (Pending p : e.getValue()) {
                if (p.problem() != null) {
                    plan.reject(p, p.request() == null ? "decode-request" : "check-request", p.problem());
                    continue;
                }
                Optional<Prompt> prompt = prompts.get(p.promptId());
                if (prompt.isEmpty()) {
                    if (now - p.fetchedAtNanos() > promptWaitNanos) {
                        plan.reject(p, "join-prompt", "prompt '" + p.promptId() + "' unknown after waiting "
                                + promptWaitNanos / 1_000_000 + " ms");
                        continue;
                    }
                    break; // wait for the prompt; the requests behind it wait too
                }
                if (p.requiredVersion() > loaded) {
                    break;
                }
                Object k = p.batchKey();
                int rows = p.rows();
                if ((key != null && !key.equals(k)) || plan.sequences + rows > capacity) {
                    break;
                }
                key = k;
                plan.take(new BatchPlan.Item(p, prompt.get()), rows);
            }
        }
        return plan;
    }
}
