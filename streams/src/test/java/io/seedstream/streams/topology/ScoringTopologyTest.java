package io.seedstream.streams.topology;

import static io.seedstream.streams.topology.Groups.answer;
import static io.seedstream.streams.topology.Groups.equalLikelihood;
import static io.seedstream.streams.topology.Groups.group;
import static io.seedstream.streams.topology.Groups.prompt;
import static io.seedstream.streams.topology.Groups.withToolReply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.EvalResult;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.PromptState;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.ToolCall;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.scoring.ScoringConfig.Advantage;
import io.seedstream.streams.scoring.ScoringConfig.Clustering;
import io.seedstream.streams.scoring.ScoringConfig.Estimator;
import io.seedstream.streams.scoring.ScoringConfig.Modulation;
import io.seedstream.streams.topology.DashboardRecords.EvalTally;
import io.seedstream.streams.topology.DashboardRecords.PromptStats;
import io.seedstream.streams.topology.DashboardRecords.VersionStats;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The scoring topology under TopologyTestDriver, with the real schema registry for the wire
 * format. Given prompts and answer groups, when they flow through, then the batches carry
 * DESIGN.md's numbers, bad records become dead letters and the dashboard stores fill.
 */
@ExtendWith(RealKafkaExtension.class)
class ScoringTopologyTest {

    private static ConnectionConfig connection;
    private static AvroSerdes serdes;
    private TopologyTestDriver driver;
    private TestInputTopic<String, Prompt> prompts;
    private TestInputTopic<String, AnswerGroup> rollouts;
    private TestInputTopic<String, byte[]> rawRollouts;
    private TestInputTopic<String, EvalResult> evalResults;
    private TestInputTopic<String, PolicyVersion> versions;
    private TestOutputTopic<String, TrainingBatch> batches;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private TestOutputTopic<String, PromptState> promptStates;
    private ScoringMetrics metrics;

    @BeforeAll
    static void registry(TestCluster cluster) {
        connection = cluster.connection().withTopicPrefix("ttd.");
        serdes = AvroSerdes.connect(connection);
    }

    private void start(ScoringConfig scoring, TopologySettings settings) throws Exception {
        metrics = new ScoringMetrics();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "scoring-ttd");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("ttd").toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(ScoringTopology.build(connection, serdes, settings, scoring, new Grader(),
                metrics), p, Instant.ofEpochMilli(0));
        prompts = driver.createInputTopic(connection.topic(Topics.PROMPTS), Serdes.String().serializer(),
                serdes.value(Topics.PROMPTS).serializer());
        rollouts = driver.createInputTopic(connection.topic(Topics.ROLLOUTS), Serdes.String().serializer(),
                serdes.value(Topics.ROLLOUTS).serializer());
        rawRollouts = driver.createInputTopic(connection.topic(Topics.ROLLOUTS), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        evalResults = driver.createInputTopic(connection.topic(Topics.EVAL_RESULTS), Serdes.String().serializer(),
                serdes.value(Topics.EVAL_RESULTS).serializer());
        versions = driver.createInputTopic(connection.topic(Topics.POLICY_VERSIONS), Serdes.String().serializer(),
                serdes.value(Topics.POLICY_VERSIONS).serializer());
        batches = driver.createOutputTopic(connection.topic(Topics.TRAINING_BATCHES), Serdes.String().deserializer(),
                serdes.value(Topics.TRAINING_BATCHES).deserializer());
        deadLetters = driver.createOutputTopic(connection.topic(Topics.DEAD_LETTERS), Serdes.String().deserializer(),
                serdes.value(Topics.DEAD_LETTERS).deserializer());
        promptStates = driver.createOutputTopic(connection.topic(Topics.PROMPT_STATES), Serdes.String().deserializer(),
                serdes.value(Topics.PROMPT_STATES).deserializer());
    }

    /** One group per batch, closed at once: the tests of scoring need no ordering window. */
    private void start(ScoringConfig scoring) throws Exception {
        start(scoring, TopologySettings.defaults().withBatching(1, 1_000_000, Duration.ofSeconds(2))
                .withOrderWindow(Duration.ZERO));
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    /** Scores one group alone (batch.groups = 1) and returns it. */
    private ScoredGroup scoreOne(AnswerGroup g) {
        rollouts.pipeInput(g.getPromptId(), g);
        List<TrainingBatch> out = batches.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getGroups()).hasSize(1);
        return out.get(0).getGroups().get(0);
    }

    private static String[] repeat(String first, int n, String... rest) {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(first);
        }
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    @Test
    void designReferenceNumbersOfficialFormulas() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "3"));

        // Three answers "3", "3", and one with no final answer; l = -1, -2, -3.
        ScoredGroup a = scoreOne(group("r1", "p", 0, List.of(answer("\\boxed{3}", -1), answer("so \\boxed{3}", -2),
                answer("I am not sure", -3))));
        assertThat(a.getClusterIds()).containsExactly(0, 0, 1);
        assertThat(a.getClusterProbs().get(0)).isCloseTo(0.90997, within(1e-5));
        assertThat(a.getClusterProbs().get(1)).isCloseTo(0.09003, within(1e-5));
        assertThat(a.getSemanticEntropy()).isCloseTo(0.302609, within(1e-6));
        assertThat(a.getScale()).isCloseTo(0.988644, within(1e-6));
        assertThat(a.getRewards()).containsExactly(1.0, 1.0, 0.0);

        // G = 8, all answers distinct, equal l: SE = ln 8.
        ScoredGroup b = scoreOne(equalLikelihood("r2", "p", "\\boxed{1}", "\\boxed{2}", "\\boxed{3}", "\\boxed{4}",
                "\\boxed{5}", "\\boxed{6}", "\\boxed{7}", "\\boxed{8}"));
        assertThat(b.getSemanticEntropy()).isCloseTo(2.079442, within(1e-6));
        assertThat(b.getScale()).isCloseTo(0.959969, within(1e-6));

        // G = 8, seven identical and one different.
        ScoredGroup c = scoreOne(equalLikelihood("r3", "p", repeat("\\boxed{3}", 7, "\\boxed{4}")));
        assertThat(c.getSemanticEntropy()).isCloseTo(0.376770, within(1e-6));
        assertThat(c.getScale()).isCloseTo(0.992501, within(1e-6));

        // G = 8, a 4/4 split.
        ScoredGroup d = scoreOne(equalLikelihood("r4", "p", repeat("\\boxed{3}", 4, repeat("\\boxed{4}", 4))));
        assertThat(d.getSemanticEntropy()).isCloseTo(Math.log(2), within(1e-6));
        assertThat(d.getScale()).isCloseTo(0.986291, within(1e-6));
    }

    @Test
    void kuhnEstimatorUsesEquationFive() throws Exception {
        start(new ScoringConfig(Clustering.MATH, Estimator.KUHN, Advantage.DR_GRPO, Modulation.INVERSE, 0.0417, false));
        prompts.pipeInput("p", prompt("p", "3"));
        ScoredGroup c = scoreOne(equalLikelihood("r", "p", repeat("\\boxed{3}", 7, "\\boxed{4}")));
        assertThat(c.getSemanticEntropy()).isCloseTo(1.106486, within(1e-6));
    }

    @Test
    void countEstimatorIgnoresLikelihoods() throws Exception {
        start(new ScoringConfig(Clustering.MATH, Estimator.COUNT, Advantage.DR_GRPO, Modulation.INVERSE, 0.0417, false));
        prompts.pipeInput("p", prompt("p", "3"));
        ScoredGroup g = scoreOne(group("r", "p", 0, List.of(answer("\\boxed{3}", -0.1), answer("\\boxed{3}", -5),
                answer("\\boxed{3}", -9), answer("\\boxed{4}", -0.01))));
        assertThat(g.getClusterProbs()).containsExactly(0.75, 0.25);
        assertThat(g.getSemanticEntropy()).isCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), within(1e-9));
    }

    @Test
    void clusteringModesDifferOnTheSameAnswers() throws Exception {
        AnswerGroup g = equalLikelihood("r", "p", "\\boxed{\\dfrac{1}{2}}", "\\boxed{\\frac{1}{2}}", "\\boxed{0.5}");
        for (Object[] mode : new Object[][] {{Clustering.EXACT, List.of(0, 1, 2)}, {Clustering.NORMALIZED, List.of(0, 0, 1)},
                {Clustering.MATH, List.of(0, 0, 0)}}) {
            start(new ScoringConfig((Clustering) mode[0], Estimator.LIKELIHOOD, Advantage.DR_GRPO, Modulation.INVERSE,
                    0.0417, false));
            prompts.pipeInput("p", prompt("p", "1/2"));
            assertThat(scoreOne(g).getClusterIds()).as(mode[0].toString()).isEqualTo(mode[1]);
            driver.close();
            driver = null;
        }
    }

    @Test
    void advantagesDrGrpoGrpoRloo() throws Exception {
        AnswerGroup g = equalLikelihood("r", "p", "\\boxed{3}", "\\boxed{1}", "\\boxed{1}", "\\boxed{1}");
        double[][] expected = {
            {0.75, -0.25, -0.25, -0.25},
            {0.75 / (0.5 + 1e-6), -0.25 / (0.5 + 1e-6), -0.25 / (0.5 + 1e-6), -0.25 / (0.5 + 1e-6)},
            {1.0, -1.0 / 3, -1.0 / 3, -1.0 / 3}};
        Advantage[] kinds = {Advantage.DR_GRPO, Advantage.GRPO, Advantage.RLOO};
        for (int k = 0; k < kinds.length; k++) {
            start(new ScoringConfig(Clustering.MATH, Estimator.LIKELIHOOD, kinds[k], Modulation.NONE, 0.0417, false));
            prompts.pipeInput("p", prompt("p", "3"));
            ScoredGroup s = scoreOne(g);
            for (int i = 0; i < 4; i++) {
                assertThat(s.getAdvantages().get(i)).as("%s[%d]", kinds[k], i).isCloseTo(expected[k][i], within(1e-9));
                assertThat(s.getScaledAdvantages().get(i)).isCloseTo(expected[k][i], within(1e-9));
            }
            driver.close();
            driver = null;
        }
    }

    @Test
    void everyModulationFunction() throws Exception {
        // all distinct, G = 8: SE = ln 8 = SE_max, so x = alpha
        AnswerGroup g = equalLikelihood("r", "p", "\\boxed{3}", "\\boxed{2}", "\\boxed{4}", "\\boxed{5}", "\\boxed{6}",
                "\\boxed{7}", "\\boxed{8}", "\\boxed{9}");
        double alpha = 0.5;
        Map<Modulation, Double> expected = Map.of(Modulation.INVERSE, 1 / (1 + alpha), Modulation.LINEAR, 1 - alpha,
                Modulation.EXP, Math.exp(-alpha), Modulation.FOCAL, 0.0, Modulation.NONE, 1.0);
        for (var e : expected.entrySet()) {
            start(new ScoringConfig(Clustering.MATH, Estimator.LIKELIHOOD, Advantage.DR_GRPO, e.getKey(), alpha, false));
            prompts.pipeInput("p", prompt("p", "3"));
            ScoredGroup s = scoreOne(g);
            assertThat(s.getScale()).as(e.getKey().toString()).isCloseTo(e.getValue(), within(1e-9));
            assertThat(s.getScaledAdvantages().get(0)).isCloseTo(e.getValue() * s.getAdvantages().get(0), within(1e-12));
            driver.close();
            driver = null;
        }
    }

    @Test
    void truncatedAnswersGetZeroRewardButAreClustered() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "3"));
        ScoredGroup s = scoreOne(group("r", "p", 0, List.of(answer("\\boxed{3}", -1, 1, FinishReason.STOP),
                answer("\\boxed{3}", -1, 1, FinishReason.LENGTH))));
        assertThat(s.getRewards()).containsExactly(1.0, 0.0);
        assertThat(s.getClusterIds()).containsExactly(0, 0);
    }

    @Test
    void zeroAdvantageGroupsAreDroppedWhenAskedAndAlwaysCounted() throws Exception {
        start(new ScoringConfig(Clustering.MATH, Estimator.LIKELIHOOD, Advantage.DR_GRPO, Modulation.INVERSE, 0.0417, true));
        prompts.pipeInput("p", prompt("p", "3"));
        rollouts.pipeInput("p", equalLikelihood("r1", "p", "\\boxed{3}", "\\boxed{3}"));
        rollouts.pipeInput("p", equalLikelihood("r2", "p", "\\boxed{3}", "\\boxed{4}"));
        List<TrainingBatch> out = batches.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getGroups().get(0).getRollout().getRequestId()).isEqualTo("r2");
        assertThat(metrics.snapshot()).containsEntry("filtered_groups", 1L);
        // the prompt's state counts the drop the dispatcher replaces, and only that one
        assertThat(promptStates.readValuesToList()).extracting(PromptState::getDroppedVisits).containsExactly(1L, 1L);
        VersionStats v = (VersionStats) driver.getKeyValueStore(ScoringTopology.VERSION_STATS_STORE).get("0");
        assertThat(v.groups()).isEqualTo(2);
        assertThat(v.zeroAdvantageFraction()).isEqualTo(0.5);
    }

    @Test
    void batchesCloseOnGroupCountTokenBudgetAndLinger() throws Exception {
        start(ScoringConfig.DEFAULT, TopologySettings.defaults().withBatching(3, 10, Duration.ofSeconds(2))
                .withOrderWindow(Duration.ZERO));
        prompts.pipeInput("p", prompt("p", "3"));
        // 2 tokens per group (two answers of one token): 3 groups fill a batch
        for (int i = 0; i < 3; i++) {
            rollouts.pipeInput("p", equalLikelihood("a" + i, "p", "\\boxed{3}", "\\boxed{4}"));
        }
        List<TrainingBatch> full = batches.readValuesToList();
        assertThat(full).hasSize(1);
        assertThat(full.get(0).getGroups()).hasSize(3);
        assertThat(full.get(0).getNumTokens()).isEqualTo(6);

        // 8 tokens then 8 more: the budget of 10 closes the first before the second joins
        rollouts.pipeInput("p", group("b0", "p", 0, List.of(answer("\\boxed{3}", -1, 4, FinishReason.STOP),
                answer("\\boxed{4}", -1, 4, FinishReason.STOP))));
        rollouts.pipeInput("p", group("b1", "p", 0, List.of(answer("\\boxed{3}", -1, 4, FinishReason.STOP),
                answer("\\boxed{4}", -1, 4, FinishReason.STOP))));
        List<TrainingBatch> budget = batches.readValuesToList();
        assertThat(budget).hasSize(1);
        assertThat(budget.get(0).getNumTokens()).isEqualTo(8);

        // the second waits; the linger punctuator closes it
        driver.advanceWallClockTime(Duration.ofSeconds(3));
        List<TrainingBatch> lingered = batches.readValuesToList();
        assertThat(lingered).hasSize(1);
        assertThat(lingered.get(0).getGroups().get(0).getRollout().getRequestId()).isEqualTo("b1");
        assertThat(List.of(full.get(0).getBatchId(), budget.get(0).getBatchId(), lingered.get(0).getBatchId()))
                .doesNotHaveDuplicates();
    }

    @Test
    void aFullBatchTakesTheOldestVersionsFirstOnceNoGroupHasJoinedForTheWindow() throws Exception {
        start(ScoringConfig.DEFAULT, TopologySettings.defaults().withBatching(2, 1_000_000, Duration.ofSeconds(2))
                .withOrderWindow(Duration.ofMillis(250)));
        prompts.pipeInput("p", prompt("p", "3"));
        announce("run", 3, 3);
        List<Answer> mixed = List.of(answer("\\boxed{3}", -1, 1, FinishReason.STOP),
                answer("\\boxed{4}", -1, 1, FinishReason.STOP));
        // a newer group arrives first: in arrival order it would take the place of the older one
        rollouts.pipeInput("p", group("new-a", "p", 3, mixed));
        rollouts.pipeInput("p", group("new-b", "p", 3, mixed));
        driver.advanceWallClockTime(Duration.ofMillis(100));
        rollouts.pipeInput("p", group("old", "p", 1, mixed));
        assertThat(batches.isEmpty()).as("full, but a group joined within the window").isTrue();

        driver.advanceWallClockTime(Duration.ofMillis(300));
        List<TrainingBatch> ordered = batches.readValuesToList();
        assertThat(ordered).hasSize(1);
        assertThat(ordered.get(0).getGroups()).extracting(g -> g.getRollout().getRequestId())
                .containsExactly("old", "new-a");
        assertThat(ordered.get(0).getMinPolicyVersion()).isEqualTo(1);
        assertThat(ordered.get(0).getMaxPolicyVersion()).isEqualTo(3);

        // the rest is not full: the linger counts from the newest group that joined, not from the first
        driver.advanceWallClockTime(Duration.ofMillis(1_500));
        rollouts.pipeInput("p", group("late", "p", 3, List.of(answer("\\boxed{3}", -1, 1, FinishReason.STOP),
                answer("\\boxed{3}", -1, 1, FinishReason.STOP), answer("\\boxed{4}", -1, 1, FinishReason.STOP))));
        driver.advanceWallClockTime(Duration.ofMillis(300));
        List<TrainingBatch> second = batches.readValuesToList();
        assertThat(second).hasSize(1);
        assertThat(second.get(0).getGroups()).extracting(g -> g.getRollout().getRequestId())
                .containsExactly("new-b", "late");
        assertThat(List.of(ordered.get(0).getBatchId(), second.get(0).getBatchId())).doesNotHaveDuplicates();
    }

    @Test
    void aRestartedTaskHoldsFullBatchesUntilItsCatchUpPausesThenArrivalsThatNeverPauseCloseAfterEightWindows()
            throws Exception {
        start(ScoringConfig.DEFAULT, TopologySettings.defaults().withBatching(2, 1_000_000, Duration.ofSeconds(60))
                .withOrderWindow(Duration.ofMillis(250)));
        prompts.pipeInput("p", prompt("p", "3"));
        announce("run", 5, 5);
        List<Answer> mixed = List.of(answer("\\boxed{3}", -1, 1, FinishReason.STOP),
                answer("\\boxed{4}", -1, 1, FinishReason.STOP));
        // a backlog scored partition by partition: 3 s of newer groups without a pause, the oldest two last
        for (int i = 0; i < 30; i++) {
            rollouts.pipeInput("p", group("c" + i, "p", i < 28 ? 5 : 3, mixed));
            driver.advanceWallClockTime(Duration.ofMillis(100));
        }
        assertThat(batches.isEmpty()).as("15 full batches wait for the catch-up to pause").isTrue();
        driver.advanceWallClockTime(Duration.ofMillis(300));
        List<TrainingBatch> caughtUp = batches.readValuesToList();
        assertThat(caughtUp).hasSize(15);
        assertThat(caughtUp.get(0).getGroups()).extracting(g -> g.getRollout().getRequestId())
                .containsExactly("c28", "c29");

        // after the catch-up, a stream of arrivals that never pauses closes full batches after 8 windows (2 s)
        for (int i = 0; i < 25; i++) {
            rollouts.pipeInput("p", group("s" + i, "p", 5, mixed));
            driver.advanceWallClockTime(Duration.ofMillis(100));
        }
        assertThat(batches.readValuesToList()).as("closed while groups kept arriving").isNotEmpty();
    }

    @Test
    void aBatchThatIsNotFullClosesAfterTheLingerWithNoGroupJoining() throws Exception {
        start(ScoringConfig.DEFAULT, TopologySettings.defaults().withBatching(3, 1_000_000, Duration.ofSeconds(2)));
        prompts.pipeInput("p", prompt("p", "3"));
        rollouts.pipeInput("p", equalLikelihood("first", "p", "\\boxed{3}", "\\boxed{4}"));
        driver.advanceWallClockTime(Duration.ofMillis(1_500));
        rollouts.pipeInput("p", equalLikelihood("second", "p", "\\boxed{3}", "\\boxed{4}"));
        driver.advanceWallClockTime(Duration.ofMillis(1_500));
        assertThat(batches.isEmpty()).as("3 s after the first group, 1.5 s after the second").isTrue();
        driver.advanceWallClockTime(Duration.ofMillis(1_000));
        List<TrainingBatch> out = batches.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getGroups()).extracting(g -> g.getRollout().getRequestId())
                .containsExactly("first", "second");
    }

    @Test
    void aToolsReplyDoesNotCountInTheLikelihoodAndASpanThatDoesNotFitIsADeadLetter() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "16"));
        // the same answers, the first with a tool's reply (log-prob 0) in the middle of its model tokens
        rollouts.pipeInput("p", group("plain", "p", 0, List.of(answer("\\boxed{16}", -1, 4, FinishReason.STOP),
                answer("\\boxed{15}", -2, 4, FinishReason.STOP))));
        rollouts.pipeInput("p", group("tool", "p", 0, List.of(withToolReply("\\boxed{16}", -1, 2, 5, 2),
                answer("\\boxed{15}", -2, 4, FinishReason.STOP))));
        Answer fits = withToolReply("\\boxed{16}", -1, 2, 5, 2);
        Answer outside = Answer.newBuilder(fits).setToolCalls(List.of(ToolCall.newBuilder(fits.getToolCalls().get(0))
                .setReplyEnd(12).build())).build();
        rollouts.pipeInput("p", group("bad-span", "p", 0, List.of(outside,
                answer("\\boxed{15}", -2, 4, FinishReason.STOP))));

        List<TrainingBatch> out = batches.readValuesToList();
        assertThat(out).extracting(b -> b.getGroups().get(0).getRollout().getRequestId()).containsExactly("plain", "tool");
        ScoredGroup plain = out.get(0).getGroups().get(0);
        ScoredGroup tool = out.get(1).getGroups().get(0);
        assertThat(tool.getSemanticEntropy()).isEqualTo(plain.getSemanticEntropy());
        assertThat(tool.getClusterProbs()).isEqualTo(plain.getClusterProbs());
        assertThat(plain.getClusterProbs().get(0)).as("unequal likelihoods: a reply counted at log-prob 0 would move this")
                .isNotEqualTo(0.5);
        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getStage()).isEqualTo("validate");
            assertThat(d.getError()).contains("claims reply tokens [2, 12) of an answer of 9 tokens");
        });
        // the dashboard's per-version tool use: one answer of four called once
        VersionStats v0 = (VersionStats) driver.getKeyValueStore(ScoringTopology.VERSION_STATS_STORE).get("0");
        assertThat(List.of(v0.answers(), v0.toolAnswers(), v0.toolCalls(), v0.toolFailures())).containsExactly(4L, 1L, 1L,
                0L);
        var json = DashboardApi.version(v0);
        assertThat(json.get("tool_answer_share").asDouble()).isEqualTo(0.25);
        assertThat(json.get("tool_calls_per_answer").asDouble()).isEqualTo(0.25);
        assertThat(json.get("tool_failure_rate").asDouble()).isZero();
    }

    @Test
    void malformedRecordsBecomeDeadLettersAndTheRestFlows() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "3"));
        rawRollouts.pipeInput("p", new byte[] {9, 9, 9});
        AnswerGroup wrongSize = equalLikelihood("size", "p", "\\boxed{3}", "\\boxed{3}");
        wrongSize.setGroupSize(8);
        rollouts.pipeInput("p", wrongSize);
        AnswerGroup nan = group("nan", "p", 0, List.of(answer("\\boxed{3}", Double.NaN), answer("\\boxed{3}", -1)));
        rollouts.pipeInput("p", nan);
        rollouts.pipeInput("p", equalLikelihood("ok", "p", "\\boxed{3}", "\\boxed{4}"));

        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).extracting(DeadLetter::getStage).containsExactly("decode", "validate", "validate");
        assertThat(dead.get(0).getError()).contains("magic byte");
        assertThat(dead.get(1).getError()).contains("group_size is 8");
        assertThat(dead.get(2).getError()).contains("NaN");
        assertThat(dead.get(0).getRawValue().array()).containsExactly(9, 9, 9);
        assertThat(batches.readValuesToList()).hasSize(1);
    }

    @Test
    void aGroupWaitsForALatePromptThenGivesUp() throws Exception {
        start(ScoringConfig.DEFAULT, TopologySettings.defaults().withBatching(1, 1_000_000, Duration.ofSeconds(2))
                .withPromptWait(Duration.ofSeconds(10)).withOrderWindow(Duration.ZERO));
        rollouts.pipeInput("late", equalLikelihood("r1", "late", "\\boxed{3}", "\\boxed{4}"));
        rollouts.pipeInput("never", equalLikelihood("r2", "never", "\\boxed{3}", "\\boxed{4}"));
        assertThat(batches.isEmpty()).isTrue();
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        prompts.pipeInput("late", prompt("late", "3"));
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        List<TrainingBatch> out = batches.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getGroups().get(0).getRollout().getRequestId()).isEqualTo("r1");
        assertThat(deadLetters.isEmpty()).isTrue();
        driver.advanceWallClockTime(Duration.ofSeconds(10));
        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getStage()).isEqualTo("join-prompt");
            assertThat(d.getError()).contains("'never'");
        });
    }

    @Test
    void aGroupClaimingAVersionNobodyAnnouncedWaitsThenIsDeadLetteredAndLeavesTheVersionsAlone() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "3"));
        announce("run", 2, 3);
        // announced as plausible but impossible: version 10^12 after 3 consumed offsets is skipped
        announce("run", 1_000_000_000_000L, 3);
        List<Answer> answers = List.of(answer("\\boxed{3}", -1), answer("\\boxed{4}", -1));
        rollouts.pipeInput("p", group("forged", "p", 1_000_000_000_000L, answers));
        rollouts.pipeInput("p", group("ok", "p", 2, answers));
        assertThat(batches.readValuesToList()).extracting(b -> b.getGroups().get(0).getRollout().getRequestId())
                .containsExactly("ok");
        assertThat(deadLetters.isEmpty()).as("it waits for its announcement first").isTrue();

        // the version's announcement never comes: after prompt.wait.ms the group is a dead letter
        driver.advanceWallClockTime(TopologySettings.defaults().promptWait().plusSeconds(1));
        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getStage()).isEqualTo("validate");
        assertThat(dead.get(0).getError()).contains("policy version 1000000000000 is ahead of the newest announced "
                + "version 2");
        assertThat(batches.isEmpty()).isTrue();
        var stats = driver.getKeyValueStore(ScoringTopology.VERSION_STATS_STORE);
        assertThat(stats.get("1000000000000")).isNull();
        assertThat(stats.get("2")).isNotNull();

        // a group that arrives before its version's announcement waits for it, then is scored
        rollouts.pipeInput("p", group("early", "p", 3, answers));
        announce("run", 3, 5);
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(batches.readValuesToList()).extracting(b -> b.getGroups().get(0).getRollout().getRequestId())
                .containsExactly("early");
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    /** The trainer's announcement of a version after {@code consumed} training-batches offsets. */
    private void announce(String run, long version, long consumed) {
        versions.pipeInput(run, PolicyVersion.newBuilder().setRunId(run).setVersion(version)
                .setCheckpointUri("file:///c/step-" + version).setSha256("00").setTrainerStep(version)
                .setConsumedOffsets(List.of(new TopicPartitionOffset(connection.topic(Topics.TRAINING_BATCHES), 0,
                        consumed))).setCreatedAt(Instant.ofEpochMilli(0)).build());
    }

    @Test
    void dashboardStoresTrackPromptsVersionsAndEvaluations() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "3"));
        prompts.pipeInput("q", prompt("q", "\\frac{1}{2}"));
        announce("run", 1, 2);
        rollouts.pipeInput("p", equalLikelihood("r1", "p", "\\boxed{3}", "\\boxed{4}"));
        rollouts.pipeInput("p", group("r2", "p", 1, List.of(answer("\\boxed{3}", -1), answer("\\boxed{3}", -1))));
        rollouts.pipeInput("q", group("r3", "q", 1, List.of(answer("\\boxed{0.5}", -1), answer("\\boxed{2}", -1))));

        PromptStats p = (PromptStats) driver.getKeyValueStore(ScoringTopology.PROMPT_UNCERTAINTY_STORE).get("p");
        assertThat(p.visits()).isEqualTo(2);
        assertThat(p.latestEntropy()).isZero();
        assertThat(p.latestClusters()).isEqualTo(1);
        assertThat(p.passRate()).isEqualTo(0.75);
        assertThat(p.lastPolicyVersion()).isEqualTo(1);
        assertThat(p.zeroAdvantageVisits()).isEqualTo(1);

        // each scored group publishes its prompt's new state, keyed by prompt id
        List<KeyValue<String, PromptState>> states = promptStates.readKeyValuesToList();
        assertThat(states).extracting(kv -> kv.key).containsExactly("p", "p", "q");
        PromptState first = states.get(0).value;
        assertThat(first.getVisits()).isEqualTo(1);
        assertThat(first.getRecentPassRate()).isEqualTo(0.5);
        assertThat(first.getLastClusters()).isEqualTo(2);
        assertThat(first.getZeroAdvantageStreak()).isZero();
        PromptState second = states.get(1).value;
        assertThat(second.getVisits()).isEqualTo(2);
        assertThat(second.getRecentVisits()).isEqualTo(2);
        assertThat(second.getRecentPassRate()).isEqualTo(0.75);
        assertThat(second.getPassRateEwma()).isCloseTo(0.3 * 1.0 + 0.7 * 0.5, within(1e-12));
        assertThat(second.getLastSemanticEntropy()).isZero();
        assertThat(second.getRecentSemanticEntropy()).isCloseTo(Math.log(2) / 2, within(1e-9));
        assertThat(second.getLastPolicyVersion()).isEqualTo(1);
        assertThat(second.getZeroAdvantageVisits()).isEqualTo(1);
        assertThat(second.getZeroAdvantageStreak()).isEqualTo(1);
        assertThat(second.getDroppedVisits()).as("the filter is off: nothing was dropped").isZero();
        assertThat(states.get(2).value.getRecentPassRate()).isEqualTo(0.5);

        VersionStats v1 = (VersionStats) driver.getKeyValueStore(ScoringTopology.VERSION_STATS_STORE).get("1");
        assertThat(v1.groups()).isEqualTo(2);
        assertThat(v1.accuracy()).isEqualTo(0.75);
        assertThat(v1.meanEntropy()).isCloseTo(Math.log(2) / 2, within(1e-9));
        assertThat(v1.zeroAdvantageFraction()).isEqualTo(0.5);
        assertThat(v1.entropyHistogram()[0] + v1.entropyHistogram()[9]).isEqualTo(2);

        evalResults.pipeInput("p", eval("p", "aime24", 1, "\\boxed{3}"));
        evalResults.pipeInput("q", eval("q", "aime24", 1, "it is \\boxed{0.4}"));
        evalResults.pipeInput("x", eval("x", "aime24", 1, "\\boxed{3}"));
        EvalTally t = (EvalTally) driver.getKeyValueStore(ScoringTopology.EVAL_ACCURACY_STORE).get("aime24@1");
        assertThat(t.answered()).isEqualTo(2);
        assertThat(t.accuracy()).isEqualTo(0.5);
        assertThat(deadLetters.readValuesToList()).extracting(DeadLetter::getStage).containsExactly("join-prompt-eval");
        assertThat(t.outcomes()).containsOnlyKeys("p", "q");
        assertThat(t.outcomes().get("p").correct()).isTrue();

        // a later round on the same problems: right with a false step (a lucky guess), and right with true steps
        evalResults.pipeInput("p", eval("p", "aime24", 3, "Steps: 1+1=3. \\boxed{3}"));
        evalResults.pipeInput("q", eval("q", "aime24", 3, "Steps: 1/4+1/4=1/2. \\boxed{1/2}"));
        EvalTally later = (EvalTally) driver.getKeyValueStore(ScoringTopology.EVAL_ACCURACY_STORE).get("aime24@3");
        assertThat(later.accuracy()).isEqualTo(1.0);
        EvalSummary all = later.summaries().get(0);
        assertThat(all.stepVerifiedPassAt1()).isEqualTo(0.5);
        assertThat(all.modeShares()).containsEntry("steps", 1.0);
        ObjectNode shown = DashboardApi.eval(later, t);
        assertThat(shown.get("step_verified").asDouble()).isEqualTo(0.5);
        assertThat(shown.get("change").get("since_version").asLong()).isEqualTo(1);
        assertThat(shown.get("change").get("mean").asDouble()).isEqualTo(0.5); // q went from wrong to right
        assertThat(shown.has("mean_at_k")).as("no samples in this round").isFalse();
    }

    /**
     * A round that drew samples: each problem's samples come in a result of their own, before or
     * after its greedy answer; mean@k, pass@k and majority-of-k appear once every problem has them,
     * and the greedy counts never include them.
     */
    @Test
    void sampledEvaluationAnswersGiveMeanPassAndMajorityAtK() throws Exception {
        start(ScoringConfig.DEFAULT);
        prompts.pipeInput("p", prompt("p", "3"));
        prompts.pipeInput("q", prompt("q", "\\frac{1}{2}"));
        evalResults.pipeInput("p", sampled("p", 2, "Steps: 1+2=3. \\boxed{3}", "\\boxed{4}", "\\boxed{3.0}", "\\boxed{4}"));
        evalResults.pipeInput("p", eval("p", "task-heldout", 2, "\\boxed{3}"));
        evalResults.pipeInput("q", eval("q", "task-heldout", 2, "\\boxed{2}"));
        EvalTally partial = (EvalTally) driver.getKeyValueStore(ScoringTopology.EVAL_ACCURACY_STORE).get("task-heldout@2");
        assertThat(partial.answered()).isEqualTo(2);
        assertThat(partial.summaries().get(0).k()).as("q's samples have not come").isZero();
        assertThat(DashboardApi.eval(partial, partial).has("mean_at_k")).isFalse();

        evalResults.pipeInput("q", sampled("q", 2, "\\boxed{0.5}", "\\boxed{2}", "\\boxed{2}", "\\boxed{1/2}"));
        EvalTally t = (EvalTally) driver.getKeyValueStore(ScoringTopology.EVAL_ACCURACY_STORE).get("task-heldout@2");
        assertThat(t.answered()).isEqualTo(2);
        assertThat(t.correct()).isEqualTo(1);
        EvalSummary all = t.summaries().get(0);
        assertThat(all.k()).isEqualTo(4);
        assertThat(all.meanAtK()).isEqualTo(0.5); // p: 2 of 4 right (3 and 3.0), q: 2 of 4 (0.5 and 1/2)
        assertThat(all.passAtK()).isEqualTo(1.0);
        // majority by meaning: p ties 3 against 4 (2-2), q ties 1/2 against 2 (2-2); MajorityVote breaks ties
        assertThat(all.majorityAtK()).isBetween(0.0, 1.0);
        assertThat(all.sampleModeShares()).containsEntry("steps", 1.0 / 8);
        ObjectNode shown = DashboardApi.eval(t, t);
        assertThat(shown.get("k").asInt()).isEqualTo(4);
        assertThat(shown.get("mean_at_k").asDouble()).isEqualTo(0.5);
        assertThat(shown.get("pass_at_k").asDouble()).isEqualTo(1.0);
    }

    private static EvalResult sampled(String promptId, long version, String... texts) {
        return EvalResult.newBuilder(eval(promptId, "task-heldout", version, "")).setRequestId("s-" + promptId)
                .setSampledTexts(List.of(texts)).build();
    }

    private static EvalResult eval(String promptId, String benchmark, long version, String text) {
        return EvalResult.newBuilder().setRequestId("e-" + promptId).setPromptId(promptId).setBenchmark(benchmark)
                .setPolicyVersion(version).setGeneratorId("g").setText(text).setFinishReason(FinishReason.STOP)
                .setCreatedAt(Instant.ofEpochMilli(1)).build();
    }
}
