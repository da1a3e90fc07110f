package io.seedstream.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generation and training throughput of the policy through DJL on this machine: tokens per second
 * of batched sampling, a decode step with the KV cache against recomputation at 256 tokens of
 * context, training-step tokens per second, and model FLOPs utilisation against a large matrix
 * product through the same engine.
 */
public final class ModelBenchmark {

    public static final ModelConfig TEN_M = new ModelConfig("llama", 16_000, 256, 768, 8, 8, 4, 32, 1e-6, 10_000, false,
            true, 1024, 0, 0);

    /**
     * FLOPs of one training step (forward and backward) over {@code sequences} sequences of
     * {@code seqLen} tokens, of which {@code predicted} per sequence go through the output
     * projection: 6 per block weight per token, 6 * V * C per predicted token, and attention's
     * 12 * L * T * d per token (scores and weighted values over the whole T x T square, as
     * computed). The embedding lookup is not counted: a copy (a gather while the embedding trains).
     */
    public static double trainingFlops(ModelConfig c, int sequences, int seqLen, int predicted) {
        double vocabTimesWidth = (double) c.vocabSize() * c.hiddenSize();
        double blockWeights = c.parameterCount() - vocabTimesWidth * (c.tieWordEmbeddings() ? 1 : 2);
        double perSequence = seqLen * (6.0 * blockWeights + 12.0 * c.numLayers() * seqLen * c.hiddenSize())
                + predicted * 6.0 * vocabTimesWidth;
        return sequences * perSequence;
    }

    /** GFLOP/s of an n x n by n x n float32 matrix product (the engine's practical peak). */
    public static double matmulGflops(NDManager m, int n) {
        try (NDManager s = m.newSubManager()) {
            NDArray a = s.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(n, n));
            NDArray b = s.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(n, n));
            a.matMul(b).getFloat(0, 0); // warm up
            int reps = 5;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                a.matMul(b).getFloat(0, 0);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            return 2.0 * n * n * n * reps / secs / 1e9;
        }
    }

    public static Map<String, Object> run(ModelConfig c, NDManager m, double peakGflops, int trainBatch, int trainLen) {
        Map<String, Object> r = new LinkedHashMap<>();
        long params = c.parameterCount();
        r.put("parameters", params);
        SplittableRandom rnd = new SplittableRandom(1);
        try (Weights w = Weights.random(c, 1, m)) {
            Transformer model = new Transformer(c, w);
            Sampler sampler = new Sampler(model, ids -> "", 0);
            for (int batch : new int[] {1, 64}) {
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    prompts.add(randomIds(rnd, c.vocabSize(), 16));
                }
                SamplingOptions o = SamplingOptions.sample(1.0, 1.0, 0, 256, Set.of(), 1);
                sampler.generate(prompts, SamplingOptions.sample(1.0, 1.0, 0, 8, Set.of(), 1), m, true); // warm up
                long t0 = System.nanoTime();
                sampler.generate(prompts, o, m, true);
                r.put("generate_tokens_per_second_batch" + batch + "_cached",
                        batch * 256 / ((System.nanoTime() - t0) / 1e9));
            }
            // one decode step at 256 tokens of context, batch 64: cache vs recomputation
            int b = 64;
            int ctx = 256;
            long[][] ids = new long[b][ctx];
            for (long[] row : ids) {
                for (int j = 0; j < ctx; j++) {
                    row[j] = rnd.nextInt(c.vocabSize());
                }
            }
            double cachedMs;
            double recomputeMs;
            try (NDManager s = m.newSubManager()) {
                KvCache cache = new KvCache(c.numLayers(), ctx + 16, s);
                NDArray positions = s.arange(0, ctx).toType(ai.djl.ndarray.types.DataType.INT64, false)
                        .reshape(1, ctx).repeat(0, b);
                model.forward(s.create(ids), positions, null, cache).getFloat(0, 0, 0);
                int steps = 8;
                long t0 = System.nanoTime();
                for (int k = 0; k < steps; k++) {
                    long[][] next = new long[b][1];
                    NDArray pos = s.full(new ai.djl.ndarray.types.Shape(b, 1), ctx + k)
                            .toType(ai.djl.ndarray.types.DataType.INT64, false);
                    model.forward(s.create(next), pos, null, cache).getFloat(0, 0, 0);
                }
                cachedMs = (System.nanoTime() - t0) / 1e6 / steps;
                t0 = System.nanoTime();
                for (int k = 0; k < 2; k++) {
                    try (NDManager step = s.newSubManager()) {
                        // a decoder without a cache needs the last position's logits only
                        model.forward(step.create(ids), positions, null, null, true).getFloat(0, 0, 0);
                    }
                }
                recomputeMs = (System.nanoTime() - t0) / 1e6 / 2;
            }
            r.put("decode_step_ms_batch64_ctx256_cached", cachedMs);
            r.put("decode_step_ms_batch64_ctx256_recomputed", recomputeMs);
            r.put("kv_cache_speedup", recomputeMs / cachedMs);
            // training step: log-probs, backward (the optimizer's own cost is small next to this)
            int trainPrompt = 16;
            List<int[]> prompts = new ArrayList<>();
            List<int[]> conts = new ArrayList<>();
            for (int i = 0; i < trainBatch; i++) {
                prompts.add(randomIds(rnd, c.vocabSize(), trainPrompt));
                conts.add(randomIds(rnd, c.vocabSize(), trainLen - trainPrompt));
            }
            w.all().values().forEach(p -> p.setRequiresGradient(true));
            List<Double> stepSeconds = new ArrayList<>();
            int steps = 5;
            for (int k = -1; k < steps; k++) {
                long t0 = System.nanoTime();
                try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = ContinuationLogProbs.compute(model, prompts, conts, s, 0).get(0).sum().neg();
                    gc.backward(loss);
                    w.get("model.norm.weight").getGradient().getFloat(0);
                }
                if (k >= 0) { // the first step warms up
                    stepSeconds.add((System.nanoTime() - t0) / 1e9);
                }
            }
            double tokens = (double) trainBatch * trainLen;
            double perStep = Median.of(stepSeconds);
            double flops = trainingFlops(c, trainBatch, trainLen, trainLen - trainPrompt);
            r.put("train_tokens_per_second", tokens / perStep);
            r.put("train_step_seconds", perStep);
            r.put("train_step_seconds_all", stepSeconds);
            r.put("train_gflops", flops / perStep / 1e9);
            r.put("mfu_vs_matmul", flops / perStep / 1e9 / peakGflops);
        }
        return r;
    }

    public static int[] randomIds(SplittableRandom r, int vocab, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return ids;
    }

    /** Resident memory before and after many generate-and-train iterations of a small model. */
    public static Map<String, Object> soak(ModelConfig tiny, NDManager m, int iterations) {
        Map<String, Object> r = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(2);
        try (Weights w = Weights.random(tiny, 3, m)) {
            Transformer model = new Transformer(tiny, w);
            Sampler sampler = new Sampler(model, ids -> "", 0);
            w.all().values().forEach(p -> p.setRequiresGradient(true));
            long before = 0;
            for (int i = 0; i < iterations; i++) {
                List<int[]> prompts = List.of(randomIds(rnd, tiny.vocabSize(), 8), randomIds(rnd, tiny.vocabSize(), 5));
                var out = sampler.generate(prompts, SamplingOptions.sample(1.0, 1.0, 0, 16, Set.of(), i), m, true);
                try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = ContinuationLogProbs.compute(model, prompts,
                            List.of(out.get(0).tokenIds(), out.get(1).tokenIds()), s, 0).get(0).sum();
                    gc.backward(loss);
                }
                if (i == iterations / 10) {
                    System.gc();
                    before = ProcessMemory.residentKb();
                }
            }
            System.gc();
            long after = ProcessMemory.residentKb();
            r.put("iterations", iterations);
            r.put("rss_kb_after_warmup", before);
            r.put("rss_kb_at_end", after);
            r.put("rss_growth_fraction", (after - before) / (double) before);
        }
        return r;
    }
}
