package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat templates render byte for byte what Python's jinja2 renders with transformers' settings
 * (src/test/resources/chat/render.py; .ci/run installs python3-jinja2 where it is missing).
 */
class ChatTemplateTest {

    private static final Path DIR = Path.of("src/test/resources/chat");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<List<ChatTemplate.Message>> CONVERSATIONS = List.of(
            List.of(new ChatTemplate.Message("user", "What is 7*8-13?")),
            List.of(new ChatTemplate.Message("system", "Reason step by step."),
                    new ChatTemplate.Message("user", "Ünïcode ÷ \"quotes\"\nand a new line\ttab")),
            List.of(new ChatTemplate.Message("system", "S"), new ChatTemplate.Message("user", "a"),
                    new ChatTemplate.Message("assistant", "b \\boxed{4}"), new ChatTemplate.Message("user", "c {x}")));

    @Test
    void rendersWhatJinja2RendersWithTransformersSettings() throws Exception {
        String source = Files.readString(DIR.resolve("chatml-test.jinja"));
        ChatTemplate t = new ChatTemplate(source, "<s>", "<|im_end|>");
        for (List<ChatTemplate.Message> conversation : CONVERSATIONS) {
            for (boolean generation : new boolean[] {true, false}) {
                String reference = jinja2(source, conversation, generation);
                assertThat(t.render(conversation, generation)).as("%s, generation prompt %s", conversation, generation)
                        .isEqualTo(reference);
            }
        }
        assertThat(t.prompt("What is 2+2?", "Be brief.", "Put the answer in \\boxed{}."))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?\nPut the answer in "
                        + "\\boxed{}.<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void raiseExceptionFailsTheRenderWithTheTemplatesMessage() throws Exception {
        String source = Files.readString(DIR.resolve("chatml-test.jinja"));
        List<ChatTemplate.Message> bad = List.of(new ChatTemplate.Message("user", "a"),
                new ChatTemplate.Message("tool", "42"));
        String reference = jinja2(source, bad, true);
        assertThat(reference).startsWith("ERROR: Only user and assistant turns may follow the system turn, not tool");
        assertThatThrownBy(() -> new ChatTemplate(source, "", "").render(bad, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reference.substring("ERROR: ".length()));
    }

    @Test
    void theTemplateIsReadFromTokenizerConfigAsTheHubShipsIt(@TempDir Path tmp) throws Exception {
        String source = Files.readString(DIR.resolve("chatml-test.jinja"));
        assertThat(ChatTemplate.of(tmp)).isNull(); // a raw completion model
        ObjectNode config = JSON.createObjectNode().put("chat_template", source);
        config.putObject("eos_token").put("content", "<|im_end|>");
        Files.writeString(tmp.resolve("tokenizer_config.json"), config.toString());
        List<ChatTemplate.Message> one = CONVERSATIONS.get(0);
        assertThat(ChatTemplate.of(tmp).render(one, true)).isEqualTo(jinja2(source, one, true));

        ObjectNode listed = JSON.createObjectNode();
        listed.putArray("chat_template").addObject().put("name", "tool_use").put("template", "x");
        Files.writeString(tmp.resolve("tokenizer_config.json"), listed.toString());
        assertThatThrownBy(() -> ChatTemplate.of(tmp)).hasMessageContaining("'default'");
        ((ArrayNode) listed.get("chat_template")).addObject().put("name", "default").put("template", source);
        Files.writeString(tmp.resolve("tokenizer_config.json"), listed.toString());
        assertThat(ChatTemplate.of(tmp).render(one, true)).isEqualTo(jinja2(source, one, true));
    }

    /** What the reference renders (or "ERROR: message" when the template raised). */
    private static String jinja2(String source, List<ChatTemplate.Message> messages, boolean generation) throws Exception {
        ObjectNode request = JSON.createObjectNode().put("template", source).put("add_generation_prompt", generation)
                .put("bos_token", "<s>").put("eos_token", "<|im_end|>");
        ArrayNode turns = request.putArray("messages");
        for (ChatTemplate.Message m : messages) {
            turns.addObject().put("role", m.role()).put("content", m.content());
        }
        Process p = new ProcessBuilder("python3", DIR.resolve("render.py").toString()).redirectErrorStream(false).start();
        p.getOutputStream().write(JSON.writeValueAsBytes(request));
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("python3 render.py finished").isTrue();
        assertThat(p.exitValue()).as("python3 render.py (needs python3-jinja2): %s", err).isIn(0, 3);
        return out.toString(StandardCharsets.UTF_8);
    }
}
