package io.seedstream.cli.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.streams.scoring.GroupScore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code replay score} found: each group's recorded and replayed scores, and over all of
 * them how the per-prompt update weight moved. A group's weight is the mean |scaled advantage| of
 * its answers, the size of its push on the policy; a prompt's is the mean over its groups.
 */
final class ReplaySummary {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, double[]> promptWeights = new LinkedHashMap<>(); // {recorded, replayed, groups}
    private long groups;
    private long missingPrompts;
    private double scaleRecorded;
    private double scaleReplayed;
    private double seRecorded;
    private double seReplayed;
    private double maxDifference;

    /** One group: its line, and its part of the summary. */
    ObjectNode add(String batchId, ScoredGroup recorded, GroupScore replayed) {
        double[] scaledRecorded = recorded.getScaledAdvantages().stream().mapToDouble(Double::doubleValue).toArray();
        double wRecorded = meanAbs(scaledRecorded);
        double wReplayed = meanAbs(replayed.scaledAdvantages());
        groups++;
        scaleRecorded += recorded.getScale();
        scaleReplayed += replayed.scale();
        seRecorded += recorded.getSemanticEntropy();
        seReplayed += replayed.semanticEntropy();
        double diff = Math.max(Math.abs(recorded.getSemanticEntropy() - replayed.semanticEntropy()),
                Math.abs(recorded.getScale() - replayed.scale()));
        for (int i = 0; i < scaledRecorded.length && i < replayed.scaledAdvantages().length; i++) {
            diff = Math.max(diff, Math.abs(scaledRecorded[i] - replayed.scaledAdvantages()[i]));
        }
        if (scaledRecorded.length != replayed.scaledAdvantages().length) {
            diff = Double.POSITIVE_INFINITY;
        }
        maxDifference = Math.max(maxDifference, diff);
        double[] w = promptWeights.computeIfAbsent(recorded.getRollout().getPromptId(), k -> new double[3]);
        w[0] += wRecorded;
        w[1] += wReplayed;
        w[2]++;

        ObjectNode line = JSON.createObjectNode().put("batch_id", batchId)
                .put("request_id", recorded.getRollout().getRequestId())
                .put("prompt_id", recorded.getRollout().getPromptId())
                .put("policy_version", recorded.getRollout().getPolicyVersion());
        ObjectNode r = line.putObject("recorded").put("semantic_entropy", recorded.getSemanticEntropy())
                .put("scale", recorded.getScale()).put("weight", wRecorded);
        array(r.putArray("scaled_advantages"), scaledRecorded);
        ObjectNode p = line.putObject("replayed").put("semantic_entropy", replayed.semanticEntropy())
                .put("scale", replayed.scale()).put("clusters", replayed.clusterCount()).put("weight", wReplayed);
        array(p.putArray("scaled_advantages"), replayed.scaledAdvantages());
        return line;
    }

    void missingPrompt() {
        missingPrompts++;
    }

    long groups() {
        return groups;
    }

    int prompts() {
        return promptWeights.size();
    }

    /** The largest difference of SE, scale or a scaled advantage between the record and the replay. */
    double maxDifference() {
        return maxDifference;
    }

    ObjectNode toJson(int top) {
        ObjectNode s = JSON.createObjectNode().put("groups", groups).put("prompts", promptWeights.size())
                .put("groups_without_prompt", missingPrompts);
        double n = Math.max(1, groups);
        s.put("mean_scale_recorded", scaleRecorded / n).put("mean_scale_replayed", scaleReplayed / n)
                .put("mean_se_recorded", seRecorded / n).put("mean_se_replayed", seReplayed / n);
        List<String> ids = new ArrayList<>(promptWeights.keySet());
        double[] a = new double[ids.size()];
        double[] b = new double[ids.size()];
        double sumA = 0;
        double sumB = 0;
        for (int i = 0; i < ids.size(); i++) {
            double[] w = promptWeights.get(ids.get(i));
            a[i] = w[0] / w[2];
            b[i] = w[1] / w[2];
            sumA += a[i];
            sumB += b[i];
        }
        s.put("weight_ratio", sumA == 0 ? Double.NaN : sumB / sumA);
        s.put("prompt_weight_spearman", spearman(a, b));
        s.put("max_difference_from_record", maxDifference);
        Integer[] order = new Integer[ids.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble(i -> -Math.abs(b[i] - a[i])));
        ArrayNode moved = s.putArray("prompts_that_move_most");
        for (int k = 0; k < Math.min(top, order.length); k++) {
            int i = order[k];
            moved.addObject().put("prompt_id", ids.get(i)).put("weight_recorded", a[i]).put("weight_replayed", b[i]);
        }
        return s;
    }

    /** Spearman's rank correlation (ties get their mean rank); NaN when either side is constant. */
    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        int n = a.length;
        double ma = Arrays.stream(ra).sum() / n;
        double mb = Arrays.stream(rb).sum() / n;
        double cov = 0;
        double va = 0;
        double vb = 0;
        for (int i = 0; i < n; i++) {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }
        return va == 0 || vb == 0 ? Double.NaN : cov / Math.sqrt(va * vb);
    }

    private static double[] ranks(double[] x) {
        Integer[] order = new Integer[x.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble(i -> x[i]));
        double[] r = new double[x.length];
        for (int i = 0; i < x.length;) {
            int j = i;
            while (j + 1 < x.length && x[order[j + 1]] == x[order[i]]) {
                j++;
            }
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = mean;
            }
            i = j + 1;
        }
        return r;
    }

    private static double meanAbs(double[] xs) {
        double s = 0;
        for (double x : xs) {
            s += Math.abs(x);
        }
        return xs.length == 0 ? 0 : s / xs.length;
    }

    private static void array(ArrayNode out, double[] xs) {
        for (double x : xs) {
            out.add(x);
        }
    }
}
