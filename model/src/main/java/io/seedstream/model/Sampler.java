package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Batched autoregressive sampling. Prompts of different lengths are left-padded (pads are masked
 * and do not advance positions); with the KV cache each step runs the model on one new token per
 * sequence, without it the whole sequence is recomputed (same tokens and log-probs; used to test
 * the cache). Every step's arrays live in a sub-manager closed at the end of the step.
 */
public final class Sampler {

    private final Transformer model;
    private final Function<int[], String> decoder;
    private final int padId;

    /**
     * @param decoder token ids to text (the tokenizer's decode)
     * @param padId id fed for padding and for sequences that already finished
     */
    public Sampler(Transformer model, Function<int[], String> decoder, int padId) {
        this.model = model;
        this.decoder = decoder;
        this.padId = padId;
    }

    /** Told about each completion as soon as it is finished, before the rest of the batch is. */
    public interface FinishListener {
        void finished(int row, Completion completion);
    }

    public List<Completion> generate(List<int[]> prompts, SamplingOptions o, NDManager parent, boolean useCache) {
        return generate(prompts, o, null, parent, useCache, (row, c) -> {});
    }

    /**
     * @param rowSeeds the seed of each row's randomness, so that a row's draws do not depend on
     *     which other rows share its batch; null derives them from {@code o.seed()} and the row
     * @param listener called once per row, as soon as that row is finished
     */
    public List<Completion> generate(List<int[]> prompts, SamplingOptions o, long[] rowSeeds, NDManager parent,
            boolean useCache, FinishListener listener) {
        return generate(prompts, o, rowSeeds, parent, useCache, listener, null);
    }

    /**
     * @param tools the calls rows may make while sampling (null: none); a row's budget counts its
     *     replies' tokens too
     */
    public List<Completion> generate(List<int[]> prompts, SamplingOptions o, long[] rowSeeds, NDManager parent,
            boolean useCache, FinishListener listener, ToolCaller tools) {
        int b = prompts.size();
        if (rowSeeds != null && rowSeeds.length != b) {
            throw new IllegalArgumentException(b + " prompts but " + rowSeeds.length + " row seeds");
        }
        int promptLen = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        if (prompts.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("empty prompt: every prompt needs at least one token");
        }
        long[][] seqs = new long[b][];
        long[][] mask = new long[b][];
        for (int i = 0; i < b; i++) {
            int pad = promptLen - prompts.get(i).length;
            seqs[i] = new long[promptLen];
            mask[i] = new long[promptLen];
            Arrays.fill(seqs[i], 0, pad, padId);
            for (int j = 0; j < prompts.get(i).length; j++) {
                seqs[i][pad + j] = prompts.get(i)[j];
                mask[i][pad + j] = 1;
            }
        }
        List<List<Integer>> tokens = new ArrayList<>();
        List<List<Float>> logprobs = new ArrayList<>();
        boolean[] done = new boolean[b];
        boolean[] stopped = new boolean[b];
        Completion[] out = new Completion[b];
        SplittableRandom[] rng = new SplittableRandom[b];
        for (int i = 0; i < b; i++) {
            tokens.add(new ArrayList<>());
            logprobs.add(new ArrayList<>());
            rng[i] = new SplittableRandom(rowSeeds != null ? rowSeeds[i] : o.seed() * 1_000_003L + i);
        }
        RowTools[] calls = new RowTools[b];
        for (int i = 0; i < b; i++) {
            calls[i] = new RowTools();
        }
        // a waiting row takes a cache position per step, up to its wait limit per call
        int waits = tools == null ? 0 : tools.maxCalls() * tools.maxWaitSteps();
        try (NDManager run = parent.newSubManager()) {
            KvCache cache = useCache ? new KvCache(model.config().numLayers(), promptLen + o.maxNewTokens() + waits, run)
                    : null;
            long[][] nextInput = seqs;
            for (int step = 0; step < o.maxNewTokens() + waits && !allDone(done); step++) {
                if (tools != null) {
                    awaitIfAllWaiting(calls, done, tools);
                }
                float[][] lp;
                try (NDManager m = run.newSubManager()) {
                    NDArray logits = useCache ? stepWithCache(m, nextInput, mask, cache)
                            : full(m, seqs, mask);
                    NDArray last = Transformer.logProbs(logits.get(new NDIndex(":, -1, :"))); // (B, V)
                    lp = toRows(last, b);
                }
                long[] chosen = new long[b];
                long[] real = new long[b];
                for (int i = 0; i < b; i++) {
                    real[i] = 1;
                    if (done[i]) {
                        chosen[i] = padId;
                        continue;
                    }
                    RowTools c = calls[i];
                    if (c.pending != null) {
                        if (!c.replyReady(tools, tokens.get(i).size(), o.maxNewTokens())) {
                            chosen[i] = padId; // waits: a masked pad neither attends nor moves positions
                            real[i] = 0;
                            c.waited++;
                            continue;
                        }
                    }
                    int t;
                    if (!c.forced.isEmpty()) {
                        t = c.forced.poll(); // the reply's token: appended, not sampled
                        logprobs.get(i).add(0f);
                    } else {
                        Draw d = draw(lp[i], o, rng[i]);
                        t = d.token();
                        logprobs.get(i).add(d.logprob());
                    }
                    chosen[i] = t;
                    tokens.get(i).add(t);
                    boolean full = tokens.get(i).size() >= o.maxNewTokens();
                    if (o.stopTokenIds().contains(t) && c.forced.isEmpty() && !c.replying(tokens.get(i).size())) {
                        done[i] = true;
                        stopped[i] = true;
                        out[i] = completion(tokens.get(i), logprobs.get(i), true, o, c.uses);
                        listener.finished(i, out[i]);
                    } else if (full) {
                        done[i] = true;
                        out[i] = completion(tokens.get(i), logprobs.get(i), false, o, c.uses);
                        listener.finished(i, out[i]);
                    } else if (tools != null && c.forced.isEmpty() && !c.replying(tokens.get(i).size())
                            && c.uses.size() < tools.maxCalls() && tools.mayEndCall(decoder.apply(new int[] {t}))) {
                        c.pending = tools.callIfEnded(decoder.apply(tokens.get(i).stream().mapToInt(Integer::intValue)
                                .toArray()));
                        c.waited = 0;
                    }
                }
                for (int i = 0; i < b; i++) {
                    seqs[i] = Arrays.copyOf(seqs[i], seqs[i].length + 1);
                    seqs[i][seqs[i].length - 1] = chosen[i];
                    mask[i] = Arrays.copyOf(mask[i], mask[i].length + 1);
                    mask[i][mask[i].length - 1] = real[i];
                }
                nextInput = new long[b][];
                for (int i = 0; i < b; i++) {
                    nextInput[i] = new long[] {chosen[i]};
                }
            }
        }
        for (int i = 0; i < b; i++) {
            if (out[i] == null) { // the budget ran out
                out[i] = completion(tokens.get(i), logprobs.get(i), stopped[i], o, calls[i].uses);
                listener.finished(i, out[i]);
            }
        }
        return List.of(out);
    }

    /** A row's calls: the one whose reply it waits for, the reply's tokens still to feed, and those made. */
    private static final class RowTools {
        java.util.concurrent.Future<ToolCaller.Result> pending;
        final java.util.ArrayDeque<Integer> forced = new java.util.ArrayDeque<>();
        final List<Completion.ToolUse> uses = new ArrayList<>();
        int waited;

        /**
         * Whether the pending call's reply is in (then its tokens are queued, cut to the budget);
         * after the wait limit, waits for it here.
         */
        boolean replyReady(ToolCaller tools, int tokensSoFar, int budget) {
            if (!pending.isDone() && waited < tools.maxWaitSteps()) {
                return false;
            }
            ToolCaller.Result r;
            try {
                r = pending.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r = new ToolCaller.Result("", "", "error: interrupted", "timeout", 0);
            } catch (java.util.concurrent.ExecutionException e) {
                r = new ToolCaller.Result("", "", "error: " + e.getCause(), "error", 0);
            }
            pending = null;
            int[] reply = tools.encode(r.reply());
            int n = Math.min(reply.length, Math.max(0, budget - tokensSoFar));
            for (int k = 0; k < n; k++) {
                forced.add(reply[k]);
            }
            uses.add(new Completion.ToolUse(r, tokensSoFar, tokensSoFar + n));
            return true;
        }

        /** Whether token index {@code end - 1} lies in a reply (a reply's token never stops the row). */
        boolean replying(int end) {
            return !uses.isEmpty() && end <= uses.get(uses.size() - 1).replyEnd();
        }
    }

    /** When every row still going waits for a reply, waits for one instead of running the model on pads. */
    private static void awaitIfAllWaiting(RowTools[] calls, boolean[] done, ToolCaller tools) {
        java.util.concurrent.Future<ToolCaller.Result> first = null;
        for (int i = 0; i < calls.length; i++) {
            if (!done[i] && (calls[i].pending == null || calls[i].pending.isDone())) {
                return;
            }
            if (!done[i] && first == null) {
                first = calls[i].pending;
            }
        }
        if (first != null) {
            try {
                first.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                // the row reads the failure when it takes the reply
            }
        }
    }

    private Completion completion(List<Integer> tokenList, List<Float> logprobList, boolean stopped, SamplingOptions o,
            List<Completion.ToolUse> uses) {
        int[] ids = tokenList.stream().mapToInt(Integer::intValue).toArray();
        float[] lps = new float[ids.length];
        for (int j = 0; j < lps.length; j++) {
            lps[j] = logprobList.get(j);
        }
        int textLen = stopped && ids.length > 0 && o.stopTokenIds().contains(ids[ids.length - 1]) ? ids.length - 1
                : ids.length;
        return new Completion(decoder.apply(Arrays.copyOf(ids, textLen)), ids, lps, stopped, uses);
    }

    private static boolean allDone(boolean[] done) {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }

    /** The whole (left-padded) sequences, recomputed: (B, S, V). */
    private NDArray full(NDManager m, long[][] seqs, long[][] mask) {
        return model.forward(m.create(seqs), positions(m, mask, mask[0].length, 0), m.create(mask), null, true);
    }

    /** The prompt on the first step, then one token per sequence, against the cache. */
    private NDArray stepWithCache(NDManager m, long[][] input, long[][] mask, KvCache cache) {
        int t = input[0].length;
        int s = mask[0].length;
        return model.forward(m.create(input), positions(m, mask, t, s - t), m.create(mask), cache, true);
    }

    /** Positions of the last t tokens: a real token's position counts the real tokens before it; pads get 0. */
    private static NDArray positions(NDManager m, long[][] mask, int t, int offset) {
        long[][] pos = new long[mask.length][t];
        for (int i = 0; i < mask.length; i++) {
            long before = 0;
            for (int k = 0; k < offset; k++) {
                before += mask[i][k];
            }
            for (int j = 0; j < t; j++) {
                pos[i][j] = mask[i][offset + j] == 1 ? before : 0;
                before += mask[i][offset + j];
            }
        }
        return m.create(pos);
    }

    private static float[][] toRows(NDArray lp, int b) {
        float[] flat = lp.toType(DataType.FLOAT32, false).toFloatArray();
        int v = flat.length / b;
        float[][] rows = new float[b][];
        for (int i = 0; i < b; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        }
        return rows;
    }

    static int argMax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * A sampled token and its log-prob under the tempered distribution softmax(logits / T), top-k
     * and top-p ignored (as verl and TRL record it): the trainer divides its logits by the same T.
     */
    record Draw(int token, float logprob) {}

    /**
     * The next token (greedy, or temperature, then top-k, then top-p, then one draw) and its
     * log-prob under softmax(logits / T); at T = 1 (and for greedy decoding) that is the model's own
     * log-prob, taken as it is.
     */
    static Draw draw(float[] logprobs, SamplingOptions o, SplittableRandom rng) {
        if (o.greedy()) {
            int t = argMax(logprobs);
            return new Draw(t, logprobs[t]);
        }
        int v = logprobs.length;
        double[] p = new double[v];
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logprobs) {
            max = Math.max(max, l / o.temperature());
        }
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp(logprobs[i] / o.temperature() - max);
            sum += p[i];
        }
        int t = pick(p, sum, o, rng);
        float logprob = o.temperature() == 1.0 ? logprobs[t]
                : (float) (logprobs[t] / o.temperature() - (max + Math.log(sum)));
        return new Draw(t, logprob);
    }

    /** One draw from the unnormalised probabilities {@code p} (total {@code sum}), after top-k and top-p. */
    private static int pick(double[] p, double sum, SamplingOptions o, SplittableRandom rng) {
        int v = p.length;
        if (o.topK() == 0 && o.topP() >= 1.0) { // the whole distribution: no sorting needed
            double u = rng.nextDouble() * sum;
            for (int i = 0; i < v; i++) {
                u -= p[i];
                if (u <= 0) {
                    return i;
                }
            }
            return v - 1;
        }
        // most likely first: sort (probability bits, index) pairs as primitive longs, descending
        long[] keyed = new long[v];
        for (int i = 0; i < v; i++) {
            keyed[i] = ((long) Float.floatToIntBits((float) (p[i] / sum)) << 32) | i;
        }
        java.util.Arrays.sort(keyed); // non-negative floats order like their bits
        int keep = o.topK() > 0 ? Math.min(o.topK(), v) : v;
        double mass = 0;
        int n = 0;
        while (n < keep) {
            mass += p[(int) keyed[v - 1 - n]] / sum;
            n++;
            if (mass >= o.topP()) {
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += p[(int) keyed[v - 1 - i]];
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            int idx = (int) keyed[v - 1 - i];
            u -= p[idx];
            if (u <= 0) {
                return idx;
            }
        }
        return (int) keyed[v - n];
    }
}
