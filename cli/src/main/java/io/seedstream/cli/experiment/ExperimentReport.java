package io.seedstream.cli.experiment;

import io.seedstream.cli.experiment.ExperimentData.ArmResult;
import io.seedstream.cli.experiment.ExperimentData.Eval;
import io.seedstream.cli.experiment.ExperimentData.Run;
import io.seedstream.cli.experiment.ExperimentData.Step;
import io.seedstream.cli.experiment.ExperimentPlots.Stats;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Writes an experiment's report from its runs: the raw data as CSV ({@code steps.csv},
 * {@code evals.csv}, {@code runs.csv}), the plots as PNG, and {@code report.md}, which gives each
 * arm's mean and spread over seeds and says whether the differences exceed that spread.
 *
 * <p>Over 400 lines because report.md's sections read the same per-arm aggregates; the plots
 * ({@code ExperimentPlots}) and the run data ({@code ExperimentData}) live in their own classes.
 */
final class ExperimentReport {

    /** How the experiment was run, as the report's header states it (kept beside it as setup.json, notes aside). */
    record Setup(String name, String command, List<ExperimentArm> arms, List<Integer> seeds, ArmRun.Limits limits,
            String policy, Map<String, String> baseSettings, String machine, String notes) {

        static final String FILE = "setup.json";
        private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

        Setup withNotes(String text) {
            return new Setup(name, command, arms, seeds, limits, policy, baseSettings, machine, text);
        }

        void write(Path dir) throws IOException {
            Files.writeString(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(withNotes(null))
                    + "\n", StandardCharsets.UTF_8);
        }

        static Setup read(Path dir) throws IOException {
            return JSON.readValue(dir.resolve(FILE).toFile(), Setup.class);
        }
    }

    private final Setup setup;
    private final List<ArmResult> results;

    ExperimentReport(Setup setup, List<ArmResult> results) {
        this.setup = setup;
        this.results = List.copyOf(results);
    }

    /** Writes every file into {@code dir}; returns report.md. */
    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> steps = new ArrayList<>(List.of(Step.HEADER));
        List<String> evals = new ArrayList<>(List.of(Eval.HEADER));
        List<String> runs = new ArrayList<>(List.of(Run.HEADER));
        for (ArmResult r : results) {
            r.steps().forEach(s -> steps.add(s.csv()));
            r.evals().stream().sorted(Comparator.comparingLong(Eval::version)).forEach(e -> evals.add(e.csv()));
            runs.add(r.run().csv());
        }
        Files.write(dir.resolve("steps.csv"), steps, StandardCharsets.UTF_8);
        Files.write(dir.resolve("evals.csv"), evals, StandardCharsets.UTF_8);
        Files.write(dir.resolve("runs.csv"), runs, StandardCharsets.UTF_8);
        setup.write(dir);
        List<String> plots = plot(dir);
        Path report = dir.resolve("report.md");
        Files.writeString(report, markdown(plots), StandardCharsets.UTF_8);
        return report;
    }

    private List<String> armNames() {
        return setup.arms().stream().map(ExperimentArm::name).filter(a -> results.stream()
                .anyMatch(r -> r.run().arm().equals(a))).toList();
    }

    private List<ArmResult> of(String arm) {
        return results.stream().filter(r -> r.run().arm().equals(arm)).toList();
    }

    // ---- plots

    private List<String> plot(Path dir) throws IOException {
        List<String> files = new ArrayList<>();
        ExperimentPlots.meanWithSpread(dir.resolve("heldout.png"), "Held-out greedy pass@1 (mean over seeds, band: min-max)",
                "policy version", "pass@1", byArm(r -> r.evals(), Eval::version, Eval::accuracy));
        files.add("heldout.png");
        ExperimentPlots.meanWithSpread(dir.resolve("reward.png"), "Mean training reward per batch", "policy version",
                "mean reward", byArm(r -> r.steps(), Step::step, Step::meanReward));
        files.add("reward.png");
        ExperimentPlots.meanWithSpread(dir.resolve("entropy.png"), "Mean semantic entropy per batch", "policy version",
                "semantic entropy (nats)", byArm(r -> r.steps(), Step::step, Step::meanEntropy));
        files.add("entropy.png");
        Map<String, SortedMap<Long, double[]>> scale = new LinkedHashMap<>();
        for (String arm : armNames()) {
            SortedMap<Long, List<Double>> p10 = series(of(arm), r -> r.steps(), Step::step, Step::scaleP10);
            SortedMap<Long, List<Double>> p50 = series(of(arm), r -> r.steps(), Step::step, Step::scaleP50);
            SortedMap<Long, List<Double>> p90 = series(of(arm), r -> r.steps(), Step::step, Step::scaleP90);
            SortedMap<Long, double[]> band = new TreeMap<>();
            p50.forEach((x, mid) -> band.put(x, new double[] {Stats.mean(mid), Stats.mean(p10.getOrDefault(x, List.of())),
                    Stats.mean(p90.getOrDefault(x, List.of()))}));
            band.values().removeIf(v -> !Double.isFinite(v[0]) || !Double.isFinite(v[1]) || !Double.isFinite(v[2]));
            scale.put(arm, band);
        }
        ExperimentPlots.bands(dir.resolve("scale.png"), "Scale f(alpha SE / ln G) of a batch's groups: median, band "
                + "10th-90th percentile (mean over seeds)", "policy version", "scale", scale);
        files.add("scale.png");
        ExperimentPlots.meanWithSpread(dir.resolve("clusters.png"), "Meaning clusters per group (batch mean)",
                "policy version", "clusters", byArm(r -> r.steps(), Step::step, Step::meanClusters));
        files.add("clusters.png");
        if (!staleness().isEmpty()) {
            Map<String, SortedMap<Double, Double>> versions = new LinkedHashMap<>();
            Map<String, SortedMap<Double, Double>> heldOut = new LinkedHashMap<>();
            for (String arm : staleness().keySet()) {
                for (ArmResult r : of(arm)) {
                    String key = arm + " seed " + r.run().seed();
                    SortedMap<Double, Double> v = new TreeMap<>();
                    r.steps().forEach(s -> v.put(s.wallSeconds(), (double) s.step()));
                    versions.put(key, v);
                    SortedMap<Double, Double> h = new TreeMap<>();
                    r.evals().forEach(e -> h.put(e.wallSeconds(), e.accuracy()));
                    heldOut.put(key, h);
                }
            }
            ExperimentPlots.lines(dir.resolve("async-versions.png"), "Policy versions against wall time",
                    "wall time (s)", "policy version", versions);
            ExperimentPlots.lines(dir.resolve("async-heldout.png"), "Held-out pass@1 against the wall time its version "
                    + "was made", "wall time (s)", "pass@1", heldOut);
            files.add("async-versions.png");
            files.add("async-heldout.png");
        }
        return files;
    }

    private <T> Map<String, SortedMap<Long, List<Double>>> byArm(Function<ArmResult, List<T>> rows,
            Function<T, Long> x, ToDoubleFunction<T> y) {
        Map<String, SortedMap<Long, List<Double>>> out = new LinkedHashMap<>();
        for (String arm : armNames()) {
            out.put(arm, series(of(arm), rows, x, y));
        }
        return out;
    }

    private static <T> SortedMap<Long, List<Double>> series(List<ArmResult> runs, Function<ArmResult, List<T>> rows,
            Function<T, Long> x, ToDoubleFunction<T> y) {
        SortedMap<Long, List<Double>> s = new TreeMap<>();
        for (ArmResult r : runs) {
            for (T row : rows.apply(r)) {
                s.computeIfAbsent(x.apply(row), k -> new ArrayList<>()).add(y.applyAsDouble(row));
            }
        }
        return s;
    }

    // ---- per-run measures the tables summarise over seeds

    /** Held-out pass@1 of the first evaluated version (0). */
    private static double initialAccuracy(ArmResult r) {
        return r.evals().stream().min(Comparator.comparingLong(Eval::version)).map(Eval::accuracy).orElse(Double.NaN);
    }

    /** Held-out pass@1 of the last version evaluated in full. */
    static double finalAccuracy(ArmResult r) {
        return lastEval(r).map(Eval::accuracy).orElse(Double.NaN);
    }

    private static java.util.Optional<Eval> lastEval(ArmResult r) {
        long full = r.evals().stream().mapToLong(Eval::answered).max().orElse(0);
        return r.evals().stream().filter(e -> e.answered() == full).max(Comparator.comparingLong(Eval::version));
    }

    /** Mean of a step measure over the first or last tenth of the run's steps (at least one step). */
    private static double window(ArmResult r, ToDoubleFunction<Step> f, boolean last) {
        List<Step> s = r.steps();
        if (s.isEmpty()) {
            return Double.NaN;
        }
        int n = Math.max(1, s.size() / 10);
        List<Step> w = last ? s.subList(s.size() - n, s.size()) : s.subList(0, n);
        return w.stream().mapToDouble(f).filter(Double::isFinite).average().orElse(Double.NaN);
    }

    /** Where each arm's sampling went: the zero-advantage share of its scored groups and the trainable ones per minute. */
    private String sampling() {
        if (results.stream().allMatch(r -> r.run().scoredGroups() < 0)) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## Sampling (mean ± standard deviation over seeds)\n\n"
                + "A group whose answers all get the same reward has zero advantage: it was sampled for no learning "
                + "signal. Counts are the scoring topology's, over each whole run.\n\n"
                + "| arm | groups scored | zero-advantage share | trainable groups/min | groups rejected as stale |\n"
                + "|---|---|---|---|---|\n");
        for (String arm : armNames()) {
            md.append("| ").append(arm)
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().scoredGroups()), 1, "%.0f"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().zeroAdvantageShare()), 100, "%.1f%%"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().trainableGroupsPerMinute()), 1, "%.1f"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().rejectedStale()), 1, "%.0f")).append(" |\n");
        }
        return md.toString();
    }

    private static double overRun(ArmResult r, ToDoubleFunction<Step> f) {
        return r.steps().stream().mapToDouble(f).filter(Double::isFinite).average().orElse(Double.NaN);
    }

    private List<Double> perSeed(String arm, ToDoubleFunction<ArmResult> f) {
        return of(arm).stream().map(f::applyAsDouble).filter(Double::isFinite).toList();
    }

    private static String pm(List<Double> v, double factor, String format) {
        if (v.isEmpty()) {
            return "n/a";
        }
        String m = String.format(Locale.ROOT, format, Stats.mean(v) * factor);
        return v.size() < 2 ? m : m + " ± " + String.format(Locale.ROOT, format.replace("+", ""), Stats.sd(v) * factor);
    }

    // ---- the markdown

    private String markdown(List<String> plots) {
        StringBuilder md = new StringBuilder();
        Setup s = setup;
        md.append("# Experiment: ").append(s.name()).append("\n\n");
        md.append("Written by `seedstream experiment` (").append(java.time.LocalDate.now()).append("). Command: `")
                .append(s.command()).append("`\n\n");
        md.append("Every arm starts from the same initial policy (").append(s.policy()).append(") and runs through the "
                + "real pipeline `up` runs (dispatcher, generator, scoring topology, trainer, each on its own Kafka "
                + "clients, on the experiment's embedded broker, under its own topic prefix), one run at a time, seed by "
                + "seed. A seed sets the order in which the dispatcher releases the training prompts (`dispatch.seed`); "
                + "sampling itself is not seeded, so two runs with one seed differ too. Machine: ").append(s.machine())
                .append(".\n\n");
        md.append(String.format(Locale.ROOT, "- steps per run: %d%s; seeds: %s%n- held-out set: %d task problems never "
                        + "trained on, greedy pass@1 graded by the topology, every %d versions%n- settings of every arm "
                        + "(up's for the task policy): %s%n%n", s.limits().steps(), s.limits().minutes() == null ? ""
                        : String.format(Locale.ROOT, " or %.1f minutes of training, whichever comes first",
                        s.limits().minutes()), s.seeds(), s.limits().heldOut(), s.limits().evalEvery(),
                s.baseSettings().isEmpty() ? "defaults" : s.baseSettings()));
        md.append("| arm | changes from those settings |\n|---|---|\n");
        for (String arm : armNames()) {
            md.append("| ").append(arm).append(" | ").append(of(arm).get(0).run().settings()).append(" |\n");
        }
        md.append("\n## Results per arm (mean ± standard deviation over seeds)\n\n");
        md.append("| arm | seeds | held-out at v0 | held-out at the last version | change (points) | step-verified at "
                + "the last version | reward, first "
                + "10% of steps | reward, last 10% | mean SE | scale p10-p90 (run mean) | clusters per group | "
                + "versions/min | sampled tokens/s | wall (s) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String arm : armNames()) {
            md.append("| ").append(arm).append(" | ").append(of(arm).size())
                    .append(" | ").append(pm(perSeed(arm, ExperimentReport::initialAccuracy), 100, "%.1f%%"))
                    .append(" | ").append(pm(perSeed(arm, ExperimentReport::finalAccuracy), 100, "%.1f%%"))
                    .append(" | ").append(pm(perSeed(arm, ExperimentReport::accuracyChange), 100, "%+.1f"))
                    .append(" | ").append(pm(perSeed(arm, r -> lastEval(r).map(Eval::stepVerified).orElse(Double.NaN)),
                            100, "%.1f%%"))
                    .append(" | ").append(pm(perSeed(arm, r -> window(r, Step::meanReward, false)), 1, "%.3f"))
                    .append(" | ").append(pm(perSeed(arm, r -> window(r, Step::meanReward, true)), 1, "%.3f"))
                    .append(" | ").append(pm(perSeed(arm, r -> overRun(r, Step::meanEntropy)), 1, "%.3f"))
                    .append(" | ").append(pm(perSeed(arm, r -> overRun(r, Step::scaleP10)), 1, "%.3f")).append(" - ")
                    .append(pm(perSeed(arm, r -> overRun(r, Step::scaleP90)), 1, "%.3f"))
                    .append(" | ").append(pm(perSeed(arm, r -> overRun(r, Step::meanClusters)), 1, "%.2f"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().versionsPerMinute()), 1, "%.1f"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().sampledTokensPerSecond()), 1, "%.0f"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().wallSeconds()), 1, "%.0f")).append(" |\n");
        }
        md.append(sampling());
        md.append(pairedChanges());
        md.append(heldOutOverTime());
        md.append(comparisons());
        md.append(scaleRange());
        md.append(asynchrony());
        md.append("\n## Plots\n\n");
        for (String p : plots) {
            md.append("![").append(p.replace(".png", "")).append("](").append(p).append(")\n\n");
        }
        if (s.notes() != null && !s.notes().isBlank()) {
            md.append("## Discussion\n\n").append(s.notes().strip()).append("\n\n");
        }
        md.append("## Raw data\n\n`steps.csv` (one row per arm, seed and training step: reward, semantic entropy, the "
                + "scale's distribution over the batch's groups, meaning clusters, staleness, loss, KL, step time), "
                + "`evals.csv` (one row per held-out round), `runs.csv` (one row per run: wall time, versions/min, "
                + "tokens/s, how busy the generator and the trainer were).\n");
        return md.toString();
    }

    /**
     * Each run's last full round against its first, paired on the same problems, with the interval; and how its
     * greedy answers changed: the share that answers directly (no steps shown) and the share that is right while
     * a step is false (a lucky guess).
     */
    private String pairedChanges() {
        StringBuilder md = new StringBuilder("\n## Held-out change of each run, paired\n\nThe last fully graded round "
                + "against the run's first on the same problems: mean of the per-problem differences and its bootstrap "
                + "95% interval (points). Direct: share of greedy answers that answer without steps (`Answer:`). "
                + "Lucky: share that is right while one of its steps is false (accuracy minus step-verified "
                + "accuracy).\n\n| arm | seed | last version | change [95% CI] | direct, first -> last | lucky, first "
                + "-> last |\n|---|---|---|---|---|---|\n");
        boolean any = false;
        for (String arm : armNames()) {
            for (ArmResult r : of(arm)) {
                Eval last = lastEval(r).orElse(null);
                if (last == null || Double.isNaN(last.change())) {
                    continue;
                }
                Eval first = r.evals().get(0);
                any = true;
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %+.1f [%+.1f, %+.1f] | %s -> %s | %s -> %s |%n", arm,
                        r.run().seed(), last.version(), 100 * last.change(), 100 * last.changeLow(),
                        100 * last.changeHigh(), percent(first.directShare()), percent(last.directShare()),
                        percent(first.accuracy() - first.stepVerified()), percent(last.accuracy() - last.stepVerified())));
            }
        }
        return any ? md.toString() : "";
    }

    /**
     * Held-out accuracy as the runs went on: per arm and version, the wall time the round was released
     * at and its greedy pass@1 and mean@k over the seeds whose round was fully graded; then how soon
     * each run first reached a given accuracy.
     */
    private String heldOutOverTime() {
        long size = setup.limits().heldOut();
        StringBuilder md = new StringBuilder("\n## Held-out against wall time (mean ± standard deviation over seeds)\n\n"
                + "Fully graded rounds only; wall time is seconds since the run's training began, when the round's "
                + "version was announced. mean@k: the mean accuracy of k samples per problem (`dispatch.eval.samples` "
                + "at `dispatch.eval.temperature`), on the rounds that ask for samples.\n\n| arm | version | seeds | wall (s) | greedy pass@1 | mean@k |\n"
                + "|---|---|---|---|---|---|\n");
        boolean any = false;
        for (String arm : armNames()) {
            java.util.TreeMap<Long, List<Eval>> byVersion = new java.util.TreeMap<>();
            for (ArmResult r : of(arm)) {
                r.evals().stream().filter(e -> e.answered() == size)
                        .forEach(e -> byVersion.computeIfAbsent(e.version(), v -> new java.util.ArrayList<>()).add(e));
            }
            for (var e : byVersion.entrySet()) {
                List<Eval> round = e.getValue();
                any = true;
                md.append("| ").append(arm).append(" | ").append(e.getKey()).append(" | ").append(round.size())
                        .append(" | ").append(pm(round.stream().map(Eval::wallSeconds).toList(), 1, "%.0f"))
                        .append(" | ").append(pm(round.stream().map(Eval::accuracy).toList(), 100, "%.1f%%"))
                        .append(" | ").append(pm(round.stream().map(Eval::meanAtK).filter(Double::isFinite).toList(),
                                100, "%.1f%%")).append(" |\n");
            }
        }
        if (!any) {
            return "";
        }
        md.append("\nHow soon each run's greedy pass@1 first reached a level, in seconds of training (mean ± standard "
                + "deviation over the seeds that reached it; a run that never did is counted in the last column).\n\n"
                + "| arm | >= 40% | >= 50% | >= 60% | runs that never reached 60% |\n|---|---|---|---|---|\n");
        for (String arm : armNames()) {
            md.append("| ").append(arm);
            long reachedTop = 0;
            for (double level : new double[] {0.4, 0.5, 0.6}) {
                List<Double> reached = new java.util.ArrayList<>();
                for (ArmResult r : of(arm)) {
                    r.evals().stream().filter(e -> e.answered() == size && e.accuracy() >= level)
                            .mapToDouble(Eval::wallSeconds).min().ifPresent(reached::add);
                }
                md.append(" | ").append(reached.isEmpty() ? "never" : pm(reached, 1, "%.0f s") + " (" + reached.size()
                        + ")");
                reachedTop = reached.size(); // the last level's count, 60%
            }
            md.append(" | ").append(of(arm).size() - reachedTop).append(" |\n");
        }
        return md.toString();
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    private static double accuracyChange(ArmResult r) {
        return finalAccuracy(r) - initialAccuracy(r);
    }

    /** Each method arm against the reference (Dr. GRPO where it ran, else the first arm). */
    private String comparisons() {
        List<String> arms = armNames().stream().filter(a -> !staleness().containsKey(a) || a.equals("seed-grpo")).toList();
        if (arms.size() < 2) {
            return "";
        }
        String ref = arms.contains("dr-grpo") ? "dr-grpo" : arms.get(0);
        StringBuilder md = new StringBuilder("\n## Does a difference exceed the seed spread?\n\nEach arm against `")
                .append(ref).append("`: the difference of the means over seeds, and its standard error sqrt(s1²/n1 + "
                        + "s2²/n2) from the seeds' spread. A difference counts as larger than the spread when it is more "
                        + "than twice its standard error (with 3 seeds per arm, a rough bar, not a test at 5%).\n\n")
                .append("| arm | held-out change minus the reference's (points) | verdict | last-10% reward minus the "
                        + "reference's | verdict |\n|---|---|---|---|---|\n");
        List<String> lines = new ArrayList<>();
        for (String arm : arms) {
            if (arm.equals(ref)) {
                continue;
            }
            String[] acc = versus(arm, ref, ExperimentReport::accuracyChange, 100, "%+.1f");
            String[] rew = versus(arm, ref, r -> window(r, Step::meanReward, true), 1, "%+.3f");
            md.append("| ").append(arm).append(" | ").append(acc[0]).append(" | ").append(acc[1]).append(" | ")
                    .append(rew[0]).append(" | ").append(rew[1]).append(" |\n");
            lines.add(arm + ": " + acc[1] + " on held-out accuracy, " + rew[1] + " on training reward");
        }
        md.append("\nIn words: ").append(String.join("; ", lines)).append(".\n");
        return md.toString();
    }

    private String[] versus(String arm, String ref, ToDoubleFunction<ArmResult> f, double factor, String format) {
        List<Double> a = perSeed(arm, f);
        List<Double> b = perSeed(ref, f);
        if (a.isEmpty() || b.isEmpty()) {
            return new String[] {"n/a", "not measured"};
        }
        double diff = (Stats.mean(a) - Stats.mean(b)) * factor;
        if (a.size() < 2 || b.size() < 2) {
            return new String[] {String.format(Locale.ROOT, format, diff), "one seed: no spread to compare with"};
        }
        double se = Math.sqrt(Stats.sd(a) * Stats.sd(a) / a.size() + Stats.sd(b) * Stats.sd(b) / b.size()) * factor;
        String d = String.format(Locale.ROOT, format + " (SE " + format.replace("+", "") + ")", diff, se);
        return new String[] {d, Math.abs(diff) > 2 * se ? (diff > 0 ? "higher, beyond the spread" : "lower, beyond the spread")
                : "within the spread"};
    }

    /** Where the scale actually went in each arm: the lowest and highest group scale of any batch. */
    private String scaleRange() {
        StringBuilder md = new StringBuilder("\n## How much the scale moved\n\n| arm | lowest group scale | highest | "
                + "batches whose groups' scales differ by more than 0.1 |\n|---|---|---|---|\n");
        for (String arm : armNames()) {
            List<Step> all = of(arm).stream().flatMap(r -> r.steps().stream()).toList();
            double lo = all.stream().mapToDouble(Step::scaleMin).filter(Double::isFinite).min().orElse(Double.NaN);
            double hi = all.stream().mapToDouble(Step::scaleMax).filter(Double::isFinite).max().orElse(Double.NaN);
            long wide = all.stream().filter(x -> x.scaleMax() - x.scaleMin() > 0.1).count();
            md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %d of %d |%n", arm, lo, hi, wide, all.size()));
        }
        return md.toString();
    }

    /** The arms that set only the staleness bound, by their bound. */
    private Map<String, Integer> staleness() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (ExperimentArm a : setup.arms()) {
            String eta = a.settings().get(TrainerConfig.STALENESS);
            if (eta != null && a.settings().size() == 1 && !of(a.name()).isEmpty()) {
                out.put(a.name(), Integer.parseInt(eta));
            }
        }
        return out;
    }

    private String asynchrony() {
        Map<String, Integer> arms = staleness();
        if (arms.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## What asynchrony buys\n\nThe same SEED-GRPO arm at different staleness "
                + "bounds (eta = 0 is synchronous: the dispatcher releases a version's prompts only once that version is "
                + "announced). Generator and trainer share this machine's cores.\n\n| arm | eta | versions/min | generator "
                + "busy | trainer busy | trainer wait (share of its time) | mean staleness | last version evaluated | "
                + "held-out there |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Map.Entry<String, Integer> e : arms.entrySet()) {
            String arm = e.getKey();
            md.append("| ").append(arm).append(" | ").append(e.getValue())
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().versionsPerMinute()), 1, "%.1f"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().generatorBusy()), 100, "%.0f%%"))
                    .append(" | ").append(pm(perSeed(arm, r -> r.run().trainerBusy()), 100, "%.0f%%"))
                    .append(" | ").append(pm(perSeed(arm, r -> overRun(r, Step::waitFraction)), 100, "%.0f%%"))
                    .append(" | ").append(pm(perSeed(arm, r -> overRun(r, Step::meanStaleness)), 1, "%.2f"))
                    .append(" | ").append(pm(perSeed(arm, r -> lastEval(r).map(x -> (double) x.version())
                            .orElse(Double.NaN)), 1, "%.0f"))
                    .append(" | ").append(pm(perSeed(arm, ExperimentReport::finalAccuracy), 100, "%.1f%%")).append(" |\n");
        }
        String sync = arms.entrySet().stream().filter(e -> e.getValue() == 0).map(Map.Entry::getKey).findFirst().orElse(null);
        if (sync != null) {
            // stage times per version where the stages mostly take turns: the synchronous arm
            List<Double> gen = perSeed(sync, r -> r.run().generatorBusy() * r.run().wallSeconds() / Math.max(1, r.run().steps()));
            List<Double> train = perSeed(sync, r -> overRun(r, Step::stepSeconds));
            double g = Stats.mean(gen);
            double t = Stats.mean(train);
            md.append(String.format(Locale.ROOT, "%nMeasured in the synchronous arm: generating a version's batch (and its "
                    + "share of the held-out rounds) takes %.2f s of sampling, a training step %.2f s. On separate machines "
                    + "a synchronous loop needs their sum per version, %.2f s, an asynchronous one with eta >= 1 only the "
                    + "slower of the two, %.2f s: **%.2fx** the versions per minute (with both stages on the same cores "
                    + "they compete for the CPU, which the table above measures).%n", g, t, g + t, Math.max(g, t),
                    (g + t) / Math.max(1e-9, Math.max(g, t))));
            for (Map.Entry<String, Integer> e : arms.entrySet()) {
                if (e.getValue() > 0) {
                    double ratio = Stats.mean(perSeed(e.getKey(), r -> r.run().versionsPerMinute()))
                            / Stats.mean(perSeed(sync, r -> r.run().versionsPerMinute()));
                    md.append(String.format(Locale.ROOT, "- %s (eta %d): %.2fx the synchronous arm's versions per "
                            + "minute on this machine%n", e.getKey(), e.getValue(), ratio));
                }
            }
        }
        return md.toString();
    }

    static String machine() {
        return Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }
}
