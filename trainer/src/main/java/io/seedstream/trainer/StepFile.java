package io.seedstream.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The input of {@code seedstream train step}: {"groups": [{"prompt_ids": [...], "answers":
 * [{"completion_ids": [...], "old_logprobs": [...], "scaled_advantage": x}, ...]}, ...]}, one
 * old log-prob per completion token. Errors name the group and answer at fault.
 */
public final class StepFile {

    private StepFile() {}

    public static List<TrainingSample> read(Path file, int vocabSize) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode groups = root == null ? null : root.get("groups");
        if (groups == null || !groups.isArray()) {
            throw new IllegalArgumentException(file + ": expected an object with a \"groups\" array");
        }
        List<TrainingSample> out = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            JsonNode group = groups.get(g);
            int[] prompt = ids(group.get("prompt_ids"), vocabSize, "groups[" + g + "].prompt_ids");
            JsonNode answers = group.get("answers");
            if (answers == null || !answers.isArray()) {
                throw new IllegalArgumentException("groups[" + g + "]: missing \"answers\" array");
            }
            for (int a = 0; a < answers.size(); a++) {
                String where = "groups[" + g + "].answers[" + a + "]";
                JsonNode answer = answers.get(a);
                int[] completion = ids(answer.get("completion_ids"), vocabSize, where + ".completion_ids");
                JsonNode old = answer.get("old_logprobs");
                if (old == null || !old.isArray()) {
                    throw new IllegalArgumentException(where + ": missing \"old_logprobs\" array");
                }
                float[] oldLogprobs = new float[old.size()];
                for (int t = 0; t < old.size(); t++) {
                    if (!old.get(t).isNumber()) {
                        throw new IllegalArgumentException(where + ".old_logprobs[" + t + "] is not a number");
                    }
                    oldLogprobs[t] = (float) old.get(t).asDouble();
                }
                JsonNode adv = answer.get("scaled_advantage");
                if (adv == null || !adv.isNumber()) {
                    throw new IllegalArgumentException(where + ": missing numeric \"scaled_advantage\"");
                }
                try {
                    out.add(new TrainingSample(prompt, completion, oldLogprobs, adv.asDouble(), 0));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + ": " + e.getMessage());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": no answers to train on");
        }
        return out;
    }

    private static int[] ids(JsonNode node, int vocabSize, String where) {
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException(where + ": expected an array of token ids");
        }
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= vocabSize) {
                throw new IllegalArgumentException(where + "[" + i + "] = " + v + " is not a token id in [0, " + vocabSize + ")");
            }
            ids[i] = v.asInt();
        }
        return ids;
    }
}
