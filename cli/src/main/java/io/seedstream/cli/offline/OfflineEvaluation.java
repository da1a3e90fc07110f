package io.seedstream.cli.offline;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Completion;
import io.seedstream.model.Policy;
import io.seedstream.model.SamplingOptions;
import io.seedstream.producers.generator.PromptEncoder;
import io.seedstream.producers.generator.PromptFormat;
import io.seedstream.producers.tools.ToolBox;
import io.seedstream.producers.tools.ToolCalling;
import io.seedstream.producers.tools.ToolSettings;
import io.seedstream.streams.evaluation.ProblemOutcome;
import io.seedstream.streams.grading.Extraction;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.scoring.SemanticClusterer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Offline evaluation of a policy on problems with reference answers: greedy pass@1 graded by the
 * topology's grader (the SEED-GRPO paper's protocol), and, for measuring how much room is left
 * for RL, the number of distinct answer clusters among G samples at temperature 1.
 */
final class OfflineEvaluation {

    /** A problem, its accepted answers (any one counts) and its level (0: none). */
    record Item(String id, String problem, List<String> answers, int level) {

        Item(String id, String problem, List<String> answers) {
            this(id, problem, answers, 0);
        }
    }

    /** A greedy answer; {@code toolCalls} is how many calls it made (0 without tools). */
    record Result(String id, String text, String extracted, boolean correct, boolean finishedByStop, int toolCalls) {}

    /** A problem's K sampled answers and how many of them called a tool, in how many calls. */
    record Samples(List<ProblemOutcome.Answer> answers, int withCall, int calls) {}

    /** Mean distinct clusters per problem among G samples, by exact string and by meaning. */
    record Diversity(double meanStringClusters, double meanMeaningClusters, double meanSampleAccuracy) {}

    private final Policy policy;
    private final Grader grader;
    private final int maxNewTokens;
    private final int batchSize;
    private final String answerPrefix;
    private final PromptFormat format;
    private final ToolSettings tools;

    OfflineEvaluation(Policy policy, Grader grader, int maxNewTokens, int batchSize) {
        this(policy, grader, maxNewTokens, batchSize, "", PromptFormat.raw(PromptFormat.TASK_TEMPLATE),
                ToolSettings.NONE);
    }

    /**
     * @param answerPrefix text every answer is made to start with (e.g. " Steps:"), part of the prompt
     *     the policy continues and of the answer that is graded: what a behaviour the policy holds scores
     * @param format how problems become prompts (the generators' format, so eval measures what training samples)
     * @param tools the tools the policy may call mid-answer, as a generator with these settings calls them
     */
    OfflineEvaluation(Policy policy, Grader grader, int maxNewTokens, int batchSize, String answerPrefix,
            PromptFormat format, ToolSettings tools) {
        this.policy = policy;
        this.tools = tools;
        this.format = format;
        this.grader = grader;
        this.maxNewTokens = maxNewTokens;
        this.batchSize = batchSize;
        this.answerPrefix = answerPrefix;
    }

    /** The prompt's token ids, the oldest characters dropped when it would not fit the model's context. */
    int[] encode(String problem) {
        return new PromptEncoder(policy, format, answerPrefix).encode(problem, maxNewTokens).ids();
    }

    List<Result> greedy(List<Item> items, NDManager m, IntConsumer progress) {
        List<Result> out = new ArrayList<>();
        SamplingOptions o = SamplingOptions.greedy(maxNewTokens, Set.of(policy.model().config().eosTokenId()));
        try (ToolBox box = openBox()) {
            for (int start = 0; start < items.size(); start += batchSize) {
                List<Item> chunk = items.subList(start, Math.min(items.size(), start + batchSize));
                List<int[]> prompts = chunk.stream().map(i -> encode(i.problem())).toList();
                greedyChunk(chunk, generate(prompts, o, m, box), out);
                progress.accept(out.size());
            }
        }
        return out;
    }

    /** Grades one chunk's greedy answers into {@code out}. */
    private void greedyChunk(List<Item> chunk, List<Completion> completions, List<Result> out) {
        for (int k = 0; k < chunk.size(); k++) {
            Item item = chunk.get(k);
            String text = answerPrefix + completions.get(k).text();
            Extraction e = grader.extract(text);
            String extracted = e == null ? null : e.answer();
            boolean stopped = completions.get(k).finishedByStop();
            out.add(new Result(item.id(), text, extracted, stopped && correct(item, extracted), stopped,
                    completions.get(k).toolCalls().size()));
        }
    }

    /** One batch; calls go to the evaluation's tool box, null without tools. */
    private List<Completion> generate(List<int[]> prompts, SamplingOptions o, NDManager m, ToolBox box) {
        try (NDManager s = m.newSubManager()) {
            return policy.sampler().generate(prompts, o, null, s, true, (row, c) -> {},
                    box == null ? null : ToolCalling.of(tools, box, policy));
        }
    }

    /** The tool box of one pass over the problems, or null without tools. */
    private ToolBox openBox() {
        return tools.any() ? tools.box() : null;
    }

    /** Whether an extracted answer equals any of the item's accepted answers. */
    private boolean correct(Item item, String extracted) {
        return extracted != null && item.answers().stream().anyMatch(g -> grader.gradeAnswer(g, extracted).equal());
    }

    /**
     * Each problem's greedy answer and, when {@code k > 0}, k samples at {@code temperature},
     * graded as the topology grades evaluation rounds.
     */
    List<ProblemOutcome> outcomes(List<Item> items, List<Result> greedy, List<Samples> samples) {
        List<ProblemOutcome> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            Result g = greedy.get(i);
            out.add(ProblemOutcome.grade(grader, item.id(), item.level(), item.answers(),
                    new ProblemOutcome.Answer(g.text(), !g.finishedByStop()),
                    samples.isEmpty() ? List.of() : samples.get(i).answers()));
        }
        return out;
    }

    /** k answers per problem at the temperature (top-p and top-k off), seeded per chunk. */
    List<Samples> samples(List<Item> items, int k, double temperature, long seed, NDManager m, IntConsumer progress) {
        List<Samples> out = new ArrayList<>(items.size());
        int perBatch = Math.max(1, batchSize / k);
        try (ToolBox box = openBox()) {
            for (int start = 0; start < items.size(); start += perBatch) {
                List<Item> chunk = items.subList(start, Math.min(items.size(), start + perBatch));
                List<int[]> prompts = new ArrayList<>();
                for (Item item : chunk) {
                    int[] ids = encode(item.problem());
                    for (int j = 0; j < k; j++) {
                        prompts.add(ids);
                    }
                }
                SamplingOptions o = SamplingOptions.sample(temperature, 1.0, 0, maxNewTokens,
                        Set.of(policy.model().config().eosTokenId()), seed + start);
                List<Completion> completions = generate(prompts, o, m, box);
                for (int c = 0; c < chunk.size(); c++) {
                    List<ProblemOutcome.Answer> answers = new ArrayList<>(k);
                    int withCall = 0;
                    int calls = 0;
                    for (int j = 0; j < k; j++) {
                        Completion done = completions.get(c * k + j);
                        answers.add(new ProblemOutcome.Answer(answerPrefix + done.text(), !done.finishedByStop()));
                        withCall += done.toolCalls().isEmpty() ? 0 : 1;
                        calls += done.toolCalls().size();
                    }
                    out.add(new Samples(answers, withCall, calls));
                }
                progress.accept(out.size());
            }
        }
        return out;
    }

    /** Distinct answers among g samples at temperature 1, by string and by meaning, and the share right. */
    Diversity sampled(List<Item> items, int g, long seed, NDManager m, IntConsumer progress) {
        SemanticClusterer byString = new SemanticClusterer(grader, ScoringConfig.Clustering.EXACT);
        SemanticClusterer byMeaning = new SemanticClusterer(grader, ScoringConfig.Clustering.MATH);
        List<Samples> samples = samples(items, g, 1.0, seed, m, progress);
        double strings = 0;
        double meanings = 0;
        double correct = 0;
        for (int i = 0; i < items.size(); i++) {
            List<String> extracted = new ArrayList<>();
            for (ProblemOutcome.Answer a : samples.get(i).answers()) {
                Extraction e = grader.extract(a.text());
                String answer = e == null ? null : e.answer();
                extracted.add(answer);
                correct += !a.truncated() && correct(items.get(i), answer) ? 1 : 0;
            }
            strings += Arrays.stream(byString.cluster(extracted)).distinct().count();
            meanings += Arrays.stream(byMeaning.cluster(extracted)).distinct().count();
        }
        return new Diversity(strings / items.size(), meanings / items.size(), correct / ((double) items.size() * g));
    }
}
