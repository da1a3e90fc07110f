package io.seedstream.producers.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.model.ToolCaller;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The sampler's view of the tools: which texts end a call, what the reply is, how it is logged. */
class ToolCallingTest {

    @Test
    void aCalcCallIsAnsweredExactlyInTheTasksFormatAndOtherTextsAreNotCalls() throws Exception {
        try (ToolBox box = new ToolSettings(List.of("calculator"), CallFormat.CALC, 2, Duration.ofSeconds(1),
                java.util.Map.of(), 4096).box()) {
            ToolCalling calling = new ToolCalling(CallFormat.CALC, box, 2, text -> text.chars().toArray());
            assertThat(calling.mayEndCall(">")).isTrue();
            assertThat(calling.mayEndCall("c")).isFalse();
            assertThat(calling.callIfEnded("Steps: <calc>21-5")).isNull();

            ToolCaller.Result r = calling.callIfEnded("Steps: <calc>21-5</calc>").get(5, TimeUnit.SECONDS);
            assertThat(r).isEqualTo(new ToolCaller.Result("calculator", "21-5", "<result>16</result>", "ok",
                    r.latencyMs()));
            assertThat(calling.encode(r.reply())).containsExactly("<result>16</result>".chars().toArray());

            ToolCaller.Result bad = calling.callIfEnded("<calc>2*(3</calc>").get(5, TimeUnit.SECONDS);
            assertThat(bad.reply()).isEqualTo("<result>error: missing ')'</result>");
            assertThat(bad.status()).isEqualTo("error");
        }
    }

    @Test
    void aHermesCallToAToolNotEnabledIsRefusedAndAMalformedOneIsAnError() throws Exception {
        try (ToolBox box = new ToolSettings(List.of("calculator"), CallFormat.HERMES, 2, Duration.ofSeconds(1),
                java.util.Map.of(), 4096).box()) {
            ToolCalling calling = new ToolCalling(CallFormat.HERMES, box, 2, text -> new int[0]);
            ToolCaller.Result calc = calling.callIfEnded("<tool_call>{\"name\": \"calculator\", \"arguments\": \"6*7\"}"
                    + "</tool_call>").get(5, TimeUnit.SECONDS);
            assertThat(calc.reply()).isEqualTo("\n<tool_response>\n42\n</tool_response>\n");
            ToolCaller.Result refused = calling.callIfEnded("<tool_call>{\"name\": \"shell\", \"arguments\": {}}"
                    + "</tool_call>").get(5, TimeUnit.SECONDS);
            assertThat(refused.status()).isEqualTo("refused");
            assertThat(refused.reply()).contains("error: no tool named shell; tools: calculator");
            ToolCaller.Result malformed = calling.callIfEnded("<tool_call>not json</tool_call>").get(5, TimeUnit.SECONDS);
            assertThat(malformed.status()).isEqualTo("error");
        }
    }

    @Test
    void settingsRefuseAToolWithoutAUrlAndANameGivenTwice() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ToolSettings(List.of("weather"), CallFormat.CALC,
                1, Duration.ofSeconds(1), java.util.Map.of(), 10)).hasMessageContaining("is neither calculator nor");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ToolSettings.http(List.of("w=http://x", "w=http://y")))
                .hasMessageContaining("is given twice");
        assertThat(ToolSettings.http(List.of("weather=http://127.0.0.1:9/w"))).containsKey("weather");
        assertThat(ToolSettings.format("Hermes")).isEqualTo(CallFormat.HERMES);
    }
}
