package io.seedstream.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Expected peak resident memory of one trainer and one generator, and the disk one checkpoint
 * takes, from a model's config and the run's shapes alone (nothing is loaded). Each total is a
 * sum of named parts so that a user sees what to shrink. The parts are counts of what the code
 * holds (weights, gradients, AdamW's two moments, a reference copy when the KL penalty is on, the
 * KV cache) plus what one micro-batch keeps for its backward pass (per token and layer, and per
 * predicted token and vocabulary entry), one layer of a generator's prefill, and fixed engine,
 * JVM and sampling overheads. Those coefficients were fitted to measured peaks of this code, not derived
 * (docs/real-models.md); `seedstream bench memory` checks them against a real run.
 */
public record MemoryPlan(long parameters, Map<String, Long> trainer, Map<String, Long> generator,
        long lightCheckpointBytes, long fullCheckpointBytes) {

    /**
     * @param answersPerStep answers in one training step (batch groups x group size)
     * @param promptTokens the longest prompt in tokens
     * @param completionTokens the answer budget (max new tokens)
     * @param microBatchTokens the trainer's padded-token budget per forward/backward pass
     * @param reference whether the trainer holds a frozen reference (KL penalty on)
     * @param generatorSequences sequences a generator samples together
     * @param checkpointDtype the dtype checkpoints are written in
     */
    public record Shapes(int answersPerStep, int promptTokens, int completionTokens, long microBatchTokens,
            boolean reference, int generatorSequences, SafeTensors.DType checkpointDtype) {

        public Shapes {
            if (answersPerStep < 1 || promptTokens < 1 || completionTokens < 1 || microBatchTokens < 1
                    || generatorSequences < 1) {
                throw new IllegalArgumentException("every shape must be at least 1: " + this);
            }
        }
    }

    /**
     * The engine (libtorch), the JVM and its heap, the loader's two 64 MiB buffers: measured (a
     * trainer of the built-in task's tiny policy after loading, plus the buffers), not derived.
     */
    static final long OVERHEAD_BYTES = 360L << 20;
    /**
     * Floats one token keeps per layer for the backward pass, per unit of hidden width,
     * intermediate width and attention row (the keys it attends to, per head). Fitted with
     * {@link #PER_VOCAB} on two shapes of a Qwen2-0.5B-shaped model (docs/real-models.md).
     */
    static final double PER_HIDDEN = 12.8;
    static final double PER_INTERMEDIATE = 4;
    static final double PER_SCORE = 2.4;
    /**
     * Floats per predicted token and vocabulary entry in the trainer: logits, the log-softmax's
     * intermediates and result, and their gradients.
     */
    static final double PER_VOCAB = 10;
    /**
     * What sampling adds beyond the weights, the cache and one layer's prefill: the Java heap's
     * growth between collections and the engine's workspace, measured at 0.46-0.60 GB on two
     * models and two batch shapes (`bench memory`), not derived.
     */
    static final long SAMPLING_HEADROOM_BYTES = 500L << 20;

    public static MemoryPlan of(ModelConfig c, Shapes s) {
        long p = c.parameterCount();
        long weights = 4 * p; // float32 in the engine (bf16 on disk is widened on load)
        int seq = s.promptTokens() + s.completionTokens();
        long perPass = Math.max(1, Math.min(s.answersPerStep(), s.microBatchTokens() / seq)); // sequences
        long tokens = perPass * seq;
        double perTokenLayer = activationFloats(c, seq);

        Map<String, Long> trainer = new LinkedHashMap<>();
        trainer.put("weights", weights);
        trainer.put("gradients", weights);
        trainer.put("adamw_moments", 2 * weights);
        trainer.put("reference_weights", s.reference() ? weights : 0L);
        trainer.put("activations", (long) (4 * perTokenLayer * c.numLayers() * tokens));
        trainer.put("output_layer", (long) (4 * PER_VOCAB * c.vocabSize() * perPass * s.completionTokens()));
        trainer.put("engine_and_jvm", OVERHEAD_BYTES);

        long cacheTokens = (long) s.generatorSequences() * seq;
        // a generator frees each layer's intermediates as soon as the layer is done: one layer of the prefill
        double prefillPerToken = activationFloats(c, s.promptTokens());
        Map<String, Long> generator = new LinkedHashMap<>();
        generator.put("weights", weights);
        generator.put("kv_cache", 4L * 2 * c.numLayers() * c.numKvHeads() * c.headDim() * cacheTokens);
        generator.put("prefill_layer", (long) (4 * prefillPerToken * s.generatorSequences() * s.promptTokens()));
        generator.put("sampling_headroom", SAMPLING_HEADROOM_BYTES);
        generator.put("engine_and_jvm", OVERHEAD_BYTES);

        long light = 0;
        for (String name : c.weightNames()) {
            light += SafeTensors.bytes(c.shapeOf(name), s.checkpointDtype());
        }
        // the moments stay float32, and a narrower model's full checkpoint also holds float32 master weights
        long full = light + 2 * weights + (s.checkpointDtype() == SafeTensors.DType.F32 ? 0 : weights);
        return new MemoryPlan(p, Collections.unmodifiableMap(trainer), Collections.unmodifiableMap(generator), light,
                full);
    }

    /** Floats one token keeps in one layer when it attends to {@code attended} positions. */
    private static double activationFloats(ModelConfig c, int attended) {
        return PER_HIDDEN * c.hiddenSize() + PER_INTERMEDIATE * c.intermediateSize()
                + PER_SCORE * (double) c.numHeads() * attended;
    }

    public long trainerBytes() {
        return trainer.values().stream().mapToLong(Long::longValue).sum();
    }

    public long generatorBytes() {
        return generator.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * What any float32 AdamW trainer must hold: weights, gradients and two moments (16 bytes a
     * parameter), plus a reference copy when there is one. The benchmark's yardstick.
     */
    public long trainerStateBytes() {
        return trainer.get("weights") + trainer.get("gradients") + trainer.get("adamw_moments")
                + trainer.get("reference_weights");
    }
}
