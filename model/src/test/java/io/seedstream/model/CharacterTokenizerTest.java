package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharacterTokenizerTest {

    @Test
    void encodesOneIdPerCharacterAndDecodesBackExactly(@TempDir Path tmp) throws Exception {
        String alphabet = "abcdeox 0123456789\\{}/.";
        Path file = tmp.resolve("tokenizer.json");
        Files.write(file, CharacterTokenizer.json(List.of("<eos>"), alphabet));
        try (PolicyTokenizer t = PolicyTokenizer.load(file)) {
            String text = "a b \\boxed{3/4} 0.75";
            int[] ids = t.encode(text);
            assertThat(ids).hasSize(text.length());
            assertThat(ids[0]).isEqualTo(2); // <eos> 0, <unk> 1, then the alphabet in order
            assertThat(t.decode(ids)).isEqualTo(text);
            assertThat(t.encode("aza")).containsExactly(2, 1, 2);
        }
        assertThat(CharacterTokenizer.vocabularySize(List.of("<eos>"), alphabet)).isEqualTo(2 + alphabet.length());
    }
}
