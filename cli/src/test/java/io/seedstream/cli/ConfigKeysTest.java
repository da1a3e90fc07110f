package io.seedstream.cli;

import io.seedstream.cli.experiment.ExperimentArm;
import io.seedstream.cli.local.UpCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A config key no stage reads is refused with the nearest one, in a file and in an experiment arm. */
class ConfigKeysTest {

    @Test
    void typosAreRefusedWithTheNearestKey() {
        assertThatThrownBy(() -> ConfigKeys.check(List.of("trainer.learning_rate"), Set.of(), "config x"))
                .hasMessage("config x: unknown key 'trainer.learning_rate'; did you mean 'trainer.learning.rate'?");
        assertThatThrownBy(() -> ConfigKeys.check(List.of("scoring.modulation"), Set.of(), "arm 'a'"))
                .hasMessageContaining("unknown key 'scoring.modulation'").hasMessageContaining("'scoring.f'");
        assertThatThrownBy(() -> ConfigKeys.check(List.of("zzz"), Set.of(), "config x"))
                .hasMessageContaining("beginning with").hasMessageContaining("trainer.");
        // every stage's keys, the Kafka clients' security settings and a command's own keys pass
        ConfigKeys.check(List.of("trainer.learning.rate", "scoring.f", "generator.prompt.system", "batch.groups",
                "bootstrap.servers", "sasl.jaas.config", "ssl.truststore.location", "security.protocol"), Set.of(),
                "config x");
        ConfigKeys.check(BuiltInTask.TASK_POLICY_SETTINGS.keySet(), Set.of(), "up");
        ConfigKeys.check(List.of("arms"), Set.of("arms"), "experiment");
        assertThat(ConfigKeys.distance("kitten", "sitting")).isEqualTo(3);
    }

    @Test
    void aCommandStopsOnATypoInItsConfigFileAndAnArmOnATypoInItsSettings(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("bad.properties");
        Files.writeString(config, "trainer.learning_rate=1e-4\n");
        CliRun r = CliRun.of("train", "--config", config.toString(), "--model-dir", tmp.toString());
        assertThat(r.exitCode()).as("train with a misspelt key").isNotZero();
        ConnectionOptions options = new ConnectionOptions();
        options.config = config;
        assertThatThrownBy(options::properties)
                .hasMessageContaining("unknown key 'trainer.learning_rate'; did you mean 'trainer.learning.rate'?");
        assertThatThrownBy(() -> ExperimentArm.parse("lr:scoring.modulation=none,trainer.learning.rate=6e-5"))
                .hasMessageContaining("arm 'lr': unknown key 'scoring.modulation'");
    }

    /** up --help shows the settings up really uses on the task policy, every one of them. */
    @Test
    void upsHelpNamesTheDefaultsItUsesOnTheTaskPolicy() {
        java.io.StringWriter help = new java.io.StringWriter();
        new picocli.CommandLine(new UpCommand()).usage(new java.io.PrintWriter(help));
        String text = help.toString().replaceAll("\\s+", " ");
        BuiltInTask.TASK_POLICY_SETTINGS.forEach((k, v) -> assertThat(text).contains(k + "=" + v));
    }
}
