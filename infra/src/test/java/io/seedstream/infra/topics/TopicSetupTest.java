package io.seedstream.infra.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealKafkaExtension.class)
class TopicSetupTest {

    @Test
    void createsEveryTopicWithItsConfigurationIdempotently(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.connection().withTopicPrefix(cluster.newPrefix());
        try (Admin admin = cluster.admin()) {
            TopicSetup setup = new TopicSetup(admin, Duration.ofSeconds(30));
            List<TopicSetup.Result> first = setup.ensureAll(c);
            assertThat(first).hasSize(Topics.RECORD_TOPICS.size())
                    .allMatch(r -> r.outcome() == TopicSetup.Outcome.CREATED);
            List<TopicSetup.Result> second = setup.ensureAll(c);
            assertThat(second).allMatch(r -> r.outcome() == TopicSetup.Outcome.EXISTS);

            ConfigResource prompts = new ConfigResource(ConfigResource.Type.TOPIC, c.topic(Topics.PROMPTS));
            ConfigResource rollouts = new ConfigResource(ConfigResource.Type.TOPIC, c.topic(Topics.ROLLOUTS));
            ConfigResource batches = new ConfigResource(ConfigResource.Type.TOPIC, c.topic(Topics.TRAINING_BATCHES));
            var configs = admin.describeConfigs(Set.of(prompts, rollouts, batches)).all().get();
            Config p = configs.get(prompts);
            Config r = configs.get(rollouts);
            // the replayable log: 7 days, 96 GiB per topic
            for (Config replayable : List.of(r, configs.get(batches))) {
                assertThat(replayable.get("retention.ms").value()).isEqualTo(Topics.RETENTION_MS);
            }
            assertThat(Long.parseLong(r.get("retention.bytes").value()) * Topics.ROLLOUTS.partitions())
                    .isEqualTo(96L << 30);
            assertThat(configs.get(batches).get("retention.bytes").value()).isEqualTo(String.valueOf(96L << 30));
            assertThat(p.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(r.get("compression.type").value()).isEqualTo("zstd");
            assertThat(r.get("max.message.bytes").value()).isEqualTo(String.valueOf(Topics.LARGE_MESSAGE_BYTES));
            assertThat(second).filteredOn(x -> x.name().equals(c.topic(Topics.ROLLOUTS)))
                    .singleElement().extracting(TopicSetup.Result::partitions).isEqualTo(Topics.ROLLOUTS.partitions());

            // a managed cluster's cap (topic.max.message.bytes): set on existing topics too, and only on the large ones
            ConnectionConfig capped = ConnectionConfig.from(java.util.Map.of(ConnectionConfig.BOOTSTRAP_SERVERS,
                    c.bootstrapServers(), ConnectionConfig.SCHEMA_REGISTRY_URL, c.registryUrl(),
                    ConnectionConfig.TOPIC_PREFIX, c.topicPrefix(), ConnectionConfig.MAX_MESSAGE_BYTES, 8 << 20));
            setup.ensureAll(capped);
            var after = admin.describeConfigs(Set.of(prompts, rollouts, batches)).all().get();
            assertThat(after.get(rollouts).get("max.message.bytes").value()).isEqualTo(String.valueOf(8 << 20));
            assertThat(after.get(batches).get("max.message.bytes").value()).isEqualTo(String.valueOf(8 << 20));
            assertThat(after.get(prompts).get("max.message.bytes").value()).isNotEqualTo(String.valueOf(8 << 20));
        }
    }
}
