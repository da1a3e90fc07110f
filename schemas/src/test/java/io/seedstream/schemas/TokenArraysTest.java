package io.seedstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TokenArraysTest {

    @Test
    void packsLittleEndianAndRoundTripsWithoutMovingTheBuffer() {
        ByteBuffer ids = TokenArrays.ofInts(new int[] {1, 258, -1});
        assertThat(ids.array()).startsWith((byte) 1, (byte) 0, (byte) 0, (byte) 0, (byte) 2, (byte) 1);
        assertThat(TokenArrays.ints(ids)).containsExactly(1, 258, -1);
        assertThat(TokenArrays.ints(ids)).containsExactly(1, 258, -1); // reading twice: position untouched
        assertThat(TokenArrays.count(ids)).isEqualTo(3);
        float[] lps = {-0.5f, -1e-7f, Float.NEGATIVE_INFINITY};
        assertThat(TokenArrays.floats(TokenArrays.ofFloats(lps))).containsExactly(lps);
        assertThat(TokenArrays.ints(TokenArrays.ofInts(new int[0]))).isEmpty();
    }

    @Test
    void aTornFieldIsRefused() {
        assertThatThrownBy(() -> TokenArrays.ints(ByteBuffer.wrap(new byte[] {1, 2, 3})))
                .hasMessageContaining("3 bytes");
    }
}
