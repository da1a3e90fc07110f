package io.seedstream.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.model.Policy;
import io.seedstream.producers.prompts.PromptLine;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.streams.grading.Grader;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Offline evaluation: greedy decoding and pass@1 graded by the topology's grader (the SEED-GRPO "
                + "protocol) on a JSONL file of problems with \"answer\" or \"answers\" [any one accepted].",
            "Writes one JSON line per problem (id, extracted answer, correct) to --out, or to standard output."})
final class EvalCommand implements Callable<Integer> {

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

    @Option(names = "--batch-size", defaultValue = "32", description = "Problems decoded together (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
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
                items.add(new OfflineEvaluation.Item(p.getId(), p.getProblem(), p.getAnswers()));
            } catch (PromptLine.MalformedLineException e) {
                malformed++;
                System.err.printf("seedstream eval: %s line %d skipped: %s%n", data, lineNo, e.getMessage());
            }
        }
        if (items.isEmpty()) {
            System.err.println("seedstream eval: no problems in " + data);
            return 1;
        }
        List<OfflineEvaluation.Result> results;
        try (NDManager m = NDManager.newBaseManager(); Policy policy = Policy.load(modelDir, m);
                ProgressBar bar = ProgressBar.onStderr("eval " + dataset)) {
            OfflineEvaluation eval = new OfflineEvaluation(policy, new Grader(), maxNewTokens, batchSize);
            results = eval.greedy(items, m, done -> bar.update(done, items.size()));
        }
        ObjectMapper json = new ObjectMapper();
        long correct = 0;
        BufferedWriter w = out == null ? null : Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        try {
            for (OfflineEvaluation.Result r : results) {
                ObjectNode line = json.createObjectNode();
                line.put("id", r.id());
                line.put("extracted_answer", r.extracted());
                line.put("correct", r.correct());
                line.put("completion", r.text());
                if (w != null) {
                    w.write(json.writeValueAsString(line));
                    w.newLine();
                } else {
                    System.out.println(json.writeValueAsString(line));
                }
                correct += r.correct() ? 1 : 0;
            }
        } finally {
            if (w != null) {
                w.close();
            }
        }
        String summary = String.format(Locale.ROOT, "seedstream eval: %s pass@1 %.2f%% (%d/%d)%s%s", dataset,
                100.0 * correct / results.size(), correct, results.size(),
                malformed > 0 ? ", " + malformed + " malformed lines skipped" : "", out == null ? "" : " -> " + out);
        (out == null ? System.err : System.out).println(summary);
        return 0;
    }
}
