package io.seedstream.producers.prompts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.seedstream.schemas.avro.Prompt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads one line of a prompts file. Both layouts of the datasets are accepted: training lines
 * ({@code problem}, {@code answer}) and evaluation lines ({@code problem}, {@code answers[]}).
 * The prompt id is the line's {@code id} when it has one, otherwise the dataset name and a hash
 * of the problem text, so loading the same file twice yields the same keys.
 */
public final class PromptLine {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A line that is not a prompt, with the reason. */
    public static final class MalformedLineException extends Exception {
        public MalformedLineException(String reason) {
            super(reason);
        }
    }

    /** Parses a line into a prompt of the given dataset. */
    public static Prompt parse(String line, String dataset) throws MalformedLineException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new MalformedLineException("not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new MalformedLineException("not a JSON object");
        }
        JsonNode problem = node.get("problem");
        if (problem == null || !problem.isTextual() || problem.asText().isBlank()) {
            throw new MalformedLineException("missing or empty string field 'problem'");
        }
        List<String> answers = answers(node);
        String id = node.hasNonNull("id") ? node.get("id").asText() : stableId(dataset, problem.asText());
        if (id.isBlank()) {
            throw new MalformedLineException("empty 'id'");
        }
        Map<String, String> metadata = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!List.of("id", "problem", "answer", "answers").contains(f.getKey())) {
                metadata.put(f.getKey(), f.getValue().isTextual() ? f.getValue().asText() : f.getValue().toString());
            }
        }
        return Prompt.newBuilder().setId(id).setDataset(dataset).setProblem(problem.asText())
                .setAnswers(answers).setMetadata(new java.util.HashMap<>(metadata)).build();
    }

    private static List<String> answers(JsonNode node) throws MalformedLineException {
        List<String> out = new ArrayList<>();
        JsonNode many = node.get("answers");
        JsonNode one = node.get("answer");
        if (many != null && !many.isNull()) {
            if (!many.isArray()) {
                throw new MalformedLineException("'answers' must be an array");
            }
            for (JsonNode a : many) {
                out.add(answerText(a, "answers[]"));
            }
        } else if (one != null && !one.isNull()) {
            out.add(answerText(one, "answer"));
        }
        if (out.isEmpty()) {
            throw new MalformedLineException("no reference answer: needs 'answer' or a non-empty 'answers'");
        }
        return out;
    }

    private static String answerText(JsonNode a, String field) throws MalformedLineException {
        if (a.isTextual() && !a.asText().isBlank()) {
            return a.asText();
        }
        if (a.isNumber()) {
            return a.asText(); // some sets store integer answers as numbers
        }
        throw new MalformedLineException("'" + field + "' holds " + a.getNodeType().toString().toLowerCase()
                + " " + a + ", expected a non-empty string or a number");
    }

    /** The dataset name and the first 16 hex digits of the problem's sha256. */
    public static String stableId(String dataset, String problem) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(problem.getBytes(StandardCharsets.UTF_8));
            return dataset + "-" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
    }

    private PromptLine() {}
}
