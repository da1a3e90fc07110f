package io.seedstream.cli.offline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.CommandGroup;
import io.seedstream.cli.ProgressBar;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Policy;
import io.seedstream.model.Weights;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.SolutionMode;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.producers.task.TaskProblemsFile;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.grading.Grader;
import io.seedstream.trainer.WarmStart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "task", mixinStandardHelpOptions = true,
        description = "The built-in task: procedural arithmetic word problems and a tiny warm-started policy.",
        subcommands = {TaskCommand.Export.class, TaskCommand.Sft.class})
public final class TaskCommand extends CommandGroup {

    static List<OfflineEvaluation.Item> items(List<TaskProblem> problems) {
        return problems.stream().map(p -> new OfflineEvaluation.Item(p.id(), p.problem(), List.of(p.answer()), p.level()))
                .toList();
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write problems as JSONL ({\"id\", \"problem\", \"answer\", \"level\"}), the layout prompts load takes.")
    static final class Export implements Callable<Integer> {

        @Option(names = "--n", required = true, description = "How many problems.")
        int n;

        @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--level", defaultValue = "0", description = "1..4, or 0 for an even mix (default: ${DEFAULT-VALUE}).")
        int level;

        @Option(names = "--out", required = true, description = "Output JSONL file.")
        Path out;

        @Option(names = "--held-out", description = "Export the evaluation split instead: n distinct problems no "
                + "training set holds, n/4 of each level (with --seed 0 and n 500, the set up evaluates on).")
        boolean heldOut;

        @Option(names = "--options-share", defaultValue = "0", description = "Share of problems that offer four "
                + "options (the answer and three typical slips) after the question; the line gets \"options\": true "
                + "(default: ${DEFAULT-VALUE}).")
        double optionsShare;

        @Option(names = "--shuffle-answers", description = "A control for RL: give each problem the answer of another "
                + "(a seeded permutation), so that a reward carries no information about the problem.")
        boolean shuffleAnswers;

        @Override
        public Integer call() throws Exception {
            if (n < 1) {
                throw new IllegalArgumentException("--n must be >= 1");
            }
            if (heldOut && level != 0) {
                throw new IllegalArgumentException("--held-out keeps the level mix: leave --level at 0");
            }
            List<TaskProblem> problems = heldOut ? ArithmeticTask.heldOut(n, seed, Set.of())
                    : ArithmeticTask.generate(n, seed, level);
            if (optionsShare < 0 || optionsShare > 1 || (heldOut && optionsShare > 0)) {
                throw new IllegalArgumentException("--options-share must be in [0, 1], and 0 with --held-out");
            }
            problems = ArithmeticTask.withOptions(problems, optionsShare, seed);
            List<Boolean> withOptions = problems.stream().map(p -> ArithmeticTask.offersOptions(p.problem())).toList();
            List<String> answers = new ArrayList<>(problems.stream().map(TaskProblem::answer).toList());
            if (shuffleAnswers) {
                java.util.Collections.shuffle(answers, new java.util.Random(seed));
            }
            TaskProblemsFile.write(out, problems, answers);
            System.out.printf("seedstream task export: %d %sproblems (seed %d, level %s)%s -> %s%n", n,
                    heldOut ? "held-out " : "", seed, level == 0 ? "mix" : level,
                    (shuffleAnswers ? ", answers shuffled among them" : "")
                            + (optionsShare > 0 ? ", " + withOptions.stream().filter(o -> o).count() + " with options" : ""),
                    out);
            return 0;
        }
    }

    @Command(name = "sft", mixinStandardHelpOptions = true,
            description = "Warm-start the tiny task policy from random initialisation by supervised learning, then "
                    + "report held-out greedy pass@1 and answer diversity at temperature 1.")
    static final class Sft implements Callable<Integer> {

        @Option(names = "--out", required = true, description = "Directory for the policy (Hugging Face layout).")
        Path out;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of data, initialisation and order (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--steps", defaultValue = "1350", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--batch-size", defaultValue = "32", description = "Examples per step (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
        double lr;

        @Option(names = "--examples", defaultValue = "50000", description = "Distinct training problems (default: ${DEFAULT-VALUE}).")
        int examples;

        @Option(names = "--held-out", defaultValue = "500", description = "Held-out problems to evaluate, the set up "
                + "evaluates on (default: ${DEFAULT-VALUE}; 0 skips).")
        int heldOut;

        @Option(names = "--samples", defaultValue = "8", description = "G for the diversity measurement (default: ${DEFAULT-VALUE}).")
        int samples;

        @Option(names = "--steps-share", defaultValue = "0.35",
                description = "Share of targets that work the problem out (`Steps: ...`) (default: ${DEFAULT-VALUE}).")
        double stepsShare;

        @Option(names = "--careful-share", defaultValue = "0.10",
                description = "Share of targets that work it out in parts (`Careful: ...`); the rest answer directly "
                        + "(`Answer: ...`) (default: ${DEFAULT-VALUE}).")
        double carefulShare;

        @Option(names = "--calc-share", defaultValue = "0",
                description = "Share of targets that ask the calculator for each step (`Calc: <calc>7*8</calc>"
                        + "<result>56</result> ...`), for runs with generator.tools=calculator (default: ${DEFAULT-VALUE}).")
        double calcShare;

        @Option(names = "--mix-steps", defaultValue = "400",
                description = "Optimizer steps of the second phase, on targets in the mode shares above; the first "
                        + "phase (--steps) trains on worked targets only, Steps and Careful in the same proportion "
                        + "(default: ${DEFAULT-VALUE}).")
        int mixSteps;

        @Option(names = "--mix-lr", defaultValue = "1e-3", description = "Peak learning rate of the second phase "
                + "(default: ${DEFAULT-VALUE}).")
        double mixLr;

        @Option(names = "--options-share", defaultValue = "0", description = "Share of training problems that offer "
                + "four options (the answer and three typical slips) after the question, as task export writes them; "
                + "with a share, the held-out set is also evaluated with options (default: ${DEFAULT-VALUE}).")
        double optionsShare;

        @Option(names = "--from", paramLabel = "DIR", description = "Start from this task policy's weights instead of a "
                + "random initialisation.")
        Path from;

        /**
         * Each example's mode, drawn from its own stream so that the problems do not depend on the shares.
         * {@code direct} is the share of direct answers (0 in the first phase).
         */
        private List<SolutionMode> modes(int n, double direct, long stream) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed ^ stream);
            double worked = carefulShare + stepsShare + calcShare;
            double careful = carefulShare / worked * (1 - direct);
            double calc = calcShare / worked * (1 - direct);
            List<SolutionMode> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                double u = r.nextDouble();
                out.add(u < direct ? SolutionMode.DIRECT : u < direct + careful ? SolutionMode.CAREFUL
                        : u < direct + careful + calc ? SolutionMode.CALC : SolutionMode.STEPS);
            }
            return out;
        }

        private static List<WarmStart.Example> examples(Policy policy, List<TaskProblem> train, List<SolutionMode> modes) {
            List<WarmStart.Example> data = new ArrayList<>(train.size());
            for (int i = 0; i < train.size(); i++) {
                TaskProblem p = train.get(i);
                int[] target = policy.tokenizer().encode(" " + p.solution(modes.get(i)));
                int[] withEnd = java.util.Arrays.copyOf(target, target.length + 1);
                withEnd[target.length] = TaskPolicy.END_ID;
                data.add(new WarmStart.Example(policy.tokenizer().encode(ArithmeticTask.prompt(p.problem())), withEnd));
            }
            return data;
        }

        private static double phase(Policy policy, List<WarmStart.Example> data, String name, int steps, int batchSize,
                double lr, long seed) {
            if (steps == 0) {
                return Double.NaN;
            }
            try (ProgressBar bar = ProgressBar.onStderr(name)) {
                return WarmStart.train(policy.model(), data,
                        new WarmStart.Options(steps, batchSize, lr, Math.max(1, steps / 20), seed),
                        (step, total, loss) -> {
                            bar.update(step, total);
                            if (step % 50 == 0 || !Double.isFinite(loss)) {
                                System.err.printf(Locale.ROOT, "%s step %d/%d token loss %.4f%n", name, step, total, loss);
                            }
                        });
            }
        }

        @Override
        public Integer call() throws Exception {
            if (stepsShare < 0 || carefulShare < 0 || calcShare < 0 || stepsShare + carefulShare + calcShare > 1
                    || stepsShare + carefulShare + calcShare == 0) {
                throw new IllegalArgumentException("--steps-share, --careful-share and --calc-share must be >= 0, not "
                        + "all 0, and sum to <= 1");
            }
            if (steps < 0 || mixSteps < 0 || steps + mixSteps == 0) {
                throw new IllegalArgumentException("--steps and --mix-steps must be >= 0, not both 0");
            }
            long t0 = System.nanoTime();
            List<TaskProblem> train = ArithmeticTask.withOptions(ArithmeticTask.generate(examples, seed, 0), optionsShare, seed);
            double direct = 1 - stepsShare - carefulShare - calcShare;
            try (NDManager m = NDManager.newBaseManager()) {
                if (from != null) {
                    try (Policy start = Policy.load(from, m)) {
                        start.save(out);
                    }
                } else {
                    try (Weights init = Weights.random(TaskPolicy.CONFIG, seed, m)) {
                        Checkpoints.save(out, TaskPolicy.CONFIG, init, TaskPolicy.tokenizerJson());
                    }
                }
                try (Policy policy = Policy.load(out, m)) {
                    // first every target is worked out, so that the policy learns the arithmetic; then the mix,
                    // so that it also holds the habit of answering directly (docs/learning.md)
                    double finalLoss = phase(policy, examples(policy, train, modes(train.size(), 0, 0x5eed_0de5L)),
                            "sft", steps, batchSize, lr, seed);
                    double mixLoss = phase(policy, examples(policy, train, modes(train.size(), direct, 0x0d1e_c7L)),
                            "sft mix", mixSteps, batchSize, mixLr, seed + 1);
                    finalLoss = mixSteps > 0 ? mixLoss : finalLoss;
                    String sha = policy.save(out);
                    double trainSecs = (System.nanoTime() - t0) / 1e9;
                    ObjectNode report = new ObjectMapper().createObjectNode();
                    report.put("seed", seed).put("steps", steps).put("batch_size", batchSize).put("lr", lr)
                            .put("mix_steps", mixSteps).put("mix_lr", mixLr).put("from", from == null ? null : from.toString())
                            .put("examples", examples).put("options_share", optionsShare).put("steps_share", stepsShare).put("careful_share", carefulShare)
                            .put("calc_share", calcShare)
                            .put("final_token_loss", finalLoss)
                            .put("train_seconds", trainSecs).put("sha256", sha);
                    if (heldOut > 0) {
                        // the evaluation split `up` evaluates on (seed 0), so version 0 of a run reads the same
                        List<OfflineEvaluation.Item> items = items(ArithmeticTask.heldOut(heldOut, 0, Set.of()));
                        OfflineEvaluation eval = new OfflineEvaluation(policy, new Grader(), 96, 64);
                        List<OfflineEvaluation.Result> greedy;
                        try (ProgressBar bar = ProgressBar.onStderr("held-out greedy")) {
                            greedy = eval.greedy(items, m, done -> bar.update(done, items.size()));
                        }
                        OfflineEvaluation.Diversity d;
                        try (ProgressBar bar = ProgressBar.onStderr("held-out G=" + samples)) {
                            d = eval.sampled(items, samples, seed, m, done -> bar.update(done, items.size()));
                        }
                        double acc = greedy.stream().filter(OfflineEvaluation.Result::correct).count() / (double) items.size();
                        EvalSummary all = EvalSummary.of(EvalSummary.ALL,
                                eval.outcomes(items, greedy, List.of()), seed);
                        report.put("held_out", items.size()).put("greedy_pass_at_1", acc)
                                .put("greedy_pass_at_1_low", all.passAt1().low())
                                .put("greedy_pass_at_1_high", all.passAt1().high())
                                .put("step_verified_pass_at_1", all.stepVerifiedPassAt1());
                        report.set("greedy_modes", new ObjectMapper().valueToTree(all.modeShares()));
                        report
                                .put("mean_clusters_by_string", d.meanStringClusters())
                                .put("mean_clusters_by_meaning", d.meanMeaningClusters())
                                .put("sample_accuracy_t1", d.meanSampleAccuracy());
                        if (optionsShare > 0) {
                            // the same held-out problems offering options: what guessing among them earns
                            List<OfflineEvaluation.Item> offered = items(ArithmeticTask.withOptions(
                                    ArithmeticTask.heldOut(heldOut, 0, Set.of()), 1.0, seed));
                            List<OfflineEvaluation.Result> picks;
                            try (ProgressBar bar = ProgressBar.onStderr("held-out with options")) {
                                picks = eval.greedy(offered, m, done -> bar.update(done, offered.size()));
                            }
                            EvalSummary withOptions = EvalSummary.of(EvalSummary.ALL,
                                    eval.outcomes(offered, picks, List.of()), seed);
                            report.put("options_greedy_pass_at_1", withOptions.passAt1().mean())
                                    .put("options_step_verified_pass_at_1", withOptions.stepVerifiedPassAt1());
                            report.set("options_greedy_modes", new ObjectMapper().valueToTree(withOptions.modeShares()));
                        }
                    }
                    Files.writeString(out.resolve("warm-start.json"),
                            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
                    System.out.println(report);
                    System.out.printf(Locale.ROOT, "seedstream task sft: %d steps in %.0f s, token loss %.3f%s -> %s%n",
                            steps + mixSteps, trainSecs, finalLoss, report.has("greedy_pass_at_1")
                                    ? String.format(Locale.ROOT, ", held-out pass@1 %.1f%% (greedy modes %s), clusters %.2f "
                                            + "by string / %.2f by meaning",
                                            100 * report.get("greedy_pass_at_1").asDouble(), report.get("greedy_modes"),
                                            report.get("mean_clusters_by_string").asDouble(),
                                            report.get("mean_clusters_by_meaning").asDouble()) : "",
                            out);
                }
            }
            return 0;
        }
    }
}
