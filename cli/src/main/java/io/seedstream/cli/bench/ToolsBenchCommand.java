package io.seedstream.cli.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.BuiltInTask;
import io.seedstream.cli.ProgressBar;
import io.seedstream.cli.ToolOptions;
import io.seedstream.model.Completion;
import io.seedstream.model.Median;
import io.seedstream.model.Policy;
import io.seedstream.model.SamplingOptions;
import io.seedstream.producers.generator.PromptEncoder;
import io.seedstream.producers.generator.PromptFormat;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.producers.tools.ToolBox;
import io.seedstream.producers.tools.ToolCalling;
import io.seedstream.producers.tools.ToolReply;
import io.seedstream.producers.tools.ToolSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tools", mixinStandardHelpOptions = true,
        description = "Generation with tool calls against generation without, on the same prompts with the same seeds: "
                + "G answers per built-in task problem at temperature 1, sampled in the generator's batches by the "
                + "sampler a generator uses, passes with and without tools interleaved after one unmeasured pass of each; tokens/s (all tokens, and the "
                + "model's alone), calls per answer and the share of answers with a call.")
final class ToolsBenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model-dir", paramLabel = "DIR", description = "Policy; one that writes calls, e.g. DATA/"
            + "warm-start-calc of `up --tools calculator` (default: the shipped task policy, which never calls).")
    Path modelDir;

    @Option(names = "--problems", defaultValue = "64", description = "Task problems (seed 1, the level mix) (default: ${DEFAULT-VALUE}).")
    int problems;

    @Option(names = "--group-size", defaultValue = "8", description = "Answers per problem (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--max-batch-sequences", defaultValue = "64", description = "Batch (default: ${DEFAULT-VALUE}, the generator's).")
    int batchSequences;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Answer budget (default: ${DEFAULT-VALUE}, the dispatcher's).")
    int maxNewTokens;

    @Option(names = "--passes", defaultValue = "3", description = "Passes with and without tools, interleaved (default: ${DEFAULT-VALUE}); medians are reported.")
    int passes;

    @Mixin
    ToolOptions toolOptions;

    @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/tools.json",
            description = "Where to write the results (default: ${DEFAULT-VALUE}).")
    Path out;

    /** One pass over every batch: what was generated and how long it took. */
    record Pass(boolean tools, double seconds, long tokens, long modelTokens, int answers, int answersWithCall,
            int calls, int failedCalls) {

        double tokensPerSecond() {
            return tokens / seconds;
        }

        double modelTokensPerSecond() {
            return modelTokens / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (problems < 1 || groupSize < 1 || passes < 1 || batchSequences < groupSize || maxNewTokens < 1) {
            System.err.println("seedstream bench tools: --problems, --group-size, --passes and --max-new-tokens must be "
                    + ">= 1 and --max-batch-sequences >= --group-size");
            return 2;
        }
        ToolSettings tools;
        try {
            tools = toolOptions.settings();
        } catch (IllegalArgumentException e) {
            System.err.println("seedstream bench tools: " + e.getMessage());
            return 2;
        }
        if (!tools.any()) {
            tools = tools.withEnabled(List.of("calculator"));
        }
        Path dir = modelDir != null ? modelDir : BuiltInTask.shippedPolicy();
        List<Pass> all = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(); Policy policy = Policy.load(dir, m);
                ProgressBar bar = ProgressBar.onStderr("tools bench")) {
            PromptEncoder encoder = new PromptEncoder(policy, PromptFormat.resolve(dir, null, null, null));
            List<int[]> rows = new ArrayList<>();
            for (TaskProblem p : ArithmeticTask.generate(problems, 1, 0)) {
                int[] ids = encoder.encode(p.problem(), maxNewTokens).ids();
                for (int k = 0; k < groupSize; k++) {
                    rows.add(ids);
                }
            }
            bar.update(0, 2 * passes);
            // one pass of each, not measured: the first pass of a JVM runs before its code is compiled
            pass(policy, rows, null, m);
            pass(policy, rows, tools, m);
            for (int i = 0; i < passes; i++) {
                // without first on even passes, with first on odd ones: drift in the machine's load favours neither
                for (boolean withTools : i % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    all.add(pass(policy, rows, withTools ? tools : null, m));
                    bar.update(all.size(), 2 * passes);
                }
            }
        }
        List<Pass> with = all.stream().filter(Pass::tools).toList();
        List<Pass> without = all.stream().filter(p -> !p.tools()).toList();
        List<Double> ratios = new ArrayList<>();
        List<Double> modelRatios = new ArrayList<>();
        for (int i = 0; i < passes; i++) {
            ratios.add(with.get(i).tokensPerSecond() / without.get(i).tokensPerSecond());
            modelRatios.add(with.get(i).modelTokensPerSecond() / without.get(i).modelTokensPerSecond());
        }
        Pass w = with.get(0);
        ObjectNode root = JSON.createObjectNode();
        root.put("benchmark", "tools");
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("model_dir", dir.toString());
        root.put("tools", String.join(",", tools.enabled()));
        root.put("answers_per_pass", w.answers());
        root.put("what", "tokens/s sampling the same rows with the same seeds with tools and without, passes "
                + "interleaved; ratio = with / without per pair of passes, medians over the pairs");
        root.put("median_tokens_per_second_without", Median.of(without.stream().map(Pass::tokensPerSecond).toList()));
        root.put("median_tokens_per_second_with", Median.of(with.stream().map(Pass::tokensPerSecond).toList()));
        root.put("median_model_tokens_per_second_with", Median.of(with.stream().map(Pass::modelTokensPerSecond).toList()));
        root.put("median_ratio", Median.of(ratios));
        root.put("median_model_token_ratio", Median.of(modelRatios));
        root.put("calls_per_answer", (double) w.calls() / w.answers());
        root.put("share_of_answers_with_call", (double) w.answersWithCall() / w.answers());
        root.put("failed_calls", w.failedCalls());
        root.set("passes", JSON.valueToTree(all));
        BenchCommand.writeResults(out, root);
        System.out.printf(Locale.ROOT, "seedstream bench tools: %.0f tokens/s with tools vs %.0f without (ratio %.2f; "
                        + "model tokens %.2f), %.2f calls per answer, %.1f%% of answers call; medians of %d -> %s%n",
                root.get("median_tokens_per_second_with").asDouble(),
                root.get("median_tokens_per_second_without").asDouble(), root.get("median_ratio").asDouble(),
                root.get("median_model_token_ratio").asDouble(), root.get("calls_per_answer").asDouble(),
                100 * root.get("share_of_answers_with_call").asDouble(), passes, out);
        return 0;
    }

    /** Every row once, in batches of the generator's size, each row seeded by its index so both arms draw alike. */
    private Pass pass(Policy policy, List<int[]> rows, ToolSettings tools, NDManager m) {
        SamplingOptions o = SamplingOptions.sample(1.0, 1.0, 0, maxNewTokens,
                Set.of(policy.model().config().eosTokenId()), 0);
        long tokens = 0;
        long modelTokens = 0;
        int withCall = 0;
        int calls = 0;
        int failed = 0;
        // one box a pass, opened before the clock starts, as a generator keeps one for its life
        ToolBox box = tools == null ? null : tools.box();
        ToolCalling calling = box == null ? null : ToolCalling.of(tools, box, policy);
        long t0 = System.nanoTime();
        for (int start = 0; start < rows.size(); start += batchSequences) {
            List<int[]> batch = rows.subList(start, Math.min(rows.size(), start + batchSequences));
            long[] seeds = new long[batch.size()];
            for (int k = 0; k < seeds.length; k++) {
                seeds[k] = start + k;
            }
            List<Completion> done;
            try (NDManager s = m.newSubManager()) {
                done = policy.sampler().generate(batch, o, seeds, s, true, (row, c) -> {}, calling);
            }
            for (Completion c : done) {
                int replies = c.toolCalls().stream().mapToInt(u -> u.replyEnd() - u.replyStart()).sum();
                tokens += c.tokenIds().length;
                modelTokens += c.tokenIds().length - replies;
                withCall += c.toolCalls().isEmpty() ? 0 : 1;
                calls += c.toolCalls().size();
                failed += (int) c.toolCalls().stream()
                        .filter(u -> !u.result().status().equals(ToolReply.Status.OK.label())).count();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (box != null) {
            box.close();
        }
        return new Pass(tools != null, seconds, tokens, modelTokens, rows.size(), withCall, calls, failed);
    }
}
