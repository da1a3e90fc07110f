package io.seedstream.producers.task;

import io.seedstream.model.CharacterTokenizer;
import io.seedstream.model.ModelConfig;
import java.util.List;

/**
 * The tiny policy of the built-in task: a character-level Qwen2-style decoder (about 0.8M
 * parameters) whose tokenizer knows {@link ArithmeticTask#ALPHABET}, with one special token
 * that ends every answer.
 */
public final class TaskPolicy {

    public static final String END = "<|endoftext|>";
    public static final List<String> SPECIALS = List.of(END);
    public static final int END_ID = 0;
    public static final int VOCAB = CharacterTokenizer.vocabularySize(SPECIALS, ArithmeticTask.ALPHABET);

    /** hidden 128, 4 layers, 4 query heads sharing 2 key/value heads of 32, SwiGLU 384, tied embeddings. */
    public static final ModelConfig CONFIG = new ModelConfig("qwen2", VOCAB, 128, 384, 4, 4, 2, 32, 1e-6, 10_000,
            true, true, 384, END_ID, END_ID);

    private TaskPolicy() {}

    public static byte[] tokenizerJson() {
        return CharacterTokenizer.json(SPECIALS, ArithmeticTask.ALPHABET);
    }
}
