package io.seedstream.producers.generator;

import io.seedstream.schemas.RecordSeeds;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Requests fetched and not yet answered, in offset order per partition. A batch always takes a
 * prefix of each partition's queue, so the offsets it commits never skip a request.
 */
final class PendingRequests {

    /**
     * A fetched record, decoded when it could be (a rollout or an evaluation request), with the
     * reason when it cannot be answered. The accessors answer for either kind of request.
     */
    record Pending(ConsumerRecord<String, byte[]> record, Object request, String problem, long fetchedAtNanos) {
        TopicPartition partition() {
            return new TopicPartition(record.topic(), record.partition());
        }

        boolean isRollout() {
            return request instanceof RolloutRequest;
        }

        private RolloutRequest rollout() {
            return (RolloutRequest) request;
        }

        private EvalRequest eval() {
            return (EvalRequest) request;
        }

        String requestId() {
            return isRollout() ? rollout().getRequestId() : eval().getRequestId();
        }

        String promptId() {
            return isRollout() ? rollout().getPromptId() : eval().getPromptId();
        }

        /** Sequences it takes in a batch: G for a rollout, 1 for a greedy evaluation answer, k for k samples. */
        int rows() {
            return isRollout() ? rollout().getGroupSize() : Math.max(1, eval().getSamples());
        }

        /** An evaluation request that asks for samples instead of the greedy answer. */
        boolean sampledEval() {
            return !isRollout() && eval().getSamples() > 0;
        }

        /** Rollouts: at least their minimum version; evaluation: exactly theirs, so not before it is announced. */
        long requiredVersion() {
            return isRollout() ? rollout().getMinPolicyVersion() : eval().getPolicyVersion();
        }

        int maxNewTokens() {
            return isRollout() ? rollout().getSampling().getMaxNewTokens() : eval().getMaxNewTokens();
        }

        /** Requests with equal keys can share a sampler batch. */
        Object batchKey() {
            if (isRollout()) {
                SamplingParams s = rollout().getSampling();
                return List.of(s.getTemperature(), s.getTopP(), s.getTopK(), s.getMaxNewTokens());
            }
            // greedy answers and samples (at one temperature) never share a batch: the options are per batch
            return List.of(eval().getPolicyVersion(), eval().getMaxNewTokens(),
                    sampledEval() ? eval().getTemperature() : -1f);
        }

        /** The request's seed, or one derived from its id, so that answering it again samples the same answers. */
        long seed() {
            if (isRollout() && rollout().getSampling().getSeed() != null) {
                return rollout().getSampling().getSeed();
            }
            if (sampledEval() && eval().getSeed() != 0) {
                return eval().getSeed();
            }
            return RecordSeeds.of(1125899906842597L, requestId());
        }
    }

    private final Map<TopicPartition, Deque<Pending>> queues = new LinkedHashMap<>();

    void add(Pending p) {
        queues.computeIfAbsent(p.partition(), k -> new ArrayDeque<>()).addLast(p);
    }

    Map<TopicPartition, Deque<Pending>> byPartition() {
        return queues;
    }

    int size(TopicPartition tp) {
        Deque<Pending> q = queues.get(tp);
        return q == null ? 0 : q.size();
    }

    long size() {
        return queues.values().stream().mapToLong(Deque::size).sum();
    }

    /** Forgets the partitions' requests: they were revoked, or are to be fetched again. */
    void drop(Iterable<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            queues.remove(tp);
        }
    }

    List<TopicPartition> partitions() {
        return List.copyOf(queues.keySet());
    }
}
