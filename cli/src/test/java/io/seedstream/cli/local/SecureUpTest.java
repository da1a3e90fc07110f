package io.seedstream.cli.local;

import io.seedstream.cli.CliRun;
import io.seedstream.infra.broker.BrokerSecurity.Principal;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code seedstream up --secure} in its own JVM trains over SASL/SCRAM-SHA-512 on TLS,
 * each stage as its own principal under the ACLs; while it trains, clients without credentials,
 * with a wrong password, or with another component's permissions are refused, and afterwards no
 * record of theirs is in the log (read uncommitted, so not even an aborted one).
 */
class SecureUpTest {

    /** One refused attempt: who, what, and the exception the client got. */
    private record Attempt(String client, String action, Throwable refusal) {}

    @Test
    void thePipelineTrainsAsItsPrincipalsAndEveryOtherClientIsRefused(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path log = tmp.resolve("up.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.seedstream.cli.Seedstream", "up", "--secure",
                "--data-dir", data.toString(), "--broker-port", "0", "--controller-port", "0", "--registry-port", "0",
                "--dashboard-port", "0", "--prometheus-port", "-1", "--model-dir", UpCommandTest.SHIPPED.toString(),
                "--minutes", "4", "--batch-groups", "4", "--group-size", "4", "--eval-every", "0",
                "--task-problems", "100"));
        Process up = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path security = data.resolve("security");
            Path checkpoints = data.resolve("checkpoints");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.isDirectory(checkpoints.resolve("step-0000000002"))) {
                assertThat(up.isAlive()).as("up --secure running; its log:%n%s", read(log)).isTrue();
                assertThat(System.nanoTime()).as("version 2 within 3 minutes; the log:%n%s", read(log)).isLessThan(deadline);
                Thread.sleep(500);
            }
            Properties admin = load(security.resolve("admin.properties"));
            String bootstrap = admin.getProperty("bootstrap.servers");
            ConnectionConfig deployment = ConnectionConfig.from(admin);
            assertThat(read(log)).contains("SASL_SSL, SCRAM-SHA-512, ACLs");
            for (Principal p : Principal.values()) {
                assertThat(Files.getPosixFilePermissions(security.resolve(p.user() + ".properties")))
                        .as("only the owner reads a principal's password")
                        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            }
            for (String key : List.of("ca.p12", "broker.p12", "secrets.properties")) {
                assertThat(Files.getPosixFilePermissions(security.resolve(key))).as("only the owner reads " + key)
                        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            }

            Map<String, String> tlsOnly = new LinkedHashMap<>();
            tlsOnly.put("security.protocol", "SSL");
            tlsOnly.put("ssl.truststore.location", admin.getProperty("ssl.truststore.location"));
            tlsOnly.put("ssl.truststore.type", admin.getProperty("ssl.truststore.type"));
            tlsOnly.put("ssl.truststore.password", admin.getProperty("ssl.truststore.password"));
            Map<String, String> wrongPassword = new LinkedHashMap<>(toMap(load(security.resolve("generator.properties"))));
            wrongPassword.put("sasl.jaas.config", wrongPassword.get("sasl.jaas.config")
                    .replaceAll("password=\"[^\"]*\"", "password=\"not-the-password\""));
            Map<String, String> generator = toMap(load(security.resolve("generator.properties")));
            Map<String, String> trainer = toMap(load(security.resolve("trainer.properties")));

            List<Attempt> attempts = new ArrayList<>();
            attempts.add(write("no credentials (plaintext)", Map.of(), bootstrap, deployment, Topics.ROLLOUTS));
            attempts.add(write("no credentials (TLS, no SASL)", tlsOnly, bootstrap, deployment, Topics.ROLLOUTS));
            attempts.add(write("generator, wrong password", wrongPassword, bootstrap, deployment, Topics.ROLLOUTS));
            attempts.add(write("generator", generator, bootstrap, deployment, Topics.TRAINING_BATCHES));
            attempts.add(write("generator", generator, bootstrap, deployment, Topics.POLICY_VERSIONS));
            attempts.add(write("trainer", trainer, bootstrap, deployment, Topics.ROLLOUTS));
            attempts.add(readAttempt("generator", generator, bootstrap, deployment, Topics.TRAINING_BATCHES));
            attempts.add(readAttempt("trainer", trainer, bootstrap, deployment, Topics.ROLLOUT_REQUESTS));

            StringBuilder table = new StringBuilder("| client | attempt | refused with |\n|---|---|---|\n");
            for (Attempt a : attempts) {
                table.append("| ").append(a.client()).append(" | ").append(a.action()).append(" | ")
                        .append(a.refusal() == null ? "NOT REFUSED" : a.refusal().getClass().getSimpleName() + ": "
                                + firstLine(a.refusal().getMessage())).append(" |\n");
            }
            System.out.println("secure broker, refused clients:\n" + table);
            assertThat(attempts).as("every attempt refused:%n%s", table).allMatch(a -> a.refusal() != null);
            assertThat(attempts.get(2).refusal()).isInstanceOf(SaslAuthenticationException.class);
            for (Attempt a : attempts.subList(3, attempts.size())) {
                assertThat(a.refusal()).as(a.client() + " " + a.action()).isInstanceOf(TopicAuthorizationException.class);
            }

            // nothing of theirs reached the log; the stages' own records did (their principals may write there)
            Map<String, Integer> refusedKeys = new LinkedHashMap<>();
            Map<String, Integer> records = new LinkedHashMap<>();
            for (Topic<String, ?> t : List.of(Topics.ROLLOUTS, Topics.TRAINING_BATCHES, Topics.POLICY_VERSIONS)) {
                List<ConsumerRecord<String, byte[]>> all = readUncommitted(admin, deployment.topic(t));
                records.put(t.name(""), all.size());
                refusedKeys.put(t.name(""), (int) all.stream().filter(r -> r.key() != null
                        && r.key().startsWith("refused-")).count());
            }
            System.out.println("records in the log (read uncommitted): " + records + "; from refused clients: " + refusedKeys);
            assertThat(refusedKeys.values()).allMatch(n -> n == 0);
            assertThat(records.values()).as("the generator, topology and trainer wrote as their principals")
                    .allMatch(n -> n > 0);

            // docs/examples/sasl-scram.properties, filled with this stack's admin credentials, is a working client file
            Matcher jaas = Pattern.compile("username=\"([^\"]+)\" password=\"([^\"]+)\"")
                    .matcher(admin.getProperty("sasl.jaas.config"));
            assertThat(jaas.find()).isTrue();
            Matcher registry = Pattern.compile("registry (http\\S+),").matcher(read(log));
            assertThat(registry.find()).as("the registry's URL in up's log").isTrue();
            String filled = Files.readString(Path.of("..", "docs", "examples", "sasl-scram.properties"))
                    .replace("<broker host>:<port>", bootstrap).replace("<user>", jaas.group(1))
                    .replace("<password>", jaas.group(2))
                    .replace("<truststore path>", admin.getProperty("ssl.truststore.location"))
                    .replace("<truststore password>", admin.getProperty("ssl.truststore.password"))
                    .replace("<registry URL>", registry.group(1));
            Path template = tmp.resolve("sasl-scram.properties");
            Files.writeString(template, filled);
            CliRun topics = CliRun.of("topics", "create", "--config", template.toString());
            assertThat(topics.exitCode()).as("topics create with the filled template:%n%s", topics.out()).isZero();
            assertThat(topics.out()).contains("0 created, 11 existed");
        } finally {
            up.destroy();
            if (!up.waitFor(3, TimeUnit.MINUTES)) {
                up.destroyForcibly();
            }
        }
        // SIGTERM: the JVM reports 128 + 15 after up's own clean stop, whose summary line says it finished
        assertThat(up.exitValue()).as("up --secure stops cleanly; its log:%n%s", read(log)).isIn(0, 143);
        assertThat(read(log)).contains("seedstream up: versions 0 -> ");
    }

    private static Attempt write(String client, Map<String, String> security, String bootstrap, ConnectionConfig c,
            Topic<String, ?> topic) {
        Properties p = new Properties();
        p.putAll(security);
        p.put("bootstrap.servers", bootstrap);
        p.putAll(ConnectionConfig.PRODUCER_SAFETY);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        String action = "write " + topic.name("");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(c.topic(topic), "refused-" + client, new byte[] {0, 0, 0, 0, 1}))
                    .get(30, TimeUnit.SECONDS);
            return new Attempt(client, action, null);
        } catch (java.util.concurrent.ExecutionException e) {
            return new Attempt(client, action, e.getCause());
        } catch (Exception e) {
            return new Attempt(client, action, e);
        }
    }

    private static Attempt readAttempt(String client, Map<String, String> security, String bootstrap,
            ConnectionConfig c, Topic<String, ?> topic) {
        Properties p = new Properties();
        p.putAll(security);
        p.put("bootstrap.servers", bootstrap);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        String action = "read " + topic.name("");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(c.topic(topic), 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < until) {
                if (!consumer.poll(Duration.ofMillis(500)).isEmpty()) {
                    return new Attempt(client, action, null);
                }
            }
            return new Attempt(client, action, null);
        } catch (Exception e) {
            return new Attempt(client, action, e);
        }
    }

    private static List<ConsumerRecord<String, byte[]>> readUncommitted(Properties admin, String topic) {
        Properties p = new Properties();
        p.putAll(admin);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(15)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(15));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    private static Map<String, String> toMap(Properties p) {
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        m.remove("bootstrap.servers");
        return m;
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "(no log)";
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
