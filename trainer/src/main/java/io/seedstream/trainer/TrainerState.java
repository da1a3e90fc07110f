package io.seedstream.trainer;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint records besides weights and optimizer moments: where the trainer was in the
 * log and which batches the updates since the previous checkpoint consumed, so a restart resumes
 * at exactly the next batch and the chain of checkpoints is a ledger of every batch applied.
 *
 * @param step updates applied so far; also the policy version of these weights
 * @param nextOffsets per partition of training-batches, the offset of the next record to read
 * @param appliedBatches batch ids used by the updates since the previous checkpoint, in order
 * @param rejectedBatches batch ids consumed since the previous checkpoint that had nothing
 *     within the staleness bound
 * @param previous directory name of the previous checkpoint (null for the first)
 * @param rng the trainer draws no random numbers: the update is a deterministic function of the
 *     weights, the optimizer state and the batches, so resuming needs no generator state
 * @param settings the trainer settings that decide the update ({@link TrainerConfig#UPDATE_KEYS}) as the run
 *     had them; null in checkpoints written before they were recorded
 * @param consumedGroups answer groups in every batch consumed so far (applied or rejected), what admission
 *     counts against; null in checkpoints written before it was counted
 */
public record TrainerState(
        @JsonProperty("run_id") String runId,
        @JsonProperty("step") long step,
        @JsonProperty("topic") String topic,
        @JsonProperty("next_offsets") Map<Integer, Long> nextOffsets,
        @JsonProperty("applied_batches") List<String> appliedBatches,
        @JsonProperty("rejected_batches") List<String> rejectedBatches,
        @JsonProperty("previous") String previous,
        @JsonProperty("weights_sha256") String weightsSha256,
        @JsonProperty("rng") String rng,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("settings") Map<String, String> settings,
        @JsonProperty("consumed_groups") Long consumedGroups) {

    public static final String NO_RNG = "none: the update draws no random numbers";
}
