package io.seedstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageEventsTest {

    @Test
    void readsEventsInOrderAndSkipsWhatAKilledWriterLeft(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("trainer-2.events.jsonl");
        byte[] torn = "{\"stage\":\"trainer\",\"event\":\"res".getBytes(StandardCharsets.UTF_8);
        String lines = """
                {"time_ms":1,"stage":"train","event":"ready","checkpoint_dir":"/c"}
                
                [1,2]
                {"stage":"train","no_event":true}
                {"time_ms":2,"stage":"trainer","event":"resumed","checkpoint":"step-000004","offsets":{"0":12,"1":9}}
                """;
        Files.write(file, lines.getBytes(StandardCharsets.UTF_8));
        Files.write(file, torn, java.nio.file.StandardOpenOption.APPEND);
        // a cut multi-byte character too: the reader must not throw on undecodable bytes
        Files.write(file, new byte[] {'\n', (byte) 0xE2, (byte) 0x82}, java.nio.file.StandardOpenOption.APPEND);

        List<StageEvents.Event> events = StageEvents.read(file);

        assertThat(events).extracting(StageEvents.Event::event).containsExactly("ready", "resumed");
        assertThat(events.get(0).stage()).isEqualTo("train");
        assertThat(events.get(1).fields().path("checkpoint").asText()).isEqualTo("step-000004");
        assertThat(events.get(1).fields().path("offsets").path("1").asLong()).isEqualTo(9);
    }

    @Test
    void aMissingFileHasNoEvents(@TempDir Path tmp) throws Exception {
        assertThat(StageEvents.read(tmp.resolve("absent.jsonl"))).isEmpty();
    }
}
