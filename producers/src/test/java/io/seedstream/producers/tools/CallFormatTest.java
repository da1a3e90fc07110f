package io.seedstream.producers.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CallFormatTest {

    @Test
    void theTasksFormatCallsTheCalculator() {
        assertThat(CallFormat.CALC.completedCall("Steps: <calc>21-5</calc>"))
                .hasValue(new CallFormat.Call("calculator", "21-5", null));
        assertThat(CallFormat.CALC.completedCall("Steps: <calc>21-5")).isEmpty();
        assertThat(CallFormat.CALC.completedCall("<calc>1</calc> then <calc> 2*3 </calc>"))
                .hasValue(new CallFormat.Call("calculator", " 2*3 ", null));
        assertThat(CallFormat.CALC.completedCall("oops</calc>").orElseThrow().problem())
                .isEqualTo("a closing </calc> without an opening <calc>");
        assertThat(CallFormat.CALC.reply(ToolReply.ok("16"))).isEqualTo("<result>16</result>");
    }

    @Test
    void hermesCallsNameTheirToolInJson() {
        String text = "Let me look.<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        assertThat(CallFormat.HERMES.completedCall(text))
                .hasValue(new CallFormat.Call("weather", "{\"city\":\"Paris\"}", null));
        assertThat(CallFormat.HERMES.completedCall("<tool_call>{\"name\": 3}</tool_call>").orElseThrow().problem())
                .contains("with a \"name\"");
        assertThat(CallFormat.HERMES.completedCall("<tool_call>{name</tool_call>").orElseThrow().problem())
                .startsWith("the tool call is not JSON");
        assertThat(CallFormat.HERMES.reply(ToolReply.error("HTTP 500")))
                .isEqualTo("\n<tool_response>\nerror: HTTP 500\n</tool_response>\n");
    }
}
