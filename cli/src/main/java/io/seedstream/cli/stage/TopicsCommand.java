package io.seedstream.cli.stage;

import io.seedstream.cli.CommandGroup;
import io.seedstream.cli.ConnectionOptions;
import io.seedstream.infra.topics.SchemaSetup;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "topics", mixinStandardHelpOptions = true, description = "Manage seedstream's topics.",
        subcommands = TopicsCommand.Create.class)
public final class TopicsCommand extends CommandGroup {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create every topic with its configuration; existing topics get their "
                    + "configuration set again; register each topic's value schema in the registry (idempotent).",
                "Run it once with rights to create topics and register schemas: the stages can then run with "
                        + "auto.register.schemas=false, as a managed cluster's operators usually require."})
    static final class Create implements Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Override
        public Integer call() {
            ConnectionConfig c = connection.connection();
            List<TopicSetup.Result> results;
            try (Admin admin = Admin.create(c.kafkaProperties())) {
                results = new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(c);
            } catch (RuntimeException e) {
                System.err.println("seedstream topics create: " + e.getMessage());
                return 1;
            }
            int schemas;
            try {
                schemas = new SchemaSetup(AvroSerdes.connect(c).registry()).ensureAll(c).size();
            } catch (RuntimeException e) {
                System.err.println("seedstream topics create: the topics are ready, the schemas are not: " + e.getMessage());
                return 1;
            }
            long created = 0;
            for (TopicSetup.Result r : results) {
                String note = r.partitions() != r.declaredPartitions()
                        ? " (declared " + r.declaredPartitions() + " partitions; left as is)" : "";
                System.out.printf("  %-40s %-8s %d partitions%s%n", r.name(), r.outcome(), r.partitions(), note);
                created += r.outcome() == TopicSetup.Outcome.CREATED ? 1 : 0;
            }
            System.out.printf("seedstream topics create: %d topics ready on %s (%d created, %d existed), %d value "
                    + "schemas registered%n", results.size(), c.bootstrapServers(), created, results.size() - created, schemas);
            return 0;
        }
    }
}
