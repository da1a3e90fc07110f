package io.seedstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's bind address and the address it advertises to other instances are separate settings. */
class TopologySettingsTest {

    @Test
    void aWildcardBindAdvertisesThisMachinesNameAndAnExplicitAddressWins() throws Exception {
        assertThat(TopologySettings.defaults().dashboardAdvertisedHost()).isEqualTo("127.0.0.1");
        TopologySettings wildcard = TopologySettings.from(Map.of(TopologySettings.DASHBOARD_HOST, "0.0.0.0"));
        assertThat(wildcard.dashboardHost()).isEqualTo("0.0.0.0");
        assertThat(wildcard.dashboardAdvertisedHost()).isEqualTo(InetAddress.getLocalHost().getCanonicalHostName())
                .isNotEqualTo("0.0.0.0");
        TopologySettings explicit = TopologySettings.from(Map.of(TopologySettings.DASHBOARD_HOST, "0.0.0.0",
                TopologySettings.DASHBOARD_ADVERTISED_HOST, "scoring-1.internal"));
        assertThat(explicit.dashboardAdvertisedHost()).isEqualTo("scoring-1.internal");
        assertThat(TopologySettings.advertised("::", "")).isNotEqualTo("::");
        assertThat(TopologySettings.advertised("10.0.0.5", " ")).isEqualTo("10.0.0.5");
    }
}
