package io.seedstream.streams.scoring;

import io.seedstream.streams.grading.Grader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups a group's extracted answers by meaning (DESIGN.md section 1, step 3). Cluster ids are
 * numbered from 0 in order of first appearance; an answer with no final answer is a cluster of
 * its own.
 */
public final class SemanticClusterer {

    private final Grader grader;
    private final ScoringConfig.Clustering mode;

    public SemanticClusterer(Grader grader, ScoringConfig.Clustering mode) {
        this.grader = grader;
        this.mode = mode;
    }

    public int[] cluster(List<String> extracted) {
        int[] ids = new int[extracted.size()];
        Map<String, Integer> byKey = new HashMap<>();
        List<String> representatives = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < extracted.size(); i++) {
            String answer = extracted.get(i);
            if (answer == null) {
                ids[i] = next++;
                representatives.add(null);
                continue;
            }
            String key = switch (mode) {
                case EXACT -> answer.strip();
                case NORMALIZED, MATH -> grader.normalize(answer);
            };
            Integer known = byKey.get(key);
            if (known == null && mode == ScoringConfig.Clustering.MATH) {
                for (int c = 0; c < representatives.size(); c++) {
                    String rep = representatives.get(c);
                    if (rep != null && grader.sameAnswer(rep, answer).equal()) {
                        known = c;
                        break;
                    }
                }
            }
            if (known == null) {
                known = next++;
                representatives.add(answer);
            }
            byKey.putIfAbsent(key, known);
            ids[i] = known;
        }
        return ids;
    }
}
