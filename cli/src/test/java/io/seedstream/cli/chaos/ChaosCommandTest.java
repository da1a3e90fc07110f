package io.seedstream.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.Seedstream;
import io.seedstream.cli.local.UpCommandTest;
import io.seedstream.schemas.StageEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code seedstream chaos} with a small budget: the whole stack as separate JVMs on the shipped
 * task policy, one fault of each kind (kill -9 of a generator, the topology, the trainer, the
 * dispatcher; kill -9 and restart of the broker), then the reconciliation of the log and the
 * checkpoints. Every check must hold, including bit-identical weights against a replay without
 * faults. (A few minutes on 2 cores.)
 */
class ChaosCommandTest {

    @Test
    void oneFaultOfEachKindLosesNothingAndCountsNothingTwice(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("chaos");
        int rc = new CommandLine(new Seedstream()).execute("chaos", "--out", out.toString(), "--faults", "5",
                "--seed", "3", "--fault-interval", "8", "--group-size", "4", "--batch-groups", "4",
                "--max-new-tokens", "32", "--task-problems", "100", "--heldout", "8", "--eval-every", "5",
                "--model-dir", UpCommandTest.SHIPPED.toString());
        String report = Files.exists(out.resolve("reconciliation.md")) ? Files.readString(out.resolve("reconciliation.md"))
                : "(no reconciliation.md)";
        assertThat(rc).as("chaos exit code; the reconciliation:\n" + report).isZero();

        JsonNode json = new ObjectMapper().readTree(out.resolve("reconciliation.json").toFile());
        assertThat(json.get("ok").asBoolean()).isTrue();
        Set<String> kinds = new HashSet<>();
        for (JsonNode f : json.get("faults")) {
            kinds.add(f.get("kind").asText());
            assertThat(f.get("recovery_seconds").isNumber()).as("fault %s recovered", f).isTrue();
        }
        assertThat(json.get("faults")).hasSize(5);
        assertThat(kinds).containsExactlyInAnyOrder("KILL_GENERATOR", "KILL_TOPOLOGY", "KILL_TRAINER",
                "KILL_DISPATCHER", "RESTART_BROKER");
        JsonNode checks = json.get("checks");
        assertThat(checks.size()).isGreaterThanOrEqualTo(12);
        for (JsonNode c : checks) {
            assertThat(c.get("ok").asBoolean()).as("%s: %s", c.get("what").asText(), c.get("found").asText()).isTrue();
        }
        // the checks are read by their ids and counts, not by their sentences
        JsonNode requests = check(checks, "rollout-requests-answered-once").get("counts");
        assertThat(requests.get("answered_once").asLong()).isPositive().isEqualTo(requests.get("released").asLong());
        assertThat(requests.get("unanswered").asLong()).isZero();
        assertThat(requests.get("answered_twice_or_more").asLong()).isZero();
        JsonNode resumes = check(checks, "trainer-resumed").get("counts");
        assertThat(resumes.get("restarts").asLong()).isEqualTo(1);
        assertThat(resumes.get("resumed_as_expected").asLong()).isEqualTo(1);
        JsonNode dead = check(checks, "dead-letters").get("counts");
        assertThat(dead.get("for_injected").asLong()).isEqualTo(1);
        assertThat(dead.get("other").asLong()).isZero();
        JsonNode replay = check(checks, "replay-identical").get("counts");
        assertThat(replay.get("identical").asLong()).isPositive().isEqualTo(replay.get("versions").asLong());
        assertThat(check(checks, "faults-recovered").get("counts").get("recovered").asLong()).isEqualTo(5);
        // every killed process ran again: its second incarnation has a log
        for (String name : new String[] {"broker", "topology", "trainer", "dispatcher"}) {
            assertThat(out.resolve("logs").resolve(name + "-2.log")).exists();
        }
        // the restarted trainer said where it resumed as a structured event, not only in its log's prose
        List<StageEvents.Event> resumed = StageEvents.read(out.resolve("logs").resolve("trainer-2.events.jsonl"))
                .stream().filter(e -> e.event().equals(StageEvents.RESUMED)).toList();
        assertThat(resumed).hasSize(1);
        assertThat(resumed.get(0).fields().path("checkpoint").asText()).startsWith("step-");
        assertThat(resumed.get(0).fields().path("offsets").isObject()).isTrue();
    }

    private static JsonNode check(JsonNode checks, String id) {
        for (JsonNode c : checks) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no check " + id + " in " + checks);
    }
}
