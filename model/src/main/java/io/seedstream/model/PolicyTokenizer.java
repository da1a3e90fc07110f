package io.seedstream.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json} (WordLevel, BPE, ByteLevel...) through DJL's bindings. */
public final class PolicyTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final byte[] json;

    private PolicyTokenizer(HuggingFaceTokenizer tokenizer, byte[] json) {
        this.tokenizer = tokenizer;
        this.json = json;
    }

    public static PolicyTokenizer load(Path tokenizerJson) throws IOException {
        // no special tokens added and no truncation: the policy sees exactly what is encoded
        return new PolicyTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false")),
                Files.readAllBytes(tokenizerJson));
    }

    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, false);
    }

    /** The tokenizer.json this was loaded from, kept so a checkpoint can be written after the file is gone. */
    public byte[] json() {
        return json.clone();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
