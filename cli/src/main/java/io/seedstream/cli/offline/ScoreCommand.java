package io.seedstream.cli.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.scoring.GroupScore;
import io.seedstream.streams.scoring.GroupScorer;
import io.seedstream.streams.scoring.ScoringConfig;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score answer groups offline through the code the topology uses.",
            "Reads JSON lines {\"gold\": \"...\", \"answers\": [{\"text\": \"...\", \"logprobs\": [...], "
                    + "\"finish_reason\": \"stop\"|\"length\"}, ...]} and writes one line per group, in order: "
                    + "rewards, cluster_ids, cluster_probs, semantic_entropy, scale, advantages, scaled_advantages. "
                    + "A line it cannot read gets {\"error\": \"...\"}."})
public final class ScoreCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--clustering", defaultValue = "math", description = "exact | normalized | math (default: ${DEFAULT-VALUE}).")
    String clustering;

    @Option(names = "--estimator", defaultValue = "likelihood", description = "likelihood | count | kuhn (default: ${DEFAULT-VALUE}).")
    String estimator;

    @Option(names = "--advantage", defaultValue = "dr-grpo", description = "dr-grpo | grpo | rloo (default: ${DEFAULT-VALUE}).")
    String advantage;

    @Option(names = "--f", defaultValue = "inverse", description = "inverse | linear | exp | focal | none (default: ${DEFAULT-VALUE}).")
    String f;

    @Option(names = "--alpha", defaultValue = "0.0417", description = "alpha of the modulation (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Override
    public Integer call() throws Exception {
        ScoringConfig config;
        try {
            config = new ScoringConfig(ScoringConfig.parse(ScoringConfig.Clustering.class, clustering),
                    ScoringConfig.parse(ScoringConfig.Estimator.class, estimator),
                    ScoringConfig.parse(ScoringConfig.Advantage.class, advantage),
                    ScoringConfig.parse(ScoringConfig.Modulation.class, f), alpha, false);
        } catch (IllegalArgumentException e) {
            System.err.println("seedstream score: " + e.getMessage());
            return 2;
        }
        GroupScorer scorer = new GroupScorer(new Grader(), config);
        long groups = 0;
        long bad = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                String result;
                try {
                    result = score(scorer, line).toString();
                    groups++;
                } catch (Exception e) {
                    bad++;
                    result = JSON.createObjectNode().put("error", e.getMessage() == null ? e.toString() : e.getMessage()).toString();
                }
                out.write(result);
                out.write('\n');
            }
        }
        System.err.printf("seedstream score: %d groups scored, %d unreadable lines (%s)%n", groups, bad, config.describe());
        return 0;
    }

    static ObjectNode score(GroupScorer scorer, String line) throws Exception {
        JsonNode node = JSON.readTree(line);
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        List<String> golds = new ArrayList<>();
        JsonNode gold = node.get("gold");
        if (gold != null && gold.isArray()) {
            gold.forEach(g -> golds.add(g.asText()));
        } else if (gold != null && !gold.isNull() && !gold.isContainerNode()) {
            golds.add(gold.asText());
        }
        if (golds.isEmpty()) {
            throw new IllegalArgumentException("missing field \"gold\"");
        }
        JsonNode answers = node.get("answers");
        if (answers == null || !answers.isArray()) {
            throw new IllegalArgumentException("missing array field \"answers\"");
        }
        List<GroupScorer.ScorableAnswer> group = new ArrayList<>();
        int i = 0;
        for (JsonNode a : answers) {
            if (!a.isObject() || !a.path("text").isTextual()) {
                throw new IllegalArgumentException("answers[" + i + "] needs a string \"text\"");
            }
            JsonNode lps = a.path("logprobs");
            double[] logprobs = new double[lps.size()];
            for (int t = 0; t < lps.size(); t++) {
                if (!lps.get(t).isNumber()) {
                    throw new IllegalArgumentException("answers[" + i + "].logprobs[" + t + "] is not a number");
                }
                logprobs[t] = lps.get(t).asDouble();
            }
            String finish = a.path("finish_reason").asText("stop");
            if (!finish.equals("stop") && !finish.equals("length")) {
                throw new IllegalArgumentException("answers[" + i + "].finish_reason was '" + finish + "', must be stop or length");
            }
            group.add(new GroupScorer.ScorableAnswer(a.get("text").asText(), logprobs, finish.equals("length")));
            i++;
        }
        GroupScore s = scorer.score(golds, group);
        ObjectNode out = JSON.createObjectNode();
        array(out.putArray("rewards"), s.rewards());
        ArrayNode ids = out.putArray("cluster_ids");
        for (int id : s.clusterIds()) {
            ids.add(id);
        }
        array(out.putArray("cluster_probs"), s.clusterProbs());
        out.put("semantic_entropy", s.semanticEntropy());
        out.put("scale", s.scale());
        array(out.putArray("advantages"), s.advantages());
        array(out.putArray("scaled_advantages"), s.scaledAdvantages());
        return out;
    }

    private static void array(ArrayNode node, double[] values) {
        for (double v : values) {
            node.add(v);
        }
    }
}
