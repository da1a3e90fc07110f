package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerConfigTest {

    @Test
    void defaultsAreDesignsDefaults() {
        TrainerConfig c = TrainerConfig.from(Map.of());
        LossSettings loss = c.update().loss();
        assertThat(loss.epsLow()).isEqualTo(0.2);
        assertThat(loss.epsHigh()).isEqualTo(0.2);
        assertThat(loss.aggregation()).isEqualTo(Aggregation.CONSTANT);
        assertThat(loss.klCoef()).isZero();
        assertThat(loss.decoupled()).isFalse();
        assertThat(c.update().adam()).isEqualTo(new AdamW.Settings(0.9, 0.95, 1e-8, 0.0));
        assertThat(c.update().maxGradNorm()).isEqualTo(1.0);
        assertThat(c.learningRate().schedule()).isEqualTo(LearningRate.Schedule.CONSTANT);
        assertThat(c.modelDir()).isNull();
    }

    @Test
    void badValuesAreRefusedWithTheKey() {
        assertThatThrownBy(() -> TrainerConfig.from(Map.of(TrainerConfig.AGGREGATION, "mean")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(TrainerConfig.AGGREGATION);
        assertThatThrownBy(() -> TrainerConfig.from(Map.of(TrainerConfig.STALENESS, "-1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(TrainerConfig.STALENESS);
    }

    @Test
    void learningRateSchedules() {
        LearningRate cosine = new LearningRate(1.0, LearningRate.Schedule.COSINE, 10, 110);
        assertThat(cosine.at(0)).isCloseTo(0.1, within(1e-12));
        assertThat(cosine.at(9)).isCloseTo(1.0, within(1e-12));
        assertThat(cosine.at(60)).isCloseTo(0.5, within(1e-12));
        assertThat(cosine.at(110)).isCloseTo(0.0, within(1e-12));
        LearningRate linear = new LearningRate(1.0, LearningRate.Schedule.LINEAR, 0, 100);
        assertThat(linear.at(25)).isCloseTo(0.75, within(1e-12));
        assertThat(LearningRate.constant(3e-4).at(1_000_000)).isEqualTo(3e-4);
    }

    @Test
    void stepFileErrorsNameTheAnswerAtFault(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("g.json");
        Files.writeString(f, "{\"groups\": [{\"prompt_ids\": [1, 2], \"answers\": [{\"completion_ids\": [3, 4], "
                + "\"old_logprobs\": [-1.0], \"scaled_advantage\": 0.5}]}]}");
        assertThatThrownBy(() -> StepFile.read(f, 10)).hasMessageContaining("groups[0].answers[0]")
                .hasMessageContaining("2 completion tokens but 1 old log-probs");
        Files.writeString(f, "{\"groups\": [{\"prompt_ids\": [1, 2], \"answers\": [{\"completion_ids\": [3, 4], "
                + "\"old_logprobs\": [-1.0, -2.0], \"scaled_advantage\": 0.5}]}]}");
        assertThat(StepFile.read(f, 10)).singleElement().satisfies(s -> {
            assertThat(s.completionIds()).containsExactly(3, 4);
            assertThat(s.scaledAdvantage()).isEqualTo(0.5);
        });
        Files.writeString(f, "[1, 2]");
        assertThatThrownBy(() -> StepFile.read(f, 10)).hasMessageContaining("\"groups\" array");
    }
}
