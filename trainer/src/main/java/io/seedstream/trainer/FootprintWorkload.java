package io.seedstream.trainer;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Median;
import io.seedstream.model.ModelBenchmark;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.ProcessMemory;
import io.seedstream.model.SafeTensors;
import io.seedstream.model.Sampler;
import io.seedstream.model.SamplingOptions;
import io.seedstream.model.Transformer;
import io.seedstream.model.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What one trainer or one generator does with a model, alone in its JVM so that its peak
 * resident memory is its own: the trainer loads the weights, applies updates on random answers
 * of the planned shape through {@link PolicyUpdate} (the streaming trainer's code) and writes a
 * full checkpoint; the generator loads the weights and samples a batch with the KV cache. Prints
 * one JSON line: timings, the peak resident set and the Java heap in use.
 */
public final class FootprintWorkload {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The shapes of a run that decide memory (see {@link io.seedstream.model.MemoryPlan}). */
    public record Shape(int answers, int promptTokens, int completionTokens, long microBatchTokens) {}

    private FootprintWorkload() {}

    public static ObjectNode train(Path modelDir, Shape s, int steps, Path saveDir) throws IOException {
        ObjectNode out = JSON.createObjectNode().put("role", "trainer");
        ModelConfig c = ModelConfig.read(modelDir.resolve(Checkpoints.CONFIG));
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.load(c, modelDir, m)) {
            out.put("after_load_rss_kb", ProcessMemory.residentKb());
            List<TrainingSample> batch = randomBatch(c, s);
            var options = PolicyUpdate.Options.defaults();
            options = new PolicyUpdate.Options(options.loss(), options.adam(), options.maxGradNorm(), s.microBatchTokens());
            List<Double> seconds = new ArrayList<>();
            try (PolicyUpdate update = new PolicyUpdate(new Transformer(c, w), null, options, m)) {
                int micro = 0;
                for (int k = 0; k < steps; k++) {
                    StepResult r = update.apply(batch, 1e-6);
                    seconds.add(r.seconds());
                    micro = r.microBatches();
                }
                out.put("micro_batches", micro);
                long t0 = System.nanoTime();
                Checkpoints.save(saveDir, c, w, null);
                out.put("weights_write_seconds", (System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                SafeTensors.write(saveDir.resolve("optimizer.safetensors"), update.optimizer().state(),
                        SafeTensors.DType.F32);
                out.put("moments_write_seconds", (System.nanoTime() - t0) / 1e9);
            }
            out.set("step_seconds", JSON.valueToTree(seconds));
            double tokens = (double) s.answers() * (s.promptTokens() + s.completionTokens());
            out.put("tokens_per_second", tokens / Median.of(seconds));
        }
        return finish(out);
    }

    public static ObjectNode sample(Path modelDir, Shape s, int runs) throws IOException {
        ObjectNode out = JSON.createObjectNode().put("role", "generator");
        ModelConfig c = ModelConfig.read(modelDir.resolve(Checkpoints.CONFIG));
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.load(c, modelDir, m)) {
            out.put("after_load_rss_kb", ProcessMemory.residentKb());
            SplittableRandom rnd = new SplittableRandom(11);
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < s.answers(); i++) {
                prompts.add(ModelBenchmark.randomIds(rnd, c.vocabSize(), s.promptTokens()));
            }
            // no stop token: every sequence runs to the budget, so each run samples the same count
            SamplingOptions o = SamplingOptions.sample(1.0, 1.0, 0, s.completionTokens(), Set.of(), 5);
            Sampler sampler = new Sampler(new Transformer(c, w), ids -> "", Math.max(0, c.eosTokenId()));
            List<Double> seconds = new ArrayList<>();
            for (int k = 0; k < runs; k++) {
                long t0 = System.nanoTime();
                sampler.generate(prompts, o, m, true);
                seconds.add((System.nanoTime() - t0) / 1e9);
            }
            out.set("run_seconds", JSON.valueToTree(seconds));
            out.put("tokens_per_second", (double) s.answers() * s.completionTokens() / Median.of(seconds));
        }
        return finish(out);
    }

    private static ObjectNode finish(ObjectNode out) {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        out.put("java_heap_used_bytes", rt.totalMemory() - rt.freeMemory());
        out.put("java_heap_committed_bytes", rt.totalMemory());
        out.put("peak_rss_kb", ProcessMemory.peakKb());
        return out;
    }

    /** Answers of random tokens with behaviour log-probs near uniform's and advantages of both signs. */
    public static List<TrainingSample> randomBatch(ModelConfig c, Shape s) {
        SplittableRandom rnd = new SplittableRandom(7);
        List<TrainingSample> batch = new ArrayList<>();
        for (int i = 0; i < s.answers(); i++) {
            int[] prompt = ModelBenchmark.randomIds(rnd, c.vocabSize(), s.promptTokens());
            int[] completion = ModelBenchmark.randomIds(rnd, c.vocabSize(), s.completionTokens());
            float[] old = new float[s.completionTokens()];
            for (int t = 0; t < old.length; t++) {
                old[t] = (float) -Math.log(c.vocabSize()) + (float) (0.1 * rnd.nextGaussian());
            }
            batch.add(new TrainingSample(prompt, completion, old, i % 2 == 0 ? 0.5 : -0.5, 0));
        }
        return batch;
    }

    /** Writes a randomly initialised model of the given shape, as a hub directory, in the given dtype. */
    public static void writeRandom(ModelConfig c, Path dir, SafeTensors.DType dtype) throws IOException {
        Files.createDirectories(dir);
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(c, 1, m)) {
            Checkpoints.save(dir, c, w, null, new Checkpoints.SaveOptions(dtype, Checkpoints.MAX_SHARD_BYTES));
        }
    }
}
