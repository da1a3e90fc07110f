package io.seedstream.cli.offline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.Seedstream;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Completion;
import io.seedstream.model.Policy;
import io.seedstream.model.SamplingOptions;
import io.seedstream.model.Weights;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.scoring.GroupScore;
import io.seedstream.streams.scoring.GroupScorer;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.trainer.StepResult;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The built-in task end to end: a small warm start, offline evaluation, and a few SEED-GRPO updates over the broker. */
@ExtendWith(RealKafkaExtension.class)
class BuiltInTaskTest {

    private static final int HELD_OUT = 100;

    @TempDir
    static Path tmp;

    static Path warm;
    static List<OfflineEvaluation.Item> heldOut;
    static List<TaskProblem> train;

    @BeforeAll
    static void warmStart() {
        warm = tmp.resolve("warm");
        // a small budget: enough to leave random initialisation behind, far from the documented warm start
        int rc = new CommandLine(new Seedstream()).execute("task", "sft", "--out", warm.toString(), "--steps", "150",
                "--mix-steps", "20", "--examples", "5000", "--held-out", "0", "--seed", "1");
        assertThat(rc).isZero();
        train = ArithmeticTask.generate(5000, 1, 0);
        Set<String> seen = new HashSet<>();
        train.forEach(p -> seen.add(p.problem()));
        heldOut = TaskCommand.items(ArithmeticTask.heldOut(HELD_OUT, 1, seen));
    }

    static double accuracy(Path modelDir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(modelDir, m)) {
            return new OfflineEvaluation(p, new Grader(), 64, 50).greedy(heldOut, m, done -> { }).stream()
                    .filter(OfflineEvaluation.Result::correct).count() / (double) heldOut.size();
        }
    }

    @Test
    void warmStartRaisesHeldOutAccuracyAboveRandomInitialisation() throws Exception {
        Path init = tmp.resolve("init");
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TaskPolicy.CONFIG, 1, m)) {
            Checkpoints.save(init, TaskPolicy.CONFIG, w, TaskPolicy.tokenizerJson());
        }
        double before = accuracy(init);
        double after = accuracy(warm);
        assertThat(after).as("held-out pass@1 after the warm start (random init: %s)", before).isGreaterThan(before);
        assertThat(Files.readString(warm.resolve("warm-start.json"))).contains("\"steps\" : 150");
    }

    @Test
    void theWarmStartIsDeterministicForASeed() throws Exception {
        String[] shas = new String[2];
        for (int run = 0; run < 2; run++) {
            Path out = tmp.resolve("again-" + run);
            assertThat(new CommandLine(new Seedstream()).execute("task", "sft", "--out", out.toString(), "--steps", "15",
                    "--mix-steps", "5", "--examples", "500", "--held-out", "0", "--seed", "9")).isZero();
            shas[run] = Checkpoints.sha256(out.resolve("model.safetensors"));
        }
        assertThat(shas[1]).isEqualTo(shas[0]);
    }

    @Test
    void aCalcShareChangesTheTargetsAndNoShareLeavesTheWarmStartAsItWas() throws Exception {
        String[] shas = new String[3];
        String[][] extra = {{}, {"--calc-share", "0"}, {"--calc-share", "0.3"}};
        for (int run = 0; run < 3; run++) {
            Path out = tmp.resolve("calc-" + run);
            List<String> args = new java.util.ArrayList<>(List.of("task", "sft", "--out", out.toString(), "--steps", "15",
                    "--mix-steps", "5", "--examples", "500", "--held-out", "0", "--seed", "9"));
            args.addAll(List.of(extra[run]));
            assertThat(new CommandLine(new Seedstream()).execute(args.toArray(String[]::new))).isZero();
            shas[run] = Checkpoints.sha256(out.resolve("model.safetensors"));
        }
        assertThat(shas[1]).as("--calc-share 0 is the default warm start").isEqualTo(shas[0]);
        assertThat(shas[2]).as("calculator targets train other weights").isNotEqualTo(shas[0]);
        assertThat(Files.readString(tmp.resolve("calc-2").resolve("warm-start.json"))).contains("\"calc_share\" : 0.3");
    }

    @Test
    void evalCommandWritesOneLinePerProblem() throws Exception {
        Path data = tmp.resolve("problems.jsonl");
        Path out = tmp.resolve("results.jsonl");
        assertThat(new CommandLine(new Seedstream()).execute("task", "export", "--n", "12", "--seed", "5", "--out",
                data.toString())).isZero();
        assertThat(new CommandLine(new Seedstream()).execute("eval", "--model-dir", warm.toString(), "--data",
                data.toString(), "--limit", "10", "--out", out.toString())).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(10).allSatisfy(l -> assertThat(l).contains("\"id\":\"task-L").contains("\"correct\":"));
    }

    @Test
    void evalCommandSamplesSummarisesByLevelAndComparesPairedWithABaseline() throws Exception {
        Path data = tmp.resolve("held-out.jsonl");
        assertThat(new CommandLine(new Seedstream()).execute("task", "export", "--held-out", "--n", "8", "--seed", "0",
                "--out", data.toString())).isZero();
        Path first = tmp.resolve("first.jsonl");
        Path summary = tmp.resolve("summary.json");
        assertThat(new CommandLine(new Seedstream()).execute("eval", "--model-dir", warm.toString(), "--data",
                data.toString(), "--samples", "3", "--temperature", "1.0", "--out", first.toString(), "--summary",
                summary.toString())).isZero();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(first)) {
            lines.add(json.readTree(l));
        }
        assertThat(lines).hasSize(8).allSatisfy(n -> {
            assertThat(n.get("samples").asInt()).isEqualTo(3);
            assertThat(n.get("samples_correct").asInt()).isBetween(0, 3);
            assertThat(n.get("level").asInt()).isBetween(1, 4);
            assertThat(n.has("step_verified") && n.has("mode") && n.has("majority_correct")).isTrue();
        });
        JsonNode s = json.readTree(summary.toFile());
        JsonNode all = s.get("summaries").get(0);
        assertThat(all.get("group").asText()).isEqualTo("all");
        assertThat(all.get("problems").asInt()).isEqualTo(8);
        assertThat(all.get("k").asInt()).isEqualTo(3);
        double meanAtK = lines.stream().mapToDouble(n -> n.get("samples_correct").asInt() / 3.0).average().orElseThrow();
        assertThat(all.get("meanAtK").asDouble()).isCloseTo(meanAtK, within(1e-9));
        assertThat(all.get("passAtK").asDouble()).isGreaterThanOrEqualTo(all.get("meanAtK").asDouble());
        assertThat(s.get("summaries")).extracting(n -> n.get("group").asText()).containsExactly("all", "L1", "L2", "L3", "L4");

        // the same policy again, greedy only: the paired change from the first run is exactly zero
        Path again = tmp.resolve("again-summary.json");
        assertThat(new CommandLine(new Seedstream()).execute("eval", "--model-dir", warm.toString(), "--data",
                data.toString(), "--out", tmp.resolve("again.jsonl").toString(), "--summary", again.toString(),
                "--baseline", first.toString())).isZero();
        JsonNode change = json.readTree(again.toFile()).get("paired_change_from_baseline");
        assertThat(change.get("mean").asDouble()).isZero();
        assertThat(change.get("low").asDouble()).isZero();
        // made to work the problems out: every answer carries the label, and the change is paired all the same
        Path steps = tmp.resolve("steps.jsonl");
        assertThat(new CommandLine(new Seedstream()).execute("eval", "--model-dir", warm.toString(), "--data",
                data.toString(), "--answer-prefix", " Steps:", "--out", steps.toString(), "--baseline",
                first.toString())).isZero();
        for (String l : Files.readAllLines(steps)) {
            assertThat(json.readTree(l).get("mode").asText()).isEqualTo("steps");
            assertThat(json.readTree(l).get("completion").asText()).startsWith(" Steps:");
        }
    }

    /** Groups sampled by the policy and scored by the topology's scorer, as the topology would emit them. */
    private static List<ScoredGroup> scoredGroups(Path modelDir, List<TaskProblem> problems, int g) throws Exception {
        GroupScorer scorer = new GroupScorer(new Grader(), ScoringConfig.DEFAULT);
        List<ScoredGroup> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(modelDir, m)) {
            for (int k = 0; k < problems.size(); k++) {
                TaskProblem problem = problems.get(k);
                int[] prompt = p.tokenizer().encode(ArithmeticTask.prompt(problem.problem()));
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < g; i++) {
                    prompts.add(prompt);
                }
                List<Completion> cs = p.sampler().generate(prompts,
                        SamplingOptions.sample(1.0, 1.0, 0, 64, Set.of(TaskPolicy.END_ID), k), m, true);
                List<Answer> answers = new ArrayList<>();
                for (Completion c : cs) {
                    answers.add(Answer.newBuilder().setText(c.text()).setTokenIds(TokenArrays.ofInts(c.tokenIds()))
                            .setTokenLogprobs(TokenArrays.ofFloats(c.logprobs()))
                            .setFinishReason(c.finishedByStop() ? FinishReason.STOP : FinishReason.LENGTH).build());
                }
                AnswerGroup group = AnswerGroup.newBuilder().setRequestId("r" + k).setPromptId(problem.id())
                        .setPolicyVersion(0).setGeneratorId("offline").setGroupSize(g).setPromptTokenIds(TokenArrays.ofInts(prompt))
                        .setAnswers(answers).setCreatedAt(Instant.now()).build();
                GroupScore score = scorer.score(List.of(problem.answer()), GroupScorer.answersOf(group));
                out.add(score.toRecord(group, 0, k));
            }
        }
        return out;
    }

    @Test
    void aFewUpdatesOnOfflineBatchesThroughTheBrokerMoveTheLossWithoutCollapse(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("task-rl");
        AvroSerdes serdes = cluster.serdes();
        // groups whose advantages are all zero carry no gradient (the topology can filter them); keep the others
        List<ScoredGroup> groups = scoredGroups(warm, ArithmeticTask.generate(48, 7, 1), 8).stream()
                .filter(g -> g.getAdvantages().stream().anyMatch(a -> a != 0)).toList();
        int batches = 3;
        int perBatch = groups.size() / batches;
        assertThat(perBatch).as("groups with a learning signal among 48 easy problems").isPositive();
        try (KafkaProducer<String, TrainingBatch> producer = new KafkaProducer<>(c.kafkaProperties(),
                new StringSerializer(), serdes.value(Topics.TRAINING_BATCHES).serializer())) {
            for (int b = 0; b < batches; b++) {
                TrainingBatch batch = TrainingBatch.newBuilder().setBatchId("offline-" + b)
                        .setGroups(groups.subList(perBatch * b, perBatch * b + perBatch)).setNumTokens(0).setMinPolicyVersion(0)
                        .setMaxPolicyVersion(0).setCreatedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(c.topic(Topics.TRAINING_BATCHES), batch.getBatchId(), batch)).get();
            }
        }
        Map<String, Object> props = new HashMap<>();
        props.put(TrainerConfig.MODEL_DIR, warm.toString());
        props.put(TrainerConfig.CHECKPOINT_DIR, tmp.resolve("rl-checkpoints").toString());
        props.put(TrainerConfig.MAX_STEPS, (long) batches);
        props.put(TrainerConfig.STALENESS, batches); // all groups come from version 0
        props.put(TrainerConfig.LR, 1e-4);
        props.put(TrainerConfig.MAX_GEN_LENGTH, 64);
        StreamingTrainer trainer = new StreamingTrainer(c, TrainerConfig.from(props), serdes);
        List<StepResult> steps = new ArrayList<>();
        StreamingTrainer.Summary s = trainer.run((step, id, r, m) -> steps.add(r));
        assertThat(s.endStep()).isEqualTo(batches);
        assertThat(steps).hasSize(batches).allSatisfy(r -> {
            assertThat(r.gradNorm()).isPositive().isFinite();
            assertThat(r.loss()).isFinite();
        });
        assertThat(steps.stream().map(StepResult::loss).distinct().count()).isGreaterThan(1);
        Path latest = trainer.store().latest().orElseThrow().dir();
        assertThat(Checkpoints.sha256(latest.resolve("model.safetensors")))
                .isNotEqualTo(Checkpoints.sha256(warm.resolve("model.safetensors")));
        double before = accuracy(warm);
        double after = accuracy(latest);
        assertThat(after).as("held-out pass@1 after %d updates (before: %s)", batches, before)
                .isGreaterThanOrEqualTo(before - 0.1);
    }
}
