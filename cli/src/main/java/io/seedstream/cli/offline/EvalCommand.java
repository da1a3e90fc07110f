package io.seedstream.cli.offline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import io.seedstream.cli.PromptOptions;
import io.seedstream.cli.ToolOptions;
import io.seedstream.model.Policy;
import io.seedstream.producers.generator.PromptFormat;
import io.seedstream.producers.prompts.PromptLine;
import io.seedstream.producers.tools.ToolSettings;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.streams.evaluation.Bootstrap;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.evaluation.ProblemOutcome;
import io.seedstream.streams.grading.Grader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Offline evaluation: greedy decoding and pass@1 graded by the topology's grader (the SEED-GRPO "
                + "protocol) on a JSONL file of problems with \"answer\" or \"answers\" [any one accepted].",
            "With --samples K it also draws K answers per problem at --temperature and reports mean@K, the unbiased "
                    + "pass@K (Chen et al. 2021) and majority-of-K; every measure is reported overall and per level "
                    + "(a \"level\" field of the problems), greedy pass@1 with a bootstrap 95% interval, and "
                    + "step-verified pass@1 (right, and every a op b = c step of the answer true).",
            "Writes one JSON line per problem (id, extracted answer, correct, ...) to --out, or to standard output."})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--model-dir", required = true, description = "Policy (Hugging Face directory).")
    Path modelDir;

    @Option(names = "--data", required = true, description = "Problems, JSONL.")
    Path data;

    @Option(names = "--limit", description = "Evaluate only the first N problems.")
    Integer limit;

    @Option(names = "--out", description = "Results JSONL (default: standard output).")
    Path out;

    @Option(names = "--max-new-tokens", defaultValue = "96", description = "Generation budget (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--batch-size", defaultValue = "32", description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--samples", defaultValue = "0",
            description = "K answers per problem at --temperature for mean@K, pass@K and majority-of-K; 0: greedy only "
                    + "(default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Temperature of the K samples (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the samples and the bootstrap (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--summary", paramLabel = "FILE.json", description = "Also write the summary (overall and per level) as JSON.")
    Path summaryFile;

    @Option(names = "--answer-prefix", paramLabel = "TEXT", defaultValue = "",
            description = "Make every answer start with TEXT (e.g. ' Steps:' on the built-in task): measures a behaviour "
                    + "the policy holds but greedy decoding may not choose.")
    String answerPrefix;

    @Mixin
    PromptOptions prompt;

    @Mixin
    ToolOptions toolOptions;

    @Option(names = "--baseline", paramLabel = "RESULTS.jsonl",
            description = "An earlier --out of this command on the same problems (e.g. of version 0): report the paired "
                    + "change of greedy pass@1 with its bootstrap 95% interval.")
    Path baseline;

    @Override
    public Integer call() throws Exception {
        if (samples < 0 || !(temperature > 0)) {
            System.err.println("seedstream eval: --samples must be >= 0 and --temperature > 0");
            return 2;
        }
        String dataset = data.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        List<OfflineEvaluation.Item> items = new ArrayList<>();
        int lineNo = 0;
        int malformed = 0;
        for (String line : Files.readAllLines(data, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            if (limit != null && items.size() >= limit) {
                break;
            }
            try {
                Prompt p = PromptLine.parse(line, dataset);
                items.add(new OfflineEvaluation.Item(p.getId(), p.getProblem(), p.getAnswers(),
                        ProblemOutcome.levelOf(p.getMetadata())));
            } catch (PromptLine.MalformedLineException e) {
                malformed++;
                System.err.printf("seedstream eval: %s line %d skipped: %s%n", data, lineNo, e.getMessage());
            }
        }
        if (items.isEmpty()) {
            System.err.println("seedstream eval: no problems in " + data);
            return 1;
        }
        List<ProblemOutcome> baselineOutcomes = null;
        if (baseline != null) {
            try {
                baselineOutcomes = readOutcomes(baseline);
            } catch (IOException | RuntimeException e) {
                System.err.println("seedstream eval: cannot read the baseline " + baseline + ": " + e.getMessage());
                return 2;
            }
        }
        List<OfflineEvaluation.Result> results;
        List<OfflineEvaluation.Samples> sampled = List.of();
        List<ProblemOutcome> outcomes;
        PromptFormat format;
        ToolSettings tools;
        try {
            format = prompt.resolve(modelDir);
            tools = toolOptions.settings();
            System.err.println("seedstream eval: prompts use " + format.describe()
                    + (tools.any() ? "; tools " + String.join(",", tools.enabled()) + " (" + tools.format() + ")" : ""));
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("seedstream eval: " + e.getMessage());
            return 2;
        }
        try (NDManager m = NDManager.newBaseManager(ModelCommand.device(device)); Policy policy = Policy.load(modelDir, m)) {
            OfflineEvaluation eval = new OfflineEvaluation(policy, new Grader(), maxNewTokens, batchSize, answerPrefix,
                    format, tools);
            try (ProgressBar bar = ProgressBar.onStderr("eval " + dataset)) {
                results = eval.greedy(items, m, done -> bar.update(done, items.size()));
            }
            if (samples > 0) {
                try (ProgressBar bar = ProgressBar.onStderr("eval " + dataset + " K=" + samples)) {
                    sampled = eval.samples(items, samples, temperature, seed, m, done -> bar.update(done, items.size()));
                }
            }
            outcomes = eval.outcomes(items, results, sampled);
        }
        ObjectMapper json = new ObjectMapper();
        BufferedWriter w = out == null ? null : Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        try {
            for (int i = 0; i < results.size(); i++) {
                OfflineEvaluation.Result r = results.get(i);
                ProblemOutcome o = outcomes.get(i);
                ObjectNode line = json.createObjectNode();
                line.put("id", r.id());
                line.put("extracted_answer", r.extracted());
                line.put("correct", r.correct());
                line.put("completion", r.text());
                line.put("level", o.level());
                line.put("step_verified", o.stepVerified());
                line.put("mode", o.mode());
                if (tools.any()) {
                    line.put("tool_calls", r.toolCalls());
                }
                if (samples > 0) {
                    line.put("samples", o.samples());
                    line.put("samples_correct", o.samplesCorrect());
                    line.put("majority_correct", o.majorityCorrect());
                    line.set("sample_modes", json.valueToTree(o.sampleModes()));
                    if (tools.any()) {
                        line.put("samples_with_tool_call", sampled.get(i).withCall());
                        line.put("sample_tool_calls", sampled.get(i).calls());
                    }
                }
                if (w != null) {
                    w.write(json.writeValueAsString(line));
                    w.newLine();
                } else {
                    System.out.println(json.writeValueAsString(line));
                }
            }
        } finally {
            if (w != null) {
                w.close();
            }
        }
        List<EvalSummary> summaries = EvalSummary.byLevel(outcomes, seed);
        Bootstrap.Interval change = baselineOutcomes == null ? null
                : EvalSummary.pairedChange(baselineOutcomes, outcomes, seed);
        if (baselineOutcomes != null && change == null) {
            System.err.println("seedstream eval: the baseline shares no problem id with " + data);
        }
        System.err.print(EvalTable.render(dataset, summaries));
        if (summaryFile != null) {
            ObjectNode s = json.createObjectNode();
            s.put("benchmark", dataset).put("model_dir", modelDir.toString()).put("samples", samples)
                    .put("temperature", temperature).put("seed", seed);
            s.set("summaries", json.valueToTree(summaries));
            if (change != null) {
                s.set("paired_change_from_baseline", json.valueToTree(change));
            }
            if (tools.any()) {
                s.set("tools", json.valueToTree(toolUse(results, sampled)));
            }
            Files.writeString(summaryFile, json.writerWithDefaultPrettyPrinter().writeValueAsString(s));
        }
        EvalSummary all = summaries.get(0);
        long correct = outcomes.stream().filter(ProblemOutcome::correct).count();
        String summary = String.format(Locale.ROOT, "seedstream eval: %s pass@1 %.2f%% (%d/%d) [95%% CI %.1f-%.1f], "
                        + "step-verified %.1f%%%s%s%s%s%s", dataset, 100.0 * correct / results.size(), correct,
                results.size(), 100 * all.passAt1().low(), 100 * all.passAt1().high(), 100 * all.stepVerifiedPassAt1(),
                samples > 0 ? String.format(Locale.ROOT, ", mean@%d %.1f%%, pass@%d %.1f%%, maj@%d %.1f%%", samples,
                        100 * all.meanAtK(), samples, 100 * all.passAtK(), samples, 100 * all.majorityAtK()) : "",
                change == null ? "" : String.format(Locale.ROOT, ", change from baseline %+.1f points [%+.1f, %+.1f]",
                        100 * change.mean(), 100 * change.low(), 100 * change.high()),
                tools.any() ? toolUse(results, sampled).describe() : "",
                malformed > 0 ? ", " + malformed + " malformed lines skipped" : "", out == null ? "" : " -> " + out);
        (out == null ? System.err : System.out).println(summary);
        return 0;
    }


    /** How the policy used its tools: greedy answers with a call and calls per answer, and the same over the samples. */
    record ToolUse(double greedyShareWithCall, double greedyCallsPerAnswer, double sampledShareWithCall,
            double sampledCallsPerAnswer) {

        String describe() {
            return String.format(Locale.ROOT, ", tool use %.1f%% of greedy answers (%.2f calls each)%s",
                    100 * greedyShareWithCall, greedyCallsPerAnswer, Double.isNaN(sampledShareWithCall) ? ""
                            : String.format(Locale.ROOT, " and %.1f%% of samples (%.2f calls each)",
                                    100 * sampledShareWithCall, sampledCallsPerAnswer));
        }
    }

    static ToolUse toolUse(List<OfflineEvaluation.Result> greedy, List<OfflineEvaluation.Samples> sampled) {
        double n = greedy.size();
        double answers = sampled.stream().mapToInt(x -> x.answers().size()).sum();
        return new ToolUse(greedy.stream().filter(r -> r.toolCalls() > 0).count() / n,
                greedy.stream().mapToInt(OfflineEvaluation.Result::toolCalls).sum() / n,
                answers == 0 ? Double.NaN : sampled.stream().mapToInt(OfflineEvaluation.Samples::withCall).sum() / answers,
                answers == 0 ? Double.NaN : sampled.stream().mapToInt(OfflineEvaluation.Samples::calls).sum() / answers);
    }

    /** The per-problem outcomes of an earlier run's --out (greedy fields only are needed for a paired change). */
    static List<ProblemOutcome> readOutcomes(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<ProblemOutcome> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            if (!n.hasNonNull("id") || !n.has("correct")) {
                throw new IOException("a line without id or correct: " + line);
            }
            out.add(new ProblemOutcome(n.get("id").asText(), n.path("level").asInt(0), n.get("correct").asBoolean(),
                    n.path("step_verified").asBoolean(false), n.path("mode").asText("none"), n.path("samples").asInt(0),
                    n.path("samples_correct").asInt(0), n.path("majority_correct").asBoolean(false), Map.of()));
        }
        return out;
    }
}
