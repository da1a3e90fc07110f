package io.seedstream.cli;

import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.PromptFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine.Option;

/** How problems become prompts, as flags: the generator.prompt.* keys of every command that samples. */
public final class PromptOptions {

    @Option(names = "--prompt-template", paramLabel = "TEXT", description = "A raw completion model's prompt, "
            + "{problem} standing for the problem (default: the model's chat template when it ships one, else "
            + "'Q: {problem}\\nA:'); generator.prompt.template.")
    String template;

    @Option(names = "--system-prompt", paramLabel = "TEXT", description = "System prompt of the chat template's "
            + "conversation; generator.prompt.system.")
    String system;

    @Option(names = "--instruction", paramLabel = "TEXT", description = "Text after each problem on a new line, e.g. "
            + "'Please reason step by step, and put your final answer within \\boxed{}.'; generator.prompt.instruction.")
    String instruction;

    /** The flags given, as the generators' keys. */
    public void putInto(Properties p) {
        UpdateOptions.put(p, GeneratorConfig.PROMPT_TEMPLATE, template);
        UpdateOptions.put(p, GeneratorConfig.PROMPT_SYSTEM, system);
        UpdateOptions.put(p, GeneratorConfig.PROMPT_INSTRUCTION, instruction);
    }

    /** The format for a model directory, as the generators resolve it. */
    public PromptFormat resolve(Path modelDir) throws IOException {
        return PromptFormat.resolve(modelDir, template, system, instruction);
    }
}
