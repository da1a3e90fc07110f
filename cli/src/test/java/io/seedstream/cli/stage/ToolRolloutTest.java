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
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
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
import org.junit.jupiter.api.BeforeAll;
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

    @TempDir
    static Path shared;

    private static Path policy;

    @BeforeAll
    static void teachCalls() {
        policy = shared.resolve("calc-policy");
        // from the shipped policy, which already works problems out step by step: a few steps teach the calls
        assertThat(new CommandLine(new Seedstream()).execute("task", "sft", "--out", policy.toString(), "--from",
                io.seedstream.cli.local.UpCommandTest.SHIPPED.toString(), "--steps", "60", "--mix-steps", "0", "--examples", "500",
                "--held-out", "0", "--seed", "3", "--steps-share", "0", "--careful-share", "0", "--calc-share", "1"))
                .isZero();
    }

    @Test
    void aPolicyThatWritesCalculatorCallsGetsExactRepliesAppendedAndGoesOn(TestCluster cluster) throws Exception {
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
                requests.add(new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), "t" + i, request("r" + i, "t" + i)));
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
        int[] counts = checkCalls(groups.stream().map(ConsumerRecord::value).toList(), false);
        int calls = counts[0];
        int continued = counts[1];
        System.out.printf("ToolRolloutTest: %d groups, %d calculator calls, %d answers went on after a reply%n",
                groups.size(), calls, continued);
        assertThat(calls).as("the warm start writes calculator calls").isGreaterThan(0);
        assertThat(continued).as("sampling goes on after a reply").isGreaterThan(0);
        assertThat(generator.metrics().groups()).isEqualTo(problems.size());
    }

    /**
     * A generator in its own JVM is killed with SIGKILL while its call to the calculator is pending
     * (the calculator is a server here that takes a second and a half per call); the generator that
     * takes its partitions over answers every request exactly once, calling the tool again, and the
     * log holds no trace of the call the dead one made.
     */
    @Test
    void aGeneratorKilledWhileItsCallIsPendingLosesAndDuplicatesNothing(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        Calculator calculator = new Calculator();
        CountDownLatch firstCall = new CountDownLatch(1);
        AtomicInteger served = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/calc", exchange -> {
            JsonNode call = new ObjectMapper().readTree(exchange.getRequestBody());
            served.incrementAndGet();
            firstCall.countDown();
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] reply = calculator.call(call.get("arguments").asText(), Duration.ofSeconds(1)).text()
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/calc";

        ConnectionConfig c = cluster.isolatedConnection("tool-kill");
        AvroSerdes serdes = cluster.serdes();
        String group = c.topicPrefix() + "generators";
        Map<String, Object> settings = Map.of(GeneratorConfig.GROUP_ID, group, GeneratorConfig.SESSION_TIMEOUT_MS,
                6000L, GeneratorConfig.TRANSACTION_TIMEOUT_MS, 5000L, GeneratorConfig.MAX_BATCH_SEQUENCES, 32,
                GeneratorConfig.START_WAIT_MS, 5000L, GeneratorConfig.TOOLS, "calculator", GeneratorConfig.TOOLS_HTTP,
                "calculator=" + url, GeneratorConfig.TOOLS_TIMEOUT_MS, 20_000L);
        Path config = tmp.resolve("generator.properties");
        StringBuilder lines = new StringBuilder();
        settings.forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
        Files.writeString(config, lines);

        List<TaskProblem> problems = ArithmeticTask.generate(16, 12, 1);
        List<ProducerRecord<String, Object>> prompts = new ArrayList<>();
        List<ProducerRecord<String, Object>> requests = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            prompts.add(new ProducerRecord<>(c.topic(Topics.PROMPTS), "t" + i, problems.get(i).toPrompt("t" + i, "task")));
            requests.add(new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), "t" + i, request("r" + i, "t" + i)));
        }
        send(c, serdes, prompts);

        Path log = tmp.resolve("killme.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.seedstream.cli.Seedstream", "generate",
                "--bootstrap-servers", c.bootstrapServers(), "--registry-url", c.registryUrl(),
                "--topic-prefix", c.topicPrefix(), "--model-dir", policy.toString(), "--generator-id", "killme",
                "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Admin admin = cluster.admin()) {
            GeneratorKillTest.awaitMembers(admin, group, 1, child, log);
            send(c, serdes, requests);
            // the child is the only generator: the first call the server sees is its own
            assertThat(firstCall.await(180, TimeUnit.SECONDS)).as("the child generator called the tool; its log:%n%s",
                    Files.exists(log) ? Files.readString(log) : "").isTrue();
            child.destroyForcibly(); // SIGKILL while the server still holds the call
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            int callsBeforeTakeover = served.get();

            Map<String, Object> survivorSettings = new HashMap<>(settings);
            survivorSettings.put(GeneratorConfig.ID, "survivor");
            survivorSettings.put(GeneratorConfig.MODEL_DIR, policy.toString());
            RolloutGenerator survivor = new RolloutGenerator(c, GeneratorConfig.from(survivorSettings), serdes,
                    Device.cpu(), Clock.systemUTC());
            Future<RolloutGenerator.Summary> running = pool.submit(survivor::run);
            List<AnswerGroup> committed;
            try {
                committed = await(c, serdes, Topics.ROLLOUTS, "read_committed", problems.size(), Duration.ofSeconds(240),
                        Duration.ofSeconds(3)).stream().map(ConsumerRecord::value).toList();
            } finally {
                survivor.stop();
                running.get();
            }
            Map<String, Integer> perRequest = new HashMap<>();
            committed.forEach(g -> perRequest.merge(g.getRequestId(), 1, Integer::sum));
            assertThat(perRequest).hasSize(problems.size());
            assertThat(perRequest.values()).as("every request answered exactly once").allMatch(n -> n == 1);
            int logged = checkCalls(committed, true)[0];
            System.out.printf("ToolRolloutTest: killed after %d call(s) to the server; %d calls in the log, %d served "
                    + "in all%n", callsBeforeTakeover, logged, served.get());
            assertThat(logged).as("the survivor's answers call the tool").isGreaterThan(0);
            // every call in the log was served to the survivor; the dead generator's were served and are not in the log
            assertThat(served.get()).isGreaterThanOrEqualTo(logged + callsBeforeTakeover);
            assertThat(committed).as("nothing of the killed generator's open batch is read as committed")
                    .noneMatch(g -> g.getGeneratorId().equals("killme") && g.getAnswers().stream()
                            .anyMatch(a -> !a.getToolCalls().isEmpty()));
        } finally {
            child.destroyForcibly();
            pool.shutdownNow();
            server.stop(0);
        }
    }

    /**
     * The offline commands sample with the calculator as a generator does: {@code eval --tools}
     * appends the exact replies and counts the calls, without the flag nothing is called, and
     * {@code bench tools} compares the two on the same rows.
     */
    @Test
    void evalAndBenchToolsCallTheCalculatorAsAGeneratorDoes(@TempDir Path tmp) throws Exception {
        Path problems = tmp.resolve("problems.jsonl");
        io.seedstream.producers.task.TaskProblemsFile.write(problems, ArithmeticTask.generate(12, 13, 1));
        Path with = tmp.resolve("with.jsonl");
        Path without = tmp.resolve("without.jsonl");
        String line = io.seedstream.cli.CliRun.ok("eval", "--model-dir", policy.toString(), "--data", problems.toString(),
                "--max-new-tokens", "120", "--tools", "calculator", "--out", with.toString(), "--summary",
                tmp.resolve("summary.json").toString());
        assertThat(line).contains("tool use ");
        io.seedstream.cli.CliRun.ok("eval", "--model-dir", policy.toString(), "--data", problems.toString(),
                "--max-new-tokens", "120", "--out", without.toString());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> withTools = Files.readAllLines(with).stream().map(l -> readTree(json, l)).toList();
        List<JsonNode> plain = Files.readAllLines(without).stream().map(l -> readTree(json, l)).toList();
        assertThat(withTools).hasSize(12);
        int calls = withTools.stream().mapToInt(n -> n.get("tool_calls").asInt()).sum();
        assertThat(calls).as("the policy writes calls and eval answers them").isGreaterThan(0);
        Calculator calculator = new Calculator();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<calc>(.*?)</calc><result>(.*?)</result>")
                .matcher(withTools.stream().map(n -> n.get("completion").asText()).collect(
                        java.util.stream.Collectors.joining("\n")));
        int replies = 0;
        while (m.find()) {
            assertThat(m.group(2)).isEqualTo(calculator.call(m.group(1), Duration.ofSeconds(1)).text());
            replies++;
        }
        // a reply cut off by the budget does not read back whole
        assertThat(replies).as("calls whose reply is the calculator's").isPositive().isLessThanOrEqualTo(calls);
        assertThat(plain).allSatisfy(n -> assertThat(n.has("tool_calls")).isFalse());
        assertThat(json.readTree(tmp.resolve("summary.json").toFile()).get("tools").get("greedyCallsPerAnswer")
                .asDouble()).isEqualTo(calls / 12.0);

        Path bench = tmp.resolve("bench.json");
        io.seedstream.cli.CliRun.ok("bench", "tools", "--model-dir", policy.toString(), "--problems", "4",
                "--group-size", "4", "--passes", "1", "--max-new-tokens", "120", "--out", bench.toString());
        JsonNode b = json.readTree(bench.toFile());
        assertThat(b.get("calls_per_answer").asDouble()).isGreaterThan(0);
        assertThat(b.get("median_ratio").asDouble()).isPositive();
        assertThat(b.get("passes")).hasSize(2);
        assertThat(b.get("passes").get(0).get("calls").asInt()).as("the pass without tools calls nothing").isZero();
    }

    private static JsonNode readTree(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static RolloutRequest request(String id, String promptId) {
        return RolloutRequest.newBuilder().setRequestId(id).setPromptId(promptId).setGroupSize(4)
                .setSampling(SamplingParams.newBuilder().setTemperature(0.3).setTopP(1.0).setTopK(0)
                        .setMaxNewTokens(120).setSeed(null).build())
                .setMinPolicyVersion(0).setCreatedAt(Instant.now()).build();
    }

    /**
     * Checks every call of the groups' answers (the reply the calculator's exact text, its span in
     * the answer, its tokens not sampled) and returns the calls and the answers that went on after one.
     */
    private static int[] checkCalls(List<AnswerGroup> groups, boolean overHttp) {
        Calculator calculator = new Calculator();
        int calls = 0;
        int continued = 0;
        for (AnswerGroup g : groups) {
            for (Answer a : g.getAnswers()) {
                int[] ids = TokenArrays.ints(a.getTokenIds());
                float[] lps = TokenArrays.floats(a.getTokenLogprobs());
                int end = 0;
                for (ToolCall call : a.getToolCalls()) {
                    calls++;
                    // the reply is the calculator's, exactly, whatever the policy asked
                    ToolReply expected = calculator.call(call.getArguments(), Duration.ofSeconds(1));
                    assertThat(call.getReply()).isEqualTo("<result>" + expected.text() + "</result>");
                    // the server sends an error text with HTTP 200: for the generator that is a reply like any other
                    assertThat(call.getStatus()).isEqualTo(overHttp ? "ok" : expected.status().label());
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
        return new int[] {calls, continued};
    }
}
