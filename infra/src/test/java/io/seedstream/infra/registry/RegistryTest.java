package io.seedstream.infra.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.registry.Compatibility;
import io.seedstream.schemas.registry.RegistryException;
import io.seedstream.schemas.registry.RestSchemaRegistryClient;
import io.seedstream.schemas.serde.AvroDeserializer;
import io.seedstream.schemas.serde.AvroSerializer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealKafkaExtension.class)
class RegistryTest {

    private static final Schema V1 = schema("""
            {"type":"record","name":"Thing","namespace":"t","fields":[
              {"name":"a","type":"string"}]}""");
    private static final Schema V2_WITH_DEFAULT = schema("""
            {"type":"record","name":"Thing","namespace":"t","fields":[
              {"name":"a","type":"string"},
              {"name":"b","type":"int","default":0}]}""");
    private static final Schema V3_NO_DEFAULT = schema("""
            {"type":"record","name":"Thing","namespace":"t","fields":[
              {"name":"a","type":"string"},
              {"name":"b","type":"int","default":0},
              {"name":"weight","type":"double"}]}""");

    private static Schema schema(String s) {
        return new Schema.Parser().parse(s);
    }

    /** A registry of its own on the shared broker, on its own log topic. */
    private static RegistryServer startRegistry(TestCluster cluster, String topic) {
        return RegistryServer.start(cluster.connection().kafkaProperties(),
                RegistrySettings.defaults().withPort(0).withTopic(topic));
    }

    private static RestSchemaRegistryClient client(RegistryServer server) {
        return new RestSchemaRegistryClient(server.url(), Duration.ofSeconds(10));
    }

    @Test
    void rejectsAnIncompatibleChangeNamingTheFieldAndAcceptsACompatibleOne(TestCluster cluster) {
        try (RegistryServer server = startRegistry(cluster, "_schemas-" + cluster.newPrefix())) {
            RestSchemaRegistryClient client = client(server);
            int id1 = client.register("things-value", V1);
            int id2 = client.register("things-value", V2_WITH_DEFAULT);
            assertThat(id2).isNotEqualTo(id1);
            assertThat(client.latest("things-value").version()).isEqualTo(2);

            assertThatThrownBy(() -> client.register("things-value", V3_NO_DEFAULT))
                    .isInstanceOf(RegistryException.class)
                    .satisfies(e -> {
                        RegistryException r = (RegistryException) e;
                        assertThat(r.httpStatus()).isEqualTo(409);
                        assertThat(r.errorCode()).isEqualTo(409);
                    })
                    .hasMessageContaining("weight")
                    .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE");
            assertThat(client.incompatibilities("things-value", V3_NO_DEFAULT)).isNotEmpty();
            assertThat(client.incompatibilities("things-value", V2_WITH_DEFAULT)).isEmpty();

            // Registering the same schema again returns the same id and adds no version.
            assertThat(client.register("things-value", V2_WITH_DEFAULT)).isEqualTo(id2);
            // The same schema under another subject shares the global id.
            assertThat(client.register("other-value", V1)).isEqualTo(id1);

            // With compatibility NONE for this subject, the change is accepted.
            client.setCompatibility("things-value", Compatibility.NONE);
            assertThat(client.register("things-value", V3_NO_DEFAULT)).isPositive();
        }
    }

    @Test
    void unknownSubjectsAndIdsGetConfluentErrorCodes(TestCluster cluster) throws Exception {
        try (RegistryServer server = startRegistry(cluster, "_schemas-" + cluster.newPrefix())) {
            RestSchemaRegistryClient client = client(server);
            assertThatThrownBy(() -> client.latest("nope-value"))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40401));
            assertThatThrownBy(() -> client.schemaById(987654))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40403));
            client.register("known-value", V1);
            assertThatThrownBy(() -> client.idOf("known-value", V2_WITH_DEFAULT))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40403));

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(
                    URI.create(server.url() + "/subjects/x-value/versions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"schema\": \"{not avro\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(422);
            assertThat(new ObjectMapper().readTree(bad.body()).get("error_code").asInt()).isEqualTo(42201);

            HttpResponse<String> config = http.send(HttpRequest.newBuilder(
                    URI.create(server.url() + "/config")).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode level = new ObjectMapper().readTree(config.body());
            assertThat(level.get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        }
    }

    @Test
    void idsSurviveARestartAndTwoRegistriesAgree(TestCluster cluster) {
        String topic = "_schemas-" + cluster.newPrefix();
        int idA;
        int idB;
        try (RegistryServer first = startRegistry(cluster, topic)) {
            idA = client(first).register("a-value", V1);
            idB = client(first).register("b-value", V2_WITH_DEFAULT);
            try (RegistryServer second = startRegistry(cluster, topic)) {
                RestSchemaRegistryClient c2 = client(second);
                assertThat(c2.schemaById(idA)).isEqualTo(V1);
                // Writes from both processes interleave without allocating an id twice.
                int idC = c2.register("c-value", V3_NO_DEFAULT);
                int idD = client(first).register("d-value", schema("""
                        {"type":"record","name":"D","fields":[{"name":"x","type":"long"}]}"""));
                assertThat(java.util.Set.of(idA, idB, idC, idD)).hasSize(4);
                assertThat(client(first).schemaById(idC)).isEqualTo(V3_NO_DEFAULT);
            }
        }
        try (RegistryServer restarted = startRegistry(cluster, topic)) {
            RestSchemaRegistryClient c = client(restarted);
            assertThat(c.schemaById(idA)).isEqualTo(V1);
            assertThat(c.schemaById(idB)).isEqualTo(V2_WITH_DEFAULT);
            assertThat(c.register("a-value", V1)).isEqualTo(idA);
            assertThat(c.latest("b-value").id()).isEqualTo(idB);
        }
    }

    /** Regression: ids were reused when a commit marker was not yet visible to the next registration. */
    @Test
    void concurrentRegistrationsOfDifferentSchemasGetDistinctIds(TestCluster cluster) throws Exception {
        try (RegistryServer server = startRegistry(cluster, "_schemas-" + cluster.newPrefix())) {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 24; i++) {
                Schema s = schema("{\"type\":\"record\",\"name\":\"R" + i
                        + "\",\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]}");
                int n = i;
                ids.add(pool.submit(() -> client(server).register("subject-" + n + "-value", s)));
            }
            java.util.Set<Integer> distinct = new java.util.HashSet<>();
            for (var f : ids) {
                distinct.add(f.get());
            }
            pool.shutdown();
            assertThat(distinct).hasSize(24);
        }
    }

    @Test
    void serializerWithoutAutoRegisterNeedsARegisteredSchema(TestCluster cluster) {
        try (RegistryServer server = startRegistry(cluster, "_schemas-" + cluster.newPrefix())) {
            RestSchemaRegistryClient client = client(server);
            AnswerGroup group = io.seedstream.infra.harness.SampleRecords.answerGroup();
            AvroSerializer<AnswerGroup> strict = new AvroSerializer<>(client, AnswerGroup.getClassSchema(), false, false);
            assertThatThrownBy(() -> strict.serialize("rollouts", group))
                    .isInstanceOf(SerializationException.class).hasMessageContaining("rollouts-value");

            client.register("rollouts-value", AnswerGroup.getClassSchema());
            byte[] bytes = strict.serialize("rollouts", group);
            assertThat(bytes[0]).isEqualTo((byte) 0);
            AvroDeserializer<AnswerGroup> reader = new AvroDeserializer<>(client, AnswerGroup.getClassSchema());
            assertThat(reader.deserialize("rollouts", bytes)).isEqualTo(group);
            assertThatThrownBy(() -> reader.deserialize("rollouts", new byte[] {7, 0, 0, 0, 1, 2}))
                    .isInstanceOf(SerializationException.class).hasMessageContaining("magic byte");
        }
    }

    @Test
    void writesNeedTheWriteUsersCredentialsAndRefusedWritesChangeNothing(TestCluster cluster) throws Exception {
        try (RegistryServer server = RegistryServer.start(cluster.connection().kafkaProperties(),
                RegistrySettings.defaults().withPort(0).withTopic("_schemas-" + cluster.newPrefix())
                        .withWriteCredentials("schema-admin", "s3cret:with colon"))) {
            String authority = server.url().substring("http://".length());
            RestSchemaRegistryClient anonymous = client(server);
            RestSchemaRegistryClient wrong = new RestSchemaRegistryClient("http://schema-admin:guess@" + authority,
                    Duration.ofSeconds(10));
            RestSchemaRegistryClient admin = new RestSchemaRegistryClient(
                    "http://schema-admin:s3cret%3Awith%20colon@" + authority, Duration.ofSeconds(10));

            for (RestSchemaRegistryClient refused : List.of(anonymous, wrong)) {
                assertThatThrownBy(() -> refused.register("things-value", V1)).isInstanceOf(RegistryException.class)
                        .satisfies(e -> assertThat(((RegistryException) e).httpStatus()).isEqualTo(401))
                        .hasMessageNotContaining("guess");
                assertThatThrownBy(() -> refused.setCompatibility("things-value", Compatibility.NONE))
                        .isInstanceOf(RegistryException.class);
            }
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> delete = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/subjects/things-value"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(delete.statusCode()).isEqualTo(401);
            assertThat(delete.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            // nothing was written by the refused clients
            assertThat(http.send(HttpRequest.newBuilder(URI.create(server.url() + "/subjects")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("[]");

            int id = admin.register("things-value", V1);
            // Confluent's way of giving the credentials apart from the URL, with either spelling of the keys
            for (String prefix : List.of("", "schema.registry.")) {
                io.seedstream.schemas.ConnectionConfig userInfo = io.seedstream.schemas.ConnectionConfig.from(java.util.Map.of(
                        io.seedstream.schemas.ConnectionConfig.SCHEMA_REGISTRY_URL, server.url(),
                        prefix + "basic.auth.credentials.source", "USER_INFO",
                        prefix + "basic.auth.user.info", "schema-admin:s3cret:with colon"));
                assertThat(userInfo.toString()).contains("schema-admin:[hidden]").doesNotContain("s3cret");
                assertThat(io.seedstream.schemas.serde.AvroSerdes.connect(userInfo).registry()
                        .register("user-info-" + prefix.length() + "-value", V1)).isPositive();
            }
            assertThatThrownBy(() -> io.seedstream.schemas.ConnectionConfig.from(java.util.Map.of(
                    "basic.auth.user.info", "schema-admin:x"))).hasMessageContaining("basic.auth.credentials.source is URL");
            assertThatThrownBy(() -> io.seedstream.schemas.ConnectionConfig.from(java.util.Map.of(
                    "basic.auth.credentials.source", "USER_INFO"))).hasMessageContaining("user:password");
            // reads, lookups and compatibility checks stay open: serializers and deserializers need no password
            assertThat(anonymous.schemaById(id)).isEqualTo(V1);
            assertThat(anonymous.incompatibilities("things-value", V2_WITH_DEFAULT)).isEmpty();
            assertThat(new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(server.url() + "/subjects"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).body()).get(0).asText()).isEqualTo("things-value");
        }
    }

    @Test
    void listensOnTheLoopbackInterfaceOnlyByDefault(TestCluster cluster) throws Exception {
        java.net.InetAddress outside = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress()).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(outside != null, "this machine has no non-loopback IPv4 address");
        try (RegistryServer server = startRegistry(cluster, "_schemas-" + cluster.newPrefix())) {
            int port = URI.create(server.url()).getPort();
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            }
            assertThatThrownBy(() -> {
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(new java.net.InetSocketAddress(outside, port), 2000);
                }
            }).isInstanceOf(java.io.IOException.class);
        }
    }
}
