package io.seedstream.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a character-level {@code tokenizer.json} that Hugging Face tokenizers (and so
 * {@link PolicyTokenizer} and transformers) read: special tokens first, then one id per
 * character; a BPE model without merges splits text into characters and the Fuse decoder joins
 * them back without spaces. Small models on small alphabets need nothing more.
 */
public final class CharacterTokenizer {

    public static final String UNKNOWN = "<unk>";

    private CharacterTokenizer() {}

    /**
     * @param specials special tokens, ids 0.. in order (the first is usually end-of-sequence)
     * @param alphabet every character the tokenizer knows; others become {@link #UNKNOWN}
     */
    public static byte[] json(List<String> specials, String alphabet) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = json.createObjectNode();
        int id = 0;
        for (String t : tokens(specials, alphabet)) {
            if (specials.contains(t) || t.equals(UNKNOWN)) {
                ObjectNode a = added.addObject();
                a.put("id", id);
                a.put("content", t);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", true);
            }
            vocab.put(t, id++);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", UNKNOWN);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.set("vocab", vocab);
        model.putArray("merges");
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many ids {@link #json} assigns: specials, the unknown token, distinct characters. */
    public static int vocabularySize(List<String> specials, String alphabet) {
        return tokens(specials, alphabet).size();
    }

    /** Every token in id order: the specials, the unknown token, each distinct character. */
    private static Set<String> tokens(List<String> specials, String alphabet) {
        Set<String> tokens = new LinkedHashSet<>(specials);
        tokens.add(UNKNOWN);
        alphabet.codePoints().forEach(cp -> tokens.add(new String(Character.toChars(cp))));
        return tokens;
    }
}
