package io.seedstream.cli.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.BuiltInTask;
import io.seedstream.cli.DashboardView;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code seedstream up} in its own JVM, twice on one data directory: the first trains
 * (versions advance, generators sample with new versions, an evaluation round is graded, all
 * visible through the dashboard API while it runs) and the second resumes where the first stopped.
 */
public class UpCommandTest {

    public static final Path SHIPPED = Path.of("..").resolve(BuiltInTask.SHIPPED_POLICY).toAbsolutePath().normalize();
    private static final Pattern VERSIONS = Pattern.compile("versions (\\d+) -> (\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void upTrainsTheTaskPolicyAndASecondUpResumesAtTheSameVersion(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path config = tmp.resolve("up.properties");
        Files.writeString(config, String.join("\n",
                DispatcherConfig.HELD_OUT_SIZE + "=16",
                GeneratorConfig.METRICS_INTERVAL_MS + "=2000", ""));

        int port = freePort();
        int metricsPort = freePort();
        Process first = up(data, config, port, metricsPort, "2", tmp.resolve("first.log"));
        HttpClient http = HttpClient.newHttpClient();
        JsonNode versions = null;
        JsonNode eval = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(85);
        while (System.nanoTime() < deadline && first.isAlive()) {
            versions = get(http, port, "/api/versions");
            eval = get(http, port, "/api/eval");
            if (versions != null && eval != null && maxVersion(versions) >= 2 && eval.size() > 0) {
                break;
            }
            Thread.sleep(1000);
        }
        assertThat(first.isAlive()).as("up still running when its API showed versions and evaluations").isTrue();
        JsonNode trainer = get(http, port, "/api/trainer");
        String scraped = text(http, metricsPort, "/metrics");
        DashboardView page = DashboardView.open("http://127.0.0.1:" + port + "/", Path.of("target", "dashboard.png"));
        // the prompt the page lists first, as the API knows it (read after the page: the top list moves)
        JsonNode firstPrompt = get(http, port, "/api/prompts/" + URLEncoder.encode(page.firstPromptId(),
                StandardCharsets.UTF_8));
        String out1 = finish(first, tmp.resolve("first.log"));
        assertThat(versions).as("per-version state of the dashboard API").isNotNull();
        // groups sampled by a version the trainer announced: the generator loaded new weights
        assertThat(maxVersion(versions)).as("newest version with scored groups").isGreaterThanOrEqualTo(2);
        assertThat(eval).as("graded evaluation rounds").isNotNull().isNotEmpty();
        assertThat(eval.get(0).get("answered").asLong()).isPositive();
        Matcher m1 = VERSIONS.matcher(out1);
        assertThat(m1.find()).as("summary of the first run: %s", out1).isTrue();
        assertThat(m1.group(1)).isEqualTo("0");
        long reached = Long.parseLong(m1.group(2));
        assertThat(reached).isGreaterThanOrEqualTo(2);
        // the page in a real browser shows the run's values
        assertThat(trainer).isNotEmpty();
        long shownVersion = Long.parseLong(page.newestVersion());
        // the API was read just before the page, and versions only grow until the run stopped
        assertThat(shownVersion).isBetween(trainer.get(trainer.size() - 1).get("step").asLong(), reached);
        assertThat(page.pointsIn("chart-versions")).isGreaterThanOrEqualTo(2);
        assertThat(page.pointsIn("chart-eval")).isPositive();
        assertThat(page.pointsIn("chart-loss")).isPositive();
        // where sampling goes: the versions' pass rates, the wasted share, the dispatcher's selection reasons
        assertThat(page.pointsIn("chart-pass-heatmap")).isGreaterThanOrEqualTo(2);
        assertThat(page.wastedShare()).matches("\\d+\\.\\d% of \\d+ groups \\(last 5 versions: \\d+\\.\\d%\\)");
        assertThat(page.selectionReasons()).startsWith("epoch 100.0% of ").contains("0 groups replaced");
        assertThat(page.newestEval()).contains("task-heldout");
        assertThat(page.promptRows()).isPositive();
        assertThat(firstPrompt).as("the API's state of prompt %s", page.firstPromptId()).isNotNull();
        assertThat(firstPrompt.get("prompt_id").asText()).isEqualTo(page.firstPromptId());
        assertThat(firstPrompt.get("history")).isNotEmpty();
        assertThat(page.firstPromptMeanings()).isNotBlank();
        // consumer lag of the stages' groups: the generators' and the topology's (the trainer assigns
        // its partitions and keeps its position in its checkpoints: no group)
        assertThat(page.laggingGroups()).contains("seedstream-generators", "seedstream-scoring");
        assertThat(Path.of("target", "dashboard.png")).isNotEmptyFile();

        try (Stream<Path> cps = Files.list(data.resolve("checkpoints"))) {
            assertThat(cps.map(p -> p.getFileName().toString()).toList()).anyMatch(n -> n.endsWith(String.valueOf(reached)));
        }

        // every stage's meters on one /metrics: the trainer's, a generator's, the topology's, and Kafka's own
        // (consumer lag among them) through Micrometer's binders
        assertThat(scraped).contains("seedstream_trainer_steps_total{run=\"seedstream\"}")
                .contains("seedstream_generator_groups_total{generator=\"up-0\"}")
                .contains("seedstream_scoring_groups_scored_total").contains("kafka_consumer_fetch_manager_records_lag")
                .contains("kafka_stream_thread_");

        Process second = up(data, config, freePort(), freePort(), "0.75", tmp.resolve("second.log"));
        String out2 = finish(second, tmp.resolve("second.log"));
        Matcher m2 = VERSIONS.matcher(out2);
        assertThat(m2.find()).as("summary of the second run: %s", out2).isTrue();
        assertThat(Long.parseLong(m2.group(1))).as("the version the second run started from").isEqualTo(reached);
        assertThat(Long.parseLong(m2.group(2))).isGreaterThan(reached);
    }

    private static Process up(Path data, Path config, int dashboardPort, int metricsPort, String minutes, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.seedstream.cli.Seedstream", "up",
                "--data-dir", data.toString(), "--broker-port", "0", "--controller-port", "0", "--registry-port", "0",
                "--dashboard-port", String.valueOf(dashboardPort), "--prometheus-port", String.valueOf(metricsPort),
                "--model-dir", SHIPPED.toString(),
                "--minutes", minutes, "--batch-groups", "4", "--group-size", "4", "--eval-every", "2",
                "--task-problems", "200", "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(log.toFile());
        pb.environment().put("SEEDSTREAM_HOME", SHIPPED.getParent().getParent().toString());
        return pb.start();
    }

    private static String finish(Process p, Path log) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(4, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as("exit code of up; its log:%n%s", Files.readString(log)).isZero();
        return out;
    }

    private static JsonNode get(HttpClient http, int port, String path) {
        String body = text(http, port, path);
        try {
            return body == null ? null : JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** The body of a 200 answer, null otherwise (not up yet). */
    private static String text(HttpClient http, int port, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null; // not up yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static long maxVersion(JsonNode versions) {
        long max = -1;
        for (JsonNode v : versions) {
            max = Math.max(max, v.get("policy_version").asLong());
        }
        return max;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
