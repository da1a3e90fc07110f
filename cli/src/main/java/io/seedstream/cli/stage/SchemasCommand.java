package io.seedstream.cli.stage;

import io.seedstream.cli.CommandGroup;
import io.seedstream.cli.ConnectionOptions;
import io.seedstream.infra.topics.SchemaSetup;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.serde.AvroSerdes;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "schemas", mixinStandardHelpOptions = true, description = "Manage seedstream's schemas in the registry.",
        subcommands = SchemasCommand.Register.class)
public final class SchemasCommand extends CommandGroup {

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = {"Register each topic's value schema in the registry; schemas already there are left "
                    + "alone, so a second run changes nothing.",
                "For clusters whose registry forbids auto-registration: run it once with rights to register, "
                        + "then run the stages with auto.register.schemas=false. (topics create does it too.)"})
    static final class Register implements Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Override
        public Integer call() {
            ConnectionConfig c = connection.connection();
            List<SchemaSetup.Result> results;
            try {
                results = new SchemaSetup(AvroSerdes.connect(c).registry()).ensureAll(c);
            } catch (RuntimeException e) {
                System.err.println("seedstream schemas register: " + e.getMessage());
                return 1;
            }
            for (SchemaSetup.Result r : results) {
                System.out.printf("  %-44s %-10s id %d%n", r.subject(), r.outcome(), r.id());
            }
            long registered = results.stream().filter(r -> r.outcome() == SchemaSetup.Outcome.REGISTERED).count();
            System.out.printf("seedstream schemas register: %d value schemas on %s (%d registered, %d already there)%n",
                    results.size(), c.registryUrl(), registered, results.size() - registered);
            return 0;
        }
    }
}
