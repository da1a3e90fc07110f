package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

    @Test
    void pruningKeepsTheNewestTheNewestFullOneAndEveryMultipleOfKeepEvery(@TempDir Path tmp) throws Exception {
        CheckpointStore store = new CheckpointStore(tmp);
        for (long step = 1; step <= 12; step++) {
            Path dir = Files.createDirectories(tmp.resolve(CheckpointStore.dirName(step)));
            new ObjectMapper().writeValue(dir.resolve(CheckpointStore.STATE).toFile(), new TrainerState("run", step,
                    "t", Map.of(), List.of(), List.of(), null, "sha", TrainerState.NO_RNG, 0, Map.of(), 0L));
            if (step == 2) {
                Files.writeString(dir.resolve(CheckpointStore.OPTIMIZER), "moments");
            }
        }
        store.prune(3, 5);
        // 10..12 the newest three, 2 the only full one, 5 and 10 evaluated by held-out rounds
        assertThat(store.list()).extracting(c -> c.state().step()).containsExactly(2L, 5L, 10L, 11L, 12L);
        store.prune(1, 0);
        assertThat(store.list()).extracting(c -> c.state().step()).containsExactly(2L, 12L);
    }
}
