package io.seedstream.producers.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.model.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one place prompts are built: the model's chat template, a raw template, or the task's format. */
class PromptFormatTest {

    /** A two-line ChatML-like template, written for this test. */
    private static final String CHAT = "{%- for m in messages %}{{- '<' + m['role'] + '>' + m['content'] + '\\n' }}"
            + "{%- endfor %}{%- if add_generation_prompt %}{{- '<assistant>' }}{%- endif %}";

    @Test
    void aModelWithoutAChatTemplateGetsTheTaskFormatAndARawTemplateWins(@TempDir Path tmp) throws Exception {
        PipelineFixture.randomPolicy(tmp, 1);
        assertThat(PromptFormat.resolve(tmp, "", "", "").text("2+2?")).isEqualTo("Q: 2+2?\nA:");
        assertThat(PromptFormat.resolve(tmp, "Problem: {problem}\nSolution:", "", "Box it.").text("2+2?"))
                .isEqualTo("Problem: 2+2?\nBox it.\nSolution:");
        assertThatThrownBy(() -> PromptFormat.resolve(tmp, "no placeholder", "", "")).hasMessageContaining("{problem}");
        assertThatThrownBy(() -> PromptFormat.resolve(tmp, "", "Be brief.", "")).hasMessageContaining("chat template");
    }

    @Test
    void theChatTemplateIsUsedAndTravelsWithEveryCheckpoint(@TempDir Path tmp) throws Exception {
        Path start = tmp.resolve("start");
        PipelineFixture.randomPolicy(start, 1);
        Files.writeString(start.resolve("tokenizer_config.json"),
                new ObjectMapper().createObjectNode().put("chat_template", CHAT).toString());
        PromptFormat format = PromptFormat.resolve(start, "", "Be brief.", "Box it.");
        assertThat(format.text("2+2?")).isEqualTo("<system>Be brief.\n<user>2+2?\nBox it.\n<assistant>");

        Path next = tmp.resolve("version-1");
        String config = Files.readString(start.resolve("tokenizer_config.json"));
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(start, m)) {
            // the trainer's checkpoints are pruned under it: the directory a policy came from may be gone
            Files.delete(start.resolve("tokenizer_config.json"));
            p.save(next);
        }
        assertThat(next.resolve("tokenizer_config.json")).hasContent(config);
        assertThat(PromptFormat.resolve(next, "", "Be brief.", "Box it.").text("2+2?")).isEqualTo(format.text("2+2?"));
    }
}
