package io.seedstream.cli.experiment;

import io.seedstream.trainer.StepMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one run of one arm with one seed measured, as the experiment's CSV files hold it. */
final class ExperimentData {

    private ExperimentData() {}

    /**
     * How the semantic-entropy scales of one batch's groups were spread: their mean (the trainer's
     * figure) and, from the batch in the log, quantiles and extremes (NaN where the batch was not read).
     */
    record ScaleSpread(double mean, double p10, double p50, double p90, double min, double max) {

        static ScaleSpread meanOnly(double mean) {
            return new ScaleSpread(mean, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }

        /** With the batch's scales, sorted ascending. */
        ScaleSpread withBatch(double[] sorted) {
            return sorted.length == 0 ? this : new ScaleSpread(mean, quantile(sorted, 0.1), quantile(sorted, 0.5),
                    quantile(sorted, 0.9), sorted[0], sorted[sorted.length - 1]);
        }
    }

    /** One training step (policy version {@code step}), from the trainer's step metrics and its batch in the log. */
    record Step(String arm, int seed, long step, double wallSeconds, double meanReward, double meanEntropy,
            ScaleSpread scale, double meanClusters, double meanStaleness, double loss, double referenceKl,
            double stepSeconds, double waitFraction, long tokens) {

        static final String HEADER = "arm,seed,step,wall_s,mean_reward,mean_se,scale_mean,scale_p10,scale_p50,"
                + "scale_p90,scale_min,scale_max,mean_clusters,mean_staleness,loss,reference_kl,step_s,wait_fraction,tokens";

        /** A step as the trainer reported it; the batch's spread of scales and clusters come later ({@link #withBatch}). */
        static Step of(String arm, int seed, double wallSeconds, StepMetrics m) {
            return new Step(arm, seed, m.step(), wallSeconds, m.meanReward(), m.meanSemanticEntropy(),
                    ScaleSpread.meanOnly(m.meanScale()), Double.NaN, m.meanStaleness(), m.loss(), m.referenceKl(),
                    m.stepSeconds(), m.waitFraction(), m.tokens());
        }

        /** With what its batch in the log shows: the scales of its groups (sorted) and their mean cluster count. */
        Step withBatch(double[] sortedScales, double clusters) {
            return new Step(arm, seed, step, wallSeconds, meanReward, meanEntropy, scale.withBatch(sortedScales),
                    clusters, meanStaleness, loss, referenceKl, stepSeconds, waitFraction, tokens);
        }

        /** A line of steps.csv read back, by column name. */
        static Step parse(Map<String, String> x) {
            return new Step(x.get("arm"), Integer.parseInt(x.get("seed")), Long.parseLong(x.get("step")), num(x, "wall_s"),
                    num(x, "mean_reward"), num(x, "mean_se"), new ScaleSpread(num(x, "scale_mean"), num(x, "scale_p10"),
                            num(x, "scale_p50"), num(x, "scale_p90"), num(x, "scale_min"), num(x, "scale_max")),
                    num(x, "mean_clusters"), num(x, "mean_staleness"), num(x, "loss"), num(x, "reference_kl"),
                    num(x, "step_s"), num(x, "wait_fraction"), Long.parseLong(x.get("tokens")));
        }

        double scaleMean() {
            return scale.mean();
        }

        double scaleP10() {
            return scale.p10();
        }

        double scaleP50() {
            return scale.p50();
        }

        double scaleP90() {
            return scale.p90();
        }

        double scaleMin() {
            return scale.min();
        }

        double scaleMax() {
            return scale.max();
        }

        String csv() {
            return Csv.row(arm, seed, step, wallSeconds, meanReward, meanEntropy, scale.mean(), scale.p10(), scale.p50(),
                    scale.p90(), scale.min(), scale.max(), meanClusters, meanStaleness, loss, referenceKl, stepSeconds,
                    waitFraction, tokens);
        }
    }

    /** Linear interpolation between the closest ranks of sorted values. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /**
     * Greedy pass@1 of one policy version on the held-out set, graded by the topology: with its
     * bootstrap 95% interval, step-verified pass@1, and the paired change since the run's first
     * round with its interval, the share of greedy answers that answer directly ({@code Answer:}, no
     * steps shown), and in rounds that drew k samples per problem mean@k, pass@k and majority-of-k
     * (NaN where not measured, as in files written before these existed).
     */
    record Eval(String arm, int seed, long version, double wallSeconds, long answered, long correct, double low,
            double high, double stepVerified, double change, double changeLow, double changeHigh, double directShare,
            double meanAtK, double passAtK, double majorityAtK) {

        static final String HEADER = "arm,seed,version,wall_s,answered,correct,accuracy,accuracy_low,accuracy_high,"
                + "step_verified,change_since_first,change_low,change_high,direct_share,mean_at_k,pass_at_k,majority_at_k";

        double accuracy() {
            return answered == 0 ? Double.NaN : (double) correct / answered;
        }

        String csv() {
            return Csv.row(arm, seed, version, wallSeconds, answered, correct, accuracy(), low, high, stepVerified, change,
                    changeLow, changeHigh, directShare, meanAtK, passAtK, majorityAtK);
        }
    }

    /**
     * A whole run: how far it got in what wall time, and how busy each stage was.
     *
     * @param wallSeconds from the loop's start to the end of training (evaluations of the last version not included)
     * @param firstStepSeconds from the loop's start to the first step (start-up, first batch, first held-out round)
     * @param generatorBusy the generator's sampling time over the wall time
     * @param trainerBusy the trainer's step time over the wall time
     * @param ended why the training stopped (step limit, time limit, or a stage's failure)
     */
    /**
     * One run's totals; {@code scoredGroups} and {@code zeroAdvantageGroups} are the topology's counts
     * (NaN-valued in reports written before they were kept, read back as -1).
     */
    record Run(String arm, int seed, String settings, long steps, double wallSeconds, double firstStepSeconds, long groups, long sampledTokens,
            long trainedTokens, double generatorBusy, double trainerBusy, long rejectedStale, String ended,
            long scoredGroups, long zeroAdvantageGroups) {

        static final String HEADER = "arm,seed,settings,steps,wall_s,first_step_s,versions_per_min,groups,sampled_tokens_per_s,"
                + "trained_tokens_per_s,generator_busy,trainer_busy,rejected_stale,ended,scored_groups,zero_advantage_share,"
                + "trainable_groups_per_min";

        /** Whether a stage of the run failed ({@code ended} then says which and why, as LocalLoop.StageEnd writes it). */
        boolean failed() {
            return ended.contains(" failed: ");
        }

        /** After the first step, so that start-up (and the JVM's warm-up in an experiment's first run) does not count. */
        double versionsPerMinute() {
            double t = wallSeconds - firstStepSeconds;
            return steps < 2 || t <= 0 ? Double.NaN : (steps - 1) * 60.0 / t;
        }

        double sampledTokensPerSecond() {
            return wallSeconds <= 0 ? 0 : sampledTokens / wallSeconds;
        }

        double trainedTokensPerSecond() {
            return wallSeconds <= 0 ? 0 : trainedTokens / wallSeconds;
        }

        /** Share of the scored groups whose answers all got the same reward: sampled without a learning signal. */
        double zeroAdvantageShare() {
            return scoredGroups <= 0 ? Double.NaN : (double) zeroAdvantageGroups / scoredGroups;
        }

        /** Scored groups with a learning signal, per minute of the run. */
        double trainableGroupsPerMinute() {
            return scoredGroups < 0 || wallSeconds <= 0 ? Double.NaN : (scoredGroups - zeroAdvantageGroups) * 60.0 / wallSeconds;
        }

        String csv() {
            return Csv.row(arm, seed, settings, steps, wallSeconds, firstStepSeconds, versionsPerMinute(), groups, sampledTokensPerSecond(),
                    trainedTokensPerSecond(), generatorBusy, trainerBusy, rejectedStale, ended,
                    scoredGroups < 0 ? "" : scoredGroups, zeroAdvantageShare(), trainableGroupsPerMinute());
        }
    }

    /** Everything one run measured. */
    record ArmResult(Run run, List<Step> steps, List<Eval> evals) {}

    /** The runs of an experiment read back from the CSV files of its report directory, in runs.csv's order. */
    static List<ArmResult> read(Path dir) throws IOException {
        List<Map<String, String>> runs = Csv.read(dir.resolve("runs.csv"));
        List<Map<String, String>> steps = Csv.read(dir.resolve("steps.csv"));
        List<Map<String, String>> evals = Csv.read(dir.resolve("evals.csv"));
        List<ArmResult> out = new ArrayList<>();
        for (Map<String, String> r : runs) {
            String arm = r.get("arm");
            int seed = Integer.parseInt(r.get("seed"));
            Run run = new Run(arm, seed, r.get("settings"), Long.parseLong(r.get("steps")), num(r, "wall_s"),
                    num(r, "first_step_s"), Long.parseLong(r.get("groups")),
                    Math.round(num(r, "sampled_tokens_per_s") * num(r, "wall_s")),
                    Math.round(num(r, "trained_tokens_per_s") * num(r, "wall_s")), num(r, "generator_busy"),
                    num(r, "trainer_busy"), Long.parseLong(r.get("rejected_stale")), r.get("ended"),
                    scored(r), zeroAdvantage(r));
            List<Step> mine = steps.stream().filter(x -> x.get("arm").equals(arm) && x.get("seed").equals(r.get("seed")))
                    .map(Step::parse).toList();
            List<Eval> theirs = evals.stream().filter(x -> x.get("arm").equals(arm) && x.get("seed").equals(r.get("seed")))
                    .map(x -> new Eval(arm, seed, Long.parseLong(x.get("version")), num(x, "wall_s"),
                            Long.parseLong(x.get("answered")), Long.parseLong(x.get("correct")), optional(x, "accuracy_low"),
                            optional(x, "accuracy_high"), optional(x, "step_verified"), optional(x, "change_since_first"),
                            optional(x, "change_low"), optional(x, "change_high"),
                            optional(x, "direct_share"), optional(x, "mean_at_k"), optional(x, "pass_at_k"),
                            optional(x, "majority_at_k"))).toList();
            out.add(new ArmResult(run, mine, theirs));
        }
        return out;
    }

    /** A column that files of older versions do not have: NaN there. */
    /** The scored groups of a run, -1 in reports written before they were kept. */
    private static long scored(Map<String, String> row) {
        double n = optional(row, "scored_groups");
        return Double.isNaN(n) ? -1 : Math.round(n);
    }

    private static long zeroAdvantage(Map<String, String> row) {
        double share = optional(row, "zero_advantage_share");
        long scored = scored(row);
        return Double.isNaN(share) || scored < 0 ? -1 : Math.round(share * scored);
    }

    private static double optional(Map<String, String> row, String column) {
        return row.containsKey(column) ? num(row, column) : Double.NaN;
    }

    /** An empty cell is NaN (written for a value that was not measured). */
    private static double num(Map<String, String> row, String column) {
        String v = row.get(column);
        if (v == null) {
            throw new IllegalArgumentException("no column " + column);
        }
        return v.isEmpty() ? Double.NaN : Double.parseDouble(v);
    }

    /** RFC 4180 rows: numbers as they are, text quoted when it must be. */
    static final class Csv {

        private Csv() {}

        /** The rows of a file written with {@link #row}, by header name. */
        static List<Map<String, String>> read(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                throw new IOException(file + " is empty");
            }
            List<String> header = cells(lines.get(0));
            List<Map<String, String>> rows = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) {
                    continue;
                }
                List<String> cells = cells(line);
                if (cells.size() != header.size()) {
                    throw new IOException(file + ": " + cells.size() + " cells where the header has " + header.size()
                            + ": " + line);
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), cells.get(i));
                }
                rows.add(row);
            }
            return rows;
        }

        /** One line's cells: quoted cells may hold commas and doubled quotes (no line breaks: row() writes none). */
        static List<String> cells(String line) {
            List<String> out = new ArrayList<>();
            StringBuilder cell = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char ch = line.charAt(i);
                if (quoted) {
                    if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else if (ch == '"') {
                        quoted = false;
                    } else {
                        cell.append(ch);
                    }
                } else if (ch == '"') {
                    quoted = true;
                } else if (ch == ',') {
                    out.add(cell.toString());
                    cell.setLength(0);
                } else {
                    cell.append(ch);
                }
            }
            out.add(cell.toString());
            return out;
        }

        static String row(Object... cells) {
            StringBuilder b = new StringBuilder();
            for (Object c : cells) {
                if (b.length() > 0) {
                    b.append(',');
                }
                if (c instanceof Double d) {
                    b.append(d.isNaN() ? "" : String.format(java.util.Locale.ROOT, "%.6g", d));
                } else {
                    String s = String.valueOf(c).replace('\n', ' ').replace('\r', ' ');
                    b.append(s.matches("[^,\"\\n\\r]*") ? s : '"' + s.replace("\"", "\"\"") + '"');
                }
            }
            return b.toString();
        }
    }
}
