package io.seedstream.producers.generator;

import io.seedstream.model.ChatTemplate;
import io.seedstream.producers.task.ArithmeticTask;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How a problem becomes the text a policy continues: the model's own chat template (from its
 * tokenizer_config.json) with an optional system prompt and an instruction after the problem, or,
 * for a raw completion model, a template in which {@code {problem}} stands for the problem.
 *
 * @param template the raw template, null when the chat template is used
 * @param chat the chat template, null for a raw template
 * @param instruction appended to the problem on a new line (e.g. "Please reason step by step, and
 *     put your final answer within \boxed{}."), empty for none
 */
public record PromptFormat(String template, ChatTemplate chat, String system, String instruction) {

    /** The built-in task's format, for models that ship no chat template. */
    public static final String TASK_TEMPLATE = ArithmeticTask.prompt("{problem}");

    public PromptFormat {
        if ((template == null) == (chat == null)) {
            throw new IllegalArgumentException("a prompt format is either a raw template or a chat template");
        }
        if (template != null && !template.contains("{problem}")) {
            throw new IllegalArgumentException("prompt template '" + template + "' has no {problem}");
        }
        if (template != null && !system.isEmpty()) {
            throw new IllegalArgumentException("a system prompt needs the model's chat template; with a raw prompt "
                    + "template, write it into the template");
        }
    }

    public static PromptFormat raw(String template) {
        return new PromptFormat(template, null, "", "");
    }

    /**
     * The format for a model directory: the raw template when one is given; else the model's chat
     * template when it ships one; else the built-in task's {@code Q: {problem}\nA:}.
     */
    public static PromptFormat resolve(Path modelDir, String template, String system, String instruction)
            throws IOException {
        String s = system == null ? "" : system;
        String i = instruction == null ? "" : instruction;
        if (template != null && !template.isEmpty()) {
            return new PromptFormat(template, null, s, i);
        }
        ChatTemplate chat = modelDir == null ? null : ChatTemplate.of(modelDir);
        return chat != null ? new PromptFormat(null, chat, s, i) : new PromptFormat(TASK_TEMPLATE, null, s, i);
    }

    /** The prompt text for a problem. */
    public String text(String problem) {
        String question = instruction.isEmpty() ? problem : problem + "\n" + instruction;
        return chat != null ? chat.prompt(question, system, "") : template.replace("{problem}", question);
    }

    /** What the format is, for logs: "chat template" or the raw template. */
    public String describe() {
        return chat != null ? "the model's chat template" + (system.isEmpty() ? "" : " with a system prompt")
                : "template '" + template.replace("\n", "\\n") + "'";
    }
}
