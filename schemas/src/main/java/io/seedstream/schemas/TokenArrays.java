package io.seedstream.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * Token ids and log-probs travel packed (int32 / float32, little-endian, 4 bytes each) in Avro
 * {@code bytes} fields: thousands of tokens per answer group would otherwise be thousands of boxed
 * objects to read and write at every stage. This is the one place that packs and unpacks them.
 */
public final class TokenArrays {

    /** The schemas' {@code bytes} fields that hold packed int32 values (token ids). */
    public static final Set<String> INT_FIELDS = Set.of("prompt_token_ids", "token_ids");
    /** The schemas' {@code bytes} fields that hold packed float32 values (log-probs). */
    public static final Set<String> FLOAT_FIELDS = Set.of("token_logprobs");

    private TokenArrays() {}

    public static ByteBuffer ofInts(int[] xs) {
        ByteBuffer b = ByteBuffer.allocate(4 * xs.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(xs);
        return b;
    }

    public static ByteBuffer ofFloats(float[] xs) {
        ByteBuffer b = ByteBuffer.allocate(4 * xs.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(xs);
        return b;
    }

    public static int[] ints(ByteBuffer packed) {
        ByteBuffer b = view(packed);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    public static float[] floats(ByteBuffer packed) {
        ByteBuffer b = view(packed);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** How many 4-byte values a packed field holds. */
    public static int count(ByteBuffer packed) {
        return view(packed).remaining() / 4;
    }

    /** A little-endian view that leaves the field's own position alone; refuses a torn value. */
    private static ByteBuffer view(ByteBuffer packed) {
        ByteBuffer b = packed.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() % 4 != 0) {
            throw new IllegalArgumentException("packed token field of " + b.remaining()
                    + " bytes is not a whole number of 4-byte values");
        }
        return b;
    }
}
