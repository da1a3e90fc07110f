package io.seedstream.cli;

import io.seedstream.producers.prompts.PromptLoader;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * A prompts file into a deployment's {@code prompts} topic, as {@code prompts load}, {@code up} and
 * {@code experiment} load it: with a progress bar, each bad line reported and dead-lettered.
 */
public final class PromptFiles {

    private PromptFiles() {}

    /** The prompt loader's producer: it writes to topics that may have just been created. */
    public static Properties producerProperties(ConnectionConfig c) {
        Properties p = c.producerProperties("seedstream-prompts-load");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        return p;
    }

    /** Loads the file (under {@code dataset}, or the file's name when null); the exit code, 0 when anything loaded. */
    public static int load(ConnectionConfig c, Path file, String dataset) throws InterruptedException, java.io.IOException {
        if (!Files.isReadable(file)) {
            System.err.println("seedstream prompts load: cannot read " + file);
            return 2;
        }
        // fail in seconds, not one metadata timeout per line, when the cluster is not there
        try (org.apache.kafka.clients.admin.Admin admin =
                org.apache.kafka.clients.admin.Admin.create(c.kafkaProperties())) {
            admin.describeCluster().nodes().get(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            System.err.println("seedstream prompts load: cannot reach Kafka at " + c.bootstrapServers() + ": " + e);
            return 1;
        }
        AvroSerdes serdes = AvroSerdes.connect(c);
        Properties p = producerProperties(c);
        String name = dataset != null ? dataset : PromptLoader.datasetOf(file);
        PromptLoader.Summary summary;
        try (KafkaProducer<String, Prompt> prompts = new KafkaProducer<>(p, serdes.key().serializer(),
                serdes.value(Topics.PROMPTS).serializer());
                KafkaProducer<String, DeadLetter> dead = new KafkaProducer<>(p, serdes.key().serializer(),
                        serdes.value(Topics.DEAD_LETTERS).serializer());
                ProgressBar bar = ProgressBar.onStderr("loading " + file.getFileName())) {
            summary = new PromptLoader(prompts, c.topic(Topics.PROMPTS), dead, c.topic(Topics.DEAD_LETTERS),
                    Clock.systemUTC()).load(file, name, bar::update);
        }
        for (PromptLoader.LineError e : summary.errors()) {
            System.err.printf("%s:%d: %s%n", file, e.line(), e.reason());
        }
        System.out.printf("seedstream prompts load: %s from %s into %s (dataset %s)%n",
                summary.describe(), file, c.topic(Topics.PROMPTS), name);
        return summary.loaded() > 0 ? 0 : 1;
    }
}
