package io.seedstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dispatcher's admission rule reads eta and B from the same keys, with the same defaults, as the trainer and the topology. */
class SharedKeysTest {

    @Test
    void theDispatcherReadsTheTrainersStalenessBoundAndTheTopologysBatchSize() {
        assertThat(DispatcherConfig.STALENESS).isEqualTo(TrainerConfig.STALENESS);
        assertThat(DispatcherConfig.BATCH_GROUPS).isEqualTo(TopologySettings.BATCH_GROUPS);
        DispatcherConfig defaults = DispatcherConfig.from(Map.of());
        assertThat(defaults.stalenessBound()).isEqualTo(TrainerConfig.from(Map.of()).stalenessBound());
        assertThat(defaults.batchGroups()).isEqualTo(TopologySettings.defaults().batchGroups());
        Map<String, Object> one = Map.of(TrainerConfig.STALENESS, 0, TopologySettings.BATCH_GROUPS, 7);
        assertThat(DispatcherConfig.from(one).stalenessBound()).isEqualTo(TrainerConfig.from(one).stalenessBound());
        assertThat(DispatcherConfig.from(one).batchGroups()).isEqualTo(TopologySettings.from(one).batchGroups());
    }
}
