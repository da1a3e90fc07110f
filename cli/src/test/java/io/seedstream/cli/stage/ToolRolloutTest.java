package io.seedstream.cli.stage;

import static io.seedstream.infra.harness.TestTopics.await;
import static io.seedstream.infra.harness.TestTopics.send;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.seedstream.cli.Seedstream;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.producers.tools.Calculator;
import io.seedstream.producers.tools.ToolReply;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.avro.ToolCall;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 26 end to end through a generator on the broker: a task policy warm-started on `Calc:`
 * targets writes calculator calls, the generator stops at each {@code </calc>}, appends the
 * calculator's exact reply and goes on, and the group records each call with its reply's span.
 */
@ExtendWith(RealKafkaExtension.class)
class ToolRolloutTest {

    @Test
    void aPolicyThatWritesCalculatorCallsGetsExactRepliesAppendedAndGoesOn(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        Path policy = tmp.resolve("calc-policy");
        // from the shipped policy, which already works problems out step by step: a few steps teach the calls
        assertThat(new CommandLine(new Seedstream()).execute("task", "sft", "--out", policy.toString(), "--from",
                io.seedstream.cli.local.UpCommandTest.SHIPPED.toString(), "--steps", "60", "--mix-steps", "0", "--examples", "500",
                "--held-out", "0", "--seed", "3", "--steps-share", "0", "--careful-share", "0", "--calc-share", "1"))
                .isZero();

        ConnectionConfig c = cluster.isolatedConnection("tools");
        AvroSerdes serdes = cluster.serdes();
        List<ProducerRecord<String, Object>> records = new ArrayList<>();
        List<TaskProblem> problems = ArithmeticTask.generate(8, 11, 1);
        for (int i = 0; i < problems.size(); i++) {
            records.add(new ProducerRecord<>(c.topic(Topics.PROMPTS), "t" + i, problems.get(i).toPrompt("t" + i, "task")));
        }
        send(c, serdes, records);
        GeneratorConfig config = GeneratorConfig.from(Map.of(GeneratorConfig.ID, "tools-0",
                GeneratorConfig.GROUP_ID, c.topicPrefix() + "generators", GeneratorConfig.MODEL_DIR, policy.toString(),
                GeneratorConfig.MAX_BATCH_SEQUENCES, 32, GeneratorConfig.START_WAIT_MS, 5000L,
                GeneratorConfig.TOOLS, "calculator"));
        RolloutGenerator generator = new RolloutGenerator(c, config, serdes, Device.cpu(), Clock.systemUTC());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<RolloutGenerator.Summary> run = pool.submit(generator::run);
        List<ConsumerRecord<String, AnswerGroup>> groups;
        try {
            List<ProducerRecord<String, Object>> requests = new ArrayList<>();
            for (int i = 0; i < problems.size(); i++) {
                RolloutRequest r = RolloutRequest.newBuilder().setRequestId("r" + i).setPromptId("t" + i).setGroupSize(4)
                        .setSampling(SamplingParams.newBuilder().setTemperature(0.3).setTopP(1.0).setTopK(0)
                                .setMaxNewTokens(120).setSeed(null).build())
                        .setMinPolicyVersion(0).setCreatedAt(Instant.now()).build();
                requests.add(new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), "t" + i, r));
            }
            send(c, serdes, requests);
            groups = await(c, serdes, Topics.ROLLOUTS, "read_committed", problems.size(), Duration.ofSeconds(180),
                    Duration.ofSeconds(2));
        } finally {
            generator.stop();
            run.get();
            pool.shutdown();
        }

        assertThat(groups).hasSize(problems.size());
        Calculator calculator = new Calculator();
        int calls = 0;
        int continued = 0;
        for (ConsumerRecord<String, AnswerGroup> g : groups) {
            for (Answer a : g.value().getAnswers()) {
                int[] ids = TokenArrays.ints(a.getTokenIds());
                float[] lps = TokenArrays.floats(a.getTokenLogprobs());
                int end = 0;
                for (ToolCall call : a.getToolCalls()) {
                    calls++;
                    // the reply is the calculator's, exactly, whatever the policy asked
                    ToolReply expected = calculator.call(call.getArguments(), Duration.ofSeconds(1));
                    assertThat(call.getReply()).isEqualTo("<result>" + expected.text() + "</result>");
                    assertThat(call.getStatus()).isEqualTo(expected.status().label());
                    assertThat(call.getReplyStart()).isGreaterThanOrEqualTo(end);
                    assertThat(call.getReplyEnd()).isGreaterThan(call.getReplyStart()).isLessThanOrEqualTo(ids.length);
                    for (int t = call.getReplyStart(); t < call.getReplyEnd(); t++) {
                        assertThat(lps[t]).as("a reply's token is not sampled").isZero();
                    }
                    end = call.getReplyEnd();
                    assertThat(a.getText()).contains("<calc>" + call.getArguments() + "</calc>" + call.getReply());
                }
                continued += !a.getToolCalls().isEmpty() && end < ids.length ? 1 : 0;
            }
        }
        System.out.printf("ToolRolloutTest: %d groups, %d calculator calls, %d answers went on after a reply%n",
                groups.size(), calls, continued);
        assertThat(calls).as("the warm start writes calculator calls").isGreaterThan(0);
        assertThat(continued).as("sampling goes on after a reply").isGreaterThan(0);
        assertThat(generator.metrics().groups()).isEqualTo(problems.size());
    }
}
