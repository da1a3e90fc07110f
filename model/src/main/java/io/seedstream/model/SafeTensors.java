package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data.
 *
 * <p>Tensors of any size are memory-mapped and handed to the engine in their stored dtype (F32,
 * BF16, F16), a gigabyte at a time, so a checkpoint never passes through Java arrays; writing
 * streams each tensor out of the engine the same way. The float-array API ({@link #read},
 * {@link #write(Path, Map)}) remains for small files (the optimizer's moments, test fixtures).
 *
 * <p>Over 400 lines because reading and writing must agree on every detail of one format (header,
 * alignment, dtypes, shards); splitting them would put the format in two places.
 */
public final class SafeTensors {

    /** A tensor in float32, row-major. */
    public record Tensor(long[] shape, float[] data) {}

    /**
     * The dtypes read and written, with their width and the engine type a tensor of the dtype is
     * loaded as. BF16 is widened to float32 on the way in and rounded on the way out, in direct
     * (off-heap) buffers: DJL 0.36's PyTorch JNI aborts the JVM on any BFLOAT16 tensor (creating
     * one, or casting to it), which an exception cannot catch (docs/real-models.md).
     */
    public enum DType {
        F32(4, DataType.FLOAT32), BF16(2, DataType.FLOAT32), F16(2, DataType.FLOAT16);

        private final int bytes;
        private final DataType engine;

        DType(int bytes, DataType engine) {
            this.bytes = bytes;
            this.engine = engine;
        }

        public int bytes() {
            return bytes;
        }

        /** The name transformers gives the dtype in config.json's {@code torch_dtype}. */
        public String torchName() {
            return switch (this) {
                case F32 -> "float32";
                case BF16 -> "bfloat16";
                case F16 -> "float16";
            };
        }

        public DataType engine() {
            return engine;
        }

        /** The dtype of an engine type, for writing a tensor as it is. */
        public static DType of(DataType t) {
            return switch (t) {
                case FLOAT32 -> F32;
                case FLOAT16 -> F16;
                default -> throw new IllegalArgumentException("no safetensors dtype for " + t + "; supported: F32, F16 "
                        + "(and BF16 on disk)");
            };
        }

        /** {@code bf16}, {@code fp32}, {@code float16}... as configs and flags spell them. */
        public static DType parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "f32", "fp32", "float32", "float" -> F32;
                case "bf16", "bfloat16" -> BF16;
                case "f16", "fp16", "float16", "half" -> F16;
                default -> throw new IllegalArgumentException("unknown dtype '" + s + "'; one of fp32, bf16, fp16");
            };
        }
    }

    /** One tensor of a file: its dtype, shape and byte range within the data section. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long count() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A file's header: where its data start, and its tensors in file order. */
    public record Header(Path file, long dataStart, Map<String, Entry> entries) {
        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new IllegalArgumentException("no tensor '" + name + "' in " + file);
            }
            return e;
        }
    }

    /** Bytes a tensor moves between file and engine at a time, through one reusable direct buffer. */
    static final int CHUNK_BYTES = 1 << 26;

    /** Elements converted between bf16 and float32 at a time, in one reusable direct buffer (64 MiB of float32). */
    private static final int CONVERT_ELEMENTS = 1 << 24;
    /** The conversion buffers, allocated once (loads and writes are serialised on them). */
    private static ByteBuffer readBuffer;
    private static ByteBuffer wideBuffer;
    private static ByteBuffer narrowBuffer;

    private static final long MAX_HEADER = 100_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /** Reads and checks a file's header: every tensor's range lies in the file and matches its dtype and shape. */
    public static Header header(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 8 || ch.read(lenBuf, 0) != 8) {
                throw new IOException(file + " is not a safetensors file (shorter than 8 bytes)");
            }
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new IOException(file + " is not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            while (header.hasRemaining() && ch.read(header, 8 + header.position()) > 0) {
                // read the whole header
            }
            JsonNode h;
            try {
                h = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new IOException(file + " has a malformed safetensors header: " + e.getOriginalMessage());
            }
            long dataStart = 8 + headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("__metadata__")) {
                    entries.put(e.getKey(), entry(file, e.getKey(), e.getValue(), size - dataStart));
                }
            }
            return new Header(file, dataStart, Collections.unmodifiableMap(entries));
        }
    }

    private static Entry entry(Path file, String name, JsonNode t, long dataBytes) throws IOException {
        JsonNode shapeNode = t.get("shape");
        JsonNode offsets = t.get("data_offsets");
        if (t.get("dtype") == null || shapeNode == null || !shapeNode.isArray() || offsets == null
                || offsets.size() != 2) {
            throw new IOException(file + ": tensor '" + name + "' needs dtype, shape and two data_offsets");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(t.get("dtype").asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": tensor '" + name + "' has dtype " + t.get("dtype").asText()
                    + "; supported: F32, BF16, F16");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new IOException(file + ": tensor '" + name + "' has a negative or non-numeric dimension");
            }
            count = Math.multiplyExact(count, shape[i]);
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataBytes) {
            throw new IOException(file + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end
                    + "] outside the file's " + dataBytes + " data bytes (a truncated file?)");
        }
        if (end - begin != count * dtype.bytes()) {
            throw new IOException(file + ": tensor '" + name + "' is " + dtype + " of shape "
                    + java.util.Arrays.toString(shape) + " (" + count * dtype.bytes() + " bytes) but its data_offsets "
                    + "span " + (end - begin) + " bytes: the dtype does not match the data");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /**
     * One tensor in native memory the manager owns, as {@link DType#engine()} (F32 and F16 as
     * stored, BF16 widened to float32): read from the file a chunk at a time into one reusable
     * direct buffer and copied by the engine, never through Java arrays. Neither a mapping nor a
     * fresh direct buffer per tensor: both stay resident until a garbage collection that a small
     * heap may never run, which held about a model's size again after loading (bench memory).
     */
    public static synchronized NDArray load(Header h, String name, NDManager m) throws IOException {
        Entry e = h.entry(name);
        Shape shape = new Shape(e.shape());
        if (e.count() == 0) {
            return m.zeros(shape, e.dtype().engine());
        }
        boolean widen = e.dtype() == DType.BF16;
        long perChunk = widen ? CONVERT_ELEMENTS : CHUNK_BYTES / e.dtype().bytes();
        if (readBuffer == null) {
            readBuffer = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (widen && wideBuffer == null) {
            wideBuffer = ByteBuffer.allocateDirect(4 * CONVERT_ELEMENTS).order(ByteOrder.LITTLE_ENDIAN);
        }
        try (FileChannel ch = FileChannel.open(h.file(), StandardOpenOption.READ)) {
            // one array the engine owns, filled chunk by chunk: the peak is the tensor plus one chunk
            NDArray flat = e.count() <= perChunk ? null : m.create(new Shape(e.count()), e.dtype().engine());
            for (long first = 0; first < e.count(); first += perChunk) {
                int n = (int) Math.min(perChunk, e.count() - first);
                ByteBuffer chunk = readBuffer.clear().limit(n * e.dtype().bytes());
                long position = h.dataStart() + e.begin() + first * e.dtype().bytes();
                while (chunk.hasRemaining()) {
                    if (ch.read(chunk, position + chunk.position()) < 0) {
                        throw new IOException(h.file() + " ends inside tensor '" + name + "'");
                    }
                }
                chunk.flip();
                if (widen) {
                    ByteBuffer wide = wideBuffer.clear();
                    for (int i = 0; i < n; i++) {
                        wide.putInt((chunk.getShort() & 0xffff) << 16); // bf16 is the top half of a float32
                    }
                    chunk = wide.flip();
                }
                // the engine wraps a direct buffer without copying it; the copy is memory it owns (the buffer is reused)
                try (NDArray view = m.create(chunk, new Shape(n), e.dtype().engine())) {
                    if (flat == null) {
                        flat = view.duplicate();
                    } else {
                        flat.set(new NDIndex(first + ":" + (first + n)), view);
                    }
                }
            }
            if (e.shape().length == 1) {
                return flat;
            }
            NDArray out = flat.reshape(shape);
            flat.close(); // the reshaped array keeps the storage
            return out;
        }
    }

    /** Every tensor of a small file, widened to float32 in Java arrays (the optimizer state, fixtures). */
    public static Map<String, Tensor> read(Path file) throws IOException {
        Header h = header(file);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (Entry e : h.entries().values()) {
                long bytes = e.end() - e.begin();
                if (bytes > Integer.MAX_VALUE - 8) {
                    throw new IOException(file + ": tensor '" + e.name() + "' is over 2 GB; load it into the engine "
                            + "with SafeTensors.load");
                }
                ByteBuffer raw = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
                while (raw.hasRemaining() && ch.read(raw, h.dataStart() + e.begin() + raw.position()) > 0) {
                    // read the whole range
                }
                raw.flip();
                out.put(e.name(), new Tensor(e.shape(), decode(e.dtype(), raw, (int) e.count())));
            }
        }
        return out;
    }

    private static float[] decode(DType dtype, ByteBuffer raw, int count) {
        float[] f = new float[count];
        switch (dtype) {
            case F32 -> raw.asFloatBuffer().get(f);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    f[i] = Float.intBitsToFloat((raw.getShort() & 0xffff) << 16);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    f[i] = halfToFloat(raw.getShort());
                }
            }
        }
        return f;
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat needs Java 20). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf / NaN
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant / 1024f * (float) Math.pow(2, -14); // subnormal
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Writes float32 tensors, in the order given, deterministically (same input, same bytes). */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((k, t) -> shapes.put(k, t.shape()));
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(headerBytes(shapes, name -> DType.F32));
            for (Tensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.data());
                out.write(b.array());
            }
        }
    }

    /**
     * Writes engine tensors (float32 or float16) in the given dtype (null: each as it is), in the
     * order given, deterministically; each tensor leaves the engine a chunk at a time (bf16 rounded
     * to nearest even, as PyTorch rounds), so no tensor is ever whole in the Java heap and tensors
     * of any size are written.
     */
    public static synchronized void write(Path file, Map<String, NDArray> tensors, DType dtype) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((k, t) -> shapes.put(k, t.getShape().getShape()));
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.wrap(headerBytes(shapes, name -> dtype != null ? dtype
                    : DType.of(tensors.get(name).getDataType()))));
            for (NDArray t : tensors.values()) {
                DType d = dtype != null ? dtype : DType.of(t.getDataType());
                long count = t.getShape().size();
                long perChunk = d == DType.BF16 ? CONVERT_ELEMENTS : CHUNK_BYTES / 4;
                try (NDManager scratch = t.getManager().newSubManager()) {
                    NDArray flat = t.reshape(-1);
                    flat.attach(scratch);
                    for (long first = 0; first < count; first += perChunk) {
                        long last = Math.min(count, first + perChunk);
                        NDArray part = count <= perChunk ? flat : flat.get(new NDIndex(first + ":" + last));
                        NDArray typed = part.getDataType() == d.engine() ? part : part.toType(d.engine(), false);
                        ByteBuffer bytes = typed.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                        if (d == DType.BF16) {
                            if (narrowBuffer == null) {
                                narrowBuffer = ByteBuffer.allocateDirect(2 * CONVERT_ELEMENTS)
                                        .order(ByteOrder.LITTLE_ENDIAN);
                            }
                            ByteBuffer narrow = narrowBuffer.clear();
                            while (bytes.hasRemaining()) {
                                narrow.putShort(toBf16(bytes.getInt()));
                            }
                            bytes = narrow.flip();
                        }
                        writeFully(out, bytes);
                    }
                }
            }
        }
    }

    /** The bf16 nearest a float32 (ties to even), NaN kept NaN. */
    public static short toBf16(int floatBits) {
        if ((floatBits & 0x7fffffff) > 0x7f800000) {
            return (short) ((floatBits >>> 16) | 0x40); // a quiet NaN
        }
        return (short) ((floatBits + 0x7fff + ((floatBits >>> 16) & 1)) >>> 16);
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /** The length-prefixed, space-padded JSON header of tensors laid out back to back in the order given. */
    private static byte[] headerBytes(Map<String, long[]> shapes, java.util.function.Function<String, DType> dtypes) {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            DType d = dtypes.apply(e.getKey());
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", d.name());
            var shape = t.putArray("shape");
            long count = 1;
            for (long dim : e.getValue()) {
                shape.add(dim);
                count *= dim;
            }
            long bytes = d.bytes() * count;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8; // keep the data 8-byte aligned, as the reference writer does
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length + pad).put(h);
        for (int i = 0; i < pad; i++) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /** The bytes a tensor takes in a dtype (for shard planning). */
    public static long bytes(long[] shape, DType dtype) {
        long n = dtype.bytes();
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
