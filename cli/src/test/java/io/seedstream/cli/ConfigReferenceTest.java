package io.seedstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration reference and the option texts come from the declarations, so they cannot drift from them. */
class ConfigReferenceTest {

    @Test
    void docsConfigurationIsWhatTheDeclarationsGenerate() throws Exception {
        String generated = CliRun.ok("config", "reference");
        assertThat(generated).isEqualTo(ConfigKeys.reference());
        Path doc = Path.of("..", "docs", "configuration.md");
        assertThat(Files.readString(doc))
                .as("docs/configuration.md is stale: regenerate it with ./seedstream config reference > docs/configuration.md")
                .isEqualTo(generated);
        // each key once, a shared one naming every stage that reads it
        for (String key : ConfigKeys.KNOWN) {
            assertThat(generated).contains("| `" + key + "` |");
        }
        assertThat(generated).containsOnlyOnce("| `batch.groups` |").contains("| dispatcher, topology |")
                .containsOnlyOnce("| `trainer.staleness.bound` |");
    }

    @Test
    void optionTextsQuoteTheDeclaredDefaults() {
        Map<String, String> defaults = ConfigKeys.defaults();
        String train = help("train", "--help");
        assertThat(train).contains("(default: " + defaults.get(TrainerConfig.LR) + ")")
                .contains("(default: " + defaults.get(TrainerConfig.STALENESS) + ")").doesNotContain("${");
        String dispatch = help("dispatch", "--help");
        assertThat(dispatch).contains("(default: " + defaults.get(DispatcherConfig.BATCH_GROUPS) + ")")
                .doesNotContain("${");
        assertThat(help("streams", "--help")).contains("(default: " + defaults.get(TopologySettings.BATCH_LINGER_MS)
                + ")").doesNotContain("${");
        for (String[] help : new String[][] {{"up", "--help"}, {"generate", "--help"}, {"replay", "train", "--help"},
                {"experiment", "--help"}, {"train", "step", "--help"}}) {
            assertThat(help(help)).as(String.join(" ", help)).doesNotContain("${");
        }
    }

    /** A command's help with picocli's line wrapping undone. */
    private static String help(String... args) {
        return CliRun.ok(args).replaceAll("\\s+", " ");
    }

    @Test
    void configCheckCountsTheKeysOfAGoodFileAndFailsOnATypo(@TempDir Path tmp) throws Exception {
        Path good = tmp.resolve("good.properties");
        Files.writeString(good, "trainer.learning.rate=1e-4\nbatch.groups=16\nsasl.mechanism=SCRAM-SHA-512\n");
        assertThat(CliRun.ok("config", "check", good.toString())).contains("3 known keys (1 of them at their default)");
        Path bad = tmp.resolve("bad.properties");
        Files.writeString(bad, "trainer.learning_rate=1e-4\n");
        CliRun r = CliRun.of("config", "check", bad.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty(); // the reason goes to standard error (ConfigKeysTest checks its wording)
    }
}
