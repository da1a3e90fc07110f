package io.seedstream.cli.experiment;

import io.seedstream.cli.BuiltInTask;
import io.seedstream.cli.ConfigKeys;
import io.seedstream.cli.StatusLine;
import io.seedstream.cli.bench.BenchCommand;
import io.seedstream.cli.experiment.ExperimentData.ArmResult;
import io.seedstream.cli.offline.ModelCommand;
import io.seedstream.infra.LocalStack;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Run arms of the method (SEED-GRPO at several alphas, Dr. GRPO, GRPO with std normalisation, "
                + "staleness bounds) from the same initial policy through the real pipeline, seed by seed, and write a "
                + "report: report.md, PNG plots and the raw per-step data as CSV.",
            "Arms by name: " + "seed-grpo, dr-grpo, seed-grpo-a0.5, seed-grpo-a1, seed-grpo-a2, grpo-std, sync, async-2, async-4; "
                    + "or --arm NAME:key=value,... with any stage key. The report is rewritten after every run, so a "
                    + "stopped experiment keeps what it measured."})
public final class ExperimentCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties: arms=a,b; arm.NAME=key=value,...; "
            + "steps, seeds, minutes, eval.every, heldout.size, task.problems, and any stage key for every arm. Flags win.")
    Path config;

    @Option(names = "--arms", split = ",", paramLabel = "NAME", description = "Catalogue arms to run, in order "
            + "(default: the five method arms).")
    List<String> arms;

    @Option(names = "--arm", paramLabel = "NAME:key=value,...", description = "An arm of your own (repeatable).")
    List<String> customArms = List.of();

    @Option(names = "--steps", description = "Training steps (policy versions) per run (default: 40).")
    Long steps;

    @Option(names = "--seeds", description = "Seeds per arm: 0..K-1 (default: 3).")
    Integer seeds;

    @Option(names = "--minutes", description = "Also stop a run's training after this many minutes.")
    Double minutes;

    @Option(names = "--eval-every", description = "Evaluate the held-out set every K versions (default: 10).")
    Integer evalEvery;

    @Option(names = "--heldout", description = "Held-out problems (default: 200).")
    Integer heldOut;

    @Option(names = "--task-problems", description = "Training prompts: this many built-in task problems, seed 0 "
            + "(default: 2000, as up).")
    Integer taskProblems;

    @Option(names = "--options-share", description = "Share of the training prompts that offer four options (the "
            + "answer and three typical slips), as task export --options-share writes them; the held-out set stays "
            + "free-form (default: 0).")
    Double optionsShare;

    @Option(names = "--model-dir", paramLabel = "DIR", description = "Initial policy of every arm (default: the shipped "
            + "task policy).")
    Path modelDir;

    @Option(names = "--prompts", paramLabel = "FILE.jsonl", description = "Training prompts of your own (JSONL with "
            + "\"problem\" and \"answer\" or \"answers\") instead of the built-in task's problems.")
    Path promptsFile;

    @Option(names = "--eval-file", paramLabel = "FILE.jsonl", description = "Evaluation set of your own (JSONL with "
            + "answers), evaluated every --eval-every versions instead of the built-in held-out set; keep it disjoint "
            + "from --prompts.")
    Path evalFile;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N for every arm's generator and "
            + "trainer (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where the report goes "
            + "(for example docs/experiments/NAME).")
    Path out;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data/experiments",
            description = "Broker log and runs' checkpoints, deleted run by run (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--notes", paramLabel = "FILE.md", description = "Markdown to put in the report as its discussion.")
    Path notes;

    @Option(names = "--report-only", description = "Run nothing: write the report again from the CSV files and "
            + "setup.json in --out (with --notes, for example).")
    boolean reportOnly;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (reportOnly) {
            return rewriteReport();
        }
        Properties file = new Properties();
        if (config != null) {
            try (Reader r = Files.newBufferedReader(config)) {
                file.load(r);
            }
        }
        List<ExperimentArm> armList;
        try {
            ConfigKeys.check(file.stringPropertyNames().stream().filter(k -> !k.startsWith("arm.")).toList(),
                    java.util.Set.of("arms", "steps", "seeds", "minutes", "eval.every", "heldout.size", "task.problems",
                            "task.options.share"), "config " + config);
            armList = arms(file);
        } catch (IllegalArgumentException e) {
            System.err.println("seedstream experiment: " + e.getMessage());
            return 2;
        }
        long stepCount = steps != null ? steps : Long.parseLong(file.getProperty("steps", "40"));
        int seedCount = seeds != null ? seeds : Integer.parseInt(file.getProperty("seeds", "3"));
        Double minuteLimit = minutes != null ? minutes
                : file.containsKey("minutes") ? Double.valueOf(file.getProperty("minutes")) : null;
        int every = evalEvery != null ? evalEvery : Integer.parseInt(file.getProperty("eval.every", "10"));
        int heldOutSize = heldOut != null ? heldOut : Integer.parseInt(file.getProperty("heldout.size", "200"));
        int problems = taskProblems != null ? taskProblems : Integer.parseInt(file.getProperty("task.problems", "2000"));
        double options = optionsShare != null ? optionsShare
                : Double.parseDouble(file.getProperty("task.options.share", "0"));
        if (stepCount < 1 || seedCount < 1 || every < 1 || heldOutSize < 1 || problems < 1
                || (minuteLimit != null && minuteLimit <= 0)) {
            System.err.println("seedstream experiment: --steps, --seeds, --eval-every, --heldout, --task-problems and "
                    + "--minutes must be positive");
            return 2;
        }
        if (!(options >= 0 && options <= 1)) {
            System.err.println("seedstream experiment: --options-share must be in [0, 1], was " + options);
            return 2;
        }
        Path policy = modelDir != null ? modelDir.toAbsolutePath() : BuiltInTask.shippedPolicy();
        if (!Files.isRegularFile(policy.resolve(Checkpoints.CONFIG))) {
            System.err.println("seedstream experiment: " + policy + " is not a model directory (no config.json)");
            return 2;
        }
        Properties base = new Properties();
        Map<String, String> shown = new TreeMap<>();
        if (ModelConfig.read(policy.resolve(Checkpoints.CONFIG)).equals(TaskPolicy.CONFIG)) {
            base.putAll(BuiltInTask.TASK_POLICY_SETTINGS);
            shown.putAll(BuiltInTask.TASK_POLICY_SETTINGS);
        }
        for (String k : file.stringPropertyNames()) {
            if (k.contains(".") && !k.startsWith("arm.") && !List.of("eval.every", "heldout.size", "task.problems", "task.options.share")
                    .contains(k)) {
                base.put(k, file.getProperty(k));
                shown.put(k, file.getProperty(k));
            }
        }
        base.put(TrainerConfig.MODEL_DIR, policy.toString());
        base.put(GeneratorConfig.MODEL_DIR, policy.toString());

        if (options > 0 && promptsFile != null) {
            System.err.println("seedstream experiment: --options-share applies to the built-in task, not to --prompts");
            return 2;
        }
        if (options > 0) {
            shown.put("task.options.share", String.valueOf(options));
        }
        Path prompts;
        String dataset;
        if (promptsFile != null) {
            if (!Files.isRegularFile(promptsFile)) {
                System.err.println("seedstream experiment: --prompts " + promptsFile + " is not a file");
                return 2;
            }
            prompts = promptsFile.toAbsolutePath();
            dataset = null;
            shown.put("prompts", promptsFile.getFileName().toString());
        } else {
            prompts = BuiltInTask.problemsFile(dataDir, problems, options);
            try {
                BuiltInTask.exportProblems(prompts, problems, options);
            } catch (IllegalArgumentException e) {
                System.err.println("seedstream experiment: " + e.getMessage());
                return 2;
            }
            dataset = "task";
        }
        String benchmark = DispatcherConfig.HELD_OUT_BENCHMARK;
        if (evalFile != null) {
            if (!Files.isRegularFile(evalFile)) {
                System.err.println("seedstream experiment: --eval-file " + evalFile + " is not a file");
                return 2;
            }
            try (var lines = Files.lines(evalFile)) {
                heldOutSize = (int) lines.filter(l -> !l.isBlank()).count();
            }
            benchmark = io.seedstream.producers.prompts.PromptLoader.datasetOf(evalFile);
            base.put(DispatcherConfig.EVAL_FILES, evalFile.toAbsolutePath().toString());
            shown.put("eval-file", evalFile.getFileName().toString());
        }
        try {
            ModelCommand.device(device);
        } catch (IllegalArgumentException e) {
            System.err.println("seedstream experiment: " + e.getMessage());
            return 2;
        }
        ArmRun.Data armData = new ArmRun.Data(prompts, dataset, benchmark, device);
        List<Integer> seedList = IntStream.range(0, seedCount).boxed().toList();
        ArmRun.Limits limits = new ArmRun.Limits(stepCount, minuteLimit, every, heldOutSize);
        ExperimentReport.Setup setup = new ExperimentReport.Setup(out.getFileName().toString(), commandLine(),
                armList, seedList, limits, policy.getFileName().toString(), shown, ExperimentReport.machine(),
                notes == null ? null : Files.readString(notes));
        String stamp = Long.toString(System.currentTimeMillis() / 1000, 36);
        LocalStack stack;
        try {
            stack = LocalStack.start(new BrokerSettings(dataDir.resolve("kafka-" + stamp), BrokerSettings.DEFAULT_HOST,
                    0, 0, Map.of()), RegistrySettings.defaults().withPort(0), ConnectionConfig.defaults());
        } catch (RuntimeException e) {
            System.err.println("seedstream experiment: cannot start the broker and registry: " + e.getMessage());
            return 1;
        }
        List<ArmResult> results = new ArrayList<>();
        int total = armList.size() * seedList.size();
        int failed = 0;
        long started = System.nanoTime();
        try (stack; StatusLine line = StatusLine.onStderr(60_000)) {
            ArmRun runner = new ArmRun(stack.connection(), base, armData, limits);
            for (int seed : seedList) {
                for (ExperimentArm arm : armList) {
                    int n = results.size() + 1;
                    String label = String.format(Locale.ROOT, "[%d/%d] %s seed %d", n, total, arm.name(), seed);
                    Path runDir = dataDir.resolve("runs-" + stamp).resolve(arm.name() + "-s" + seed);
                    ArmResult r = runner.run(arm, seed, "exp-" + stamp + "-" + arm.name() + "-s" + seed + ".", runDir,
                            s -> line.show(label + ": " + s));
                    removeIfPresent(runDir);
                    results.add(r);
                    if (r.run().failed()) {
                        failed++;
                    }
                    line.close();
                    System.err.printf(Locale.ROOT, "seedstream experiment: %s: %d versions in %.0f s (%s), held-out %s%n",
                            label, r.run().steps(), r.run().wallSeconds(), r.run().ended(), heldOutText(r));
                    new ExperimentReport(setup, results).write(out);
                }
            }
        }
        removeIfPresent(dataDir.resolve("kafka-" + stamp));
        removeIfPresent(dataDir.resolve("runs-" + stamp));
        System.out.printf(Locale.ROOT, "seedstream experiment: %d runs (%d arms x %d seeds) in %.1f min%s; report %s%n",
                results.size(), armList.size(), seedList.size(), (System.nanoTime() - started) / 60e9,
                failed == 0 ? "" : ", " + failed + " failed", out.resolve("report.md"));
        return failed == 0 ? 0 : 1;
    }

    private int rewriteReport() throws IOException {
        if (!Files.isRegularFile(out.resolve(ExperimentReport.Setup.FILE))) {
            System.err.println("seedstream experiment: no " + ExperimentReport.Setup.FILE + " in " + out);
            return 2;
        }
        ExperimentReport.Setup setup = ExperimentReport.Setup.read(out)
                .withNotes(notes == null ? null : Files.readString(notes));
        List<ArmResult> results = ExperimentData.read(out);
        Path report = new ExperimentReport(setup, results).write(out);
        System.out.printf(Locale.ROOT, "seedstream experiment: report of %d runs written again: %s%n", results.size(), report);
        return 0;
    }

    private static String heldOutText(ArmResult r) {
        return r.evals().stream().sorted(Comparator.comparingLong(ExperimentData.Eval::version))
                .map(e -> String.format(Locale.ROOT, "v%d %.1f%%", e.version(), 100 * e.accuracy()))
                .reduce((a, b) -> a + ", " + b).orElse("none");
    }

    /** --arms and --arm, else the config file's, else the five method arms. */
    private List<ExperimentArm> arms(Properties file) {
        Map<String, ExperimentArm> byName = new LinkedHashMap<>();
        List<String> names = arms != null ? arms
                : file.containsKey("arms") ? List.of(file.getProperty("arms").split("\\s*,\\s*"))
                : customArms.isEmpty() ? ExperimentArm.METHOD_ARMS : List.of();
        for (String n : names) {
            String own = file.getProperty("arm." + n.strip());
            ExperimentArm a = ExperimentArm.parse(own == null ? n : n.strip() + ":" + own);
            byName.put(a.name(), a);
        }
        for (String spec : customArms) {
            ExperimentArm a = ExperimentArm.parse(spec);
            byName.put(a.name(), a);
        }
        if (byName.isEmpty()) {
            throw new IllegalArgumentException("no arms to run");
        }
        return List.copyOf(byName.values());
    }

    private String commandLine() {
        List<String> args = spec == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        // as a subcommand of seedstream, the arguments start with the subcommand's own name
        List<String> own = !args.isEmpty() && args.get(0).equals("experiment") ? args.subList(1, args.size()) : args;
        return "seedstream experiment " + String.join(" ", own);
    }

    private static void removeIfPresent(Path dir) throws IOException {
        if (Files.exists(dir)) {
            BenchCommand.deleteTree(dir);
        }
    }
}
