package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights at real size: shards with an index, bf16 on disk, tensors over 2 GB, and clear errors. */
class ShardedCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The Qwen2 fixture's shape with llama3 rope scaling, random weights: written as bf16 shards with
     * an index, it loads, decodes and saves back the same.
     */
    @Test
    void aModelWrittenAsBf16ShardsLoadsDecodesAndRoundTrips(@TempDir Path tmp) throws Exception {
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(QwenFixture.DIR.resolve("config.json").toFile());
        json.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        ModelConfig c = ModelConfig.fromJson(json);
        assertThat(c.ropeScaling().type()).isEqualTo(RopeScaling.Type.LLAMA3);
        byte[] tokenizer = Files.readAllBytes(QwenFixture.DIR.resolve("tokenizer.json"));
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(c, 3, m)) {
            long total = w.all().values().stream().mapToLong(a -> 2 * a.getShape().size()).sum();
            var bf16 = new Checkpoints.SaveOptions(SafeTensors.DType.BF16, total / 2 + 1);
            Path dir = tmp.resolve("sharded");
            String sha = Checkpoints.save(dir, c, w, tokenizer, bf16);

            JsonNode index = JSON.readTree(dir.resolve(Checkpoints.INDEX).toFile());
            assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(total);
            Set<String> shards = new java.util.TreeSet<>();
            index.get("weight_map").fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
            assertThat(shards).hasSizeGreaterThan(1);
            int number = 0;
            for (String shard : shards) {
                assertThat(shard).isEqualTo(String.format("model-%05d-of-%05d.safetensors", ++number, shards.size()));
            }
            assertThat(dir.resolve(Checkpoints.WEIGHTS)).doesNotExist();
            for (String shard : shards) {
                assertThat(SafeTensors.header(dir.resolve(shard)).entries().values())
                        .allMatch(e -> e.dtype() == SafeTensors.DType.BF16);
            }
            assertThat(Checkpoints.weightsSha256(dir)).isEqualTo(sha);

            try (Policy p = Policy.load(dir, m)) {
                assertThat(p.model().config()).isEqualTo(c);
                for (String name : c.weightNames()) {
                    float[] rounded = w.get(name).toFloatArray();
                    for (int i = 0; i < rounded.length; i++) {
                        rounded[i] = Float.intBitsToFloat(SafeTensors.toBf16(Float.floatToIntBits(rounded[i])) << 16);
                    }
                    assertThat(p.model().weights().get(name).toFloatArray()).as(name).containsExactly(rounded);
                }
                // bf16 keeps 8 bits of mantissa: the logits move by about a percent of their scale, no more
                try (NDManager step = m.newSubManager()) {
                    NDArray ids = step.create(new long[] {1, 2, 3, 4, 5}).reshape(1, 5);
                    float[] exact = new Transformer(c, w).forward(ids).toFloatArray();
                    float[] rounded = p.model().forward(ids).toFloatArray();
                    double scale = 0;
                    double worst = 0;
                    for (int i = 0; i < exact.length; i++) {
                        scale = Math.max(scale, Math.abs(exact[i]));
                        worst = Math.max(worst, Math.abs(exact[i] - rounded[i]));
                    }
                    assertThat(worst).isGreaterThan(0).isLessThan(0.03 * scale);
                }
                Completion out = p.sampler().generate(List.of(new int[] {1, 2, 3}), SamplingOptions.greedy(4, Set.of()),
                        m, false).get(0);
                assertThat(out.tokenIds()).hasSizeBetween(1, 4);

                Path again = tmp.resolve("again");
                assertThat(Checkpoints.save(again, c, p.model().weights(), tokenizer, bf16)).isEqualTo(sha);
                assertThat(Files.readAllBytes(again.resolve(Checkpoints.INDEX)))
                        .isEqualTo(Files.readAllBytes(dir.resolve(Checkpoints.INDEX)));
                // saved again in one file, the shards and the index go
                Checkpoints.save(again, c, p.model().weights(), tokenizer);
                try (var files = Files.list(again)) {
                    assertThat(files.map(f -> f.getFileName().toString()))
                            .containsExactlyInAnyOrder("config.json", "model.safetensors", "tokenizer.json");
                }
            }
        }
    }

    /** A broken checkpoint names the file that is wrong. */
    @Test
    void aMalformedIndexAMissingShardAndADtypeMismatchNameTheFile(@TempDir Path tmp) throws Exception {
        ModelConfig c = ModelConfig.read(QwenFixture.DIR.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(c, 3, m)) {
            Path dir = tmp.resolve("ckpt");
            Checkpoints.save(dir, c, w, null, new Checkpoints.SaveOptions(SafeTensors.DType.F32, 40_000));
            Path index = dir.resolve(Checkpoints.INDEX);
            String good = Files.readString(index);

            Files.writeString(index, good.substring(0, good.length() / 2));
            assertThatThrownBy(() -> Weights.load(c, dir, m)).hasMessageContaining(index.toString())
                    .hasMessageContaining("not valid JSON");
            Files.writeString(index, "{\"metadata\": {}}");
            assertThatThrownBy(() -> Weights.load(c, dir, m)).hasMessageContaining("weight_map");

            Files.writeString(index, good);
            Path shard = dir.resolve("model-00002-of-" + good.replaceAll("(?s).*-of-(\\d{5}).*", "$1") + ".safetensors");
            Path moved = tmp.resolve("elsewhere.safetensors");
            Files.move(shard, moved);
            assertThatThrownBy(() -> Weights.load(c, dir, m)).hasMessageContaining(shard.getFileName().toString())
                    .hasMessageContaining("missing");
            Files.move(moved, shard);

            // a header that calls F32 data BF16: the byte range no longer matches the dtype and shape
            rewriteHeader(shard, h -> h.replaceFirst("\"F32\"", "\"BF16\""));
            assertThatThrownBy(() -> Weights.load(c, dir, m)).hasMessageContaining(shard.toString())
                    .hasMessageContaining("does not match");
        }
    }

    /**
     * An f16 tensor of 2.2 GB (over a ByteBuffer's 2 GB) in a sparse file: read into the engine and
     * written back, its marked elements (first, each side of a chunk boundary, last) in place.
     */
    @Test
    void aTensorOverTwoGigabytesIsReadAndWritten(@TempDir Path tmp) throws Exception {
        long n = 1_100_000_000L;
        Path file = tmp.resolve("big.safetensors");
        String header = "{\"big\":{\"dtype\":\"F16\",\"shape\":[" + n + "],\"data_offsets\":[0," + 2 * n + "]}}";
        header += " ".repeat((8 - header.length() % 8) % 8);
        long start = 8 + header.length();
        long boundary = SafeTensors.CHUNK_BYTES / 2;
        Map<Long, Short> marks = Map.of(0L, (short) 0x3e00, boundary - 1, (short) 0xc000, boundary, (short) 0x4200, n - 1,
                (short) 0x4700); // 1.5, -2, 3, 7 in binary16
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(start + 2 * n);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length());
            f.write(len.array());
            f.write(header.getBytes(StandardCharsets.UTF_8));
            for (var e : marks.entrySet()) {
                f.seek(start + 2 * e.getKey());
                f.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(e.getValue()).array());
            }
        }
        Path copy = tmp.resolve("copy.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            try (NDArray big = SafeTensors.load(SafeTensors.header(file), "big", m)) {
                assertThat(big.getDataType()).isEqualTo(DataType.FLOAT16);
                assertThat(big.getShape().getShape()).containsExactly(n);
                for (var e : marks.entrySet()) {
                    try (NDArray x = big.get(new NDIndex(e.getKey())).toType(DataType.FLOAT32, false)) {
                        assertThat(x.getFloat()).isEqualTo(SafeTensors.halfToFloat(e.getValue()));
                    }
                }
                SafeTensors.write(copy, Map.of("big", big), null);
            }
        }
        SafeTensors.Entry e = SafeTensors.header(copy).entry("big");
        assertThat(e.dtype()).isEqualTo(SafeTensors.DType.F16);
        assertThat(e.end() - e.begin()).isEqualTo(2 * n);
        try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.READ)) {
            long copyStart = SafeTensors.header(copy).dataStart();
            assertThat(ch.size()).isEqualTo(copyStart + 2 * n);
            for (var mark : marks.entrySet()) {
                ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(b, copyStart + 2 * mark.getKey());
                assertThat(b.flip().getShort()).as("element %d", mark.getKey()).isEqualTo(mark.getValue());
            }
        }
    }

    /** The file with its JSON header changed and its data as they were. */
    private static void rewriteHeader(Path file, java.util.function.UnaryOperator<String> change) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        int len = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = change.apply(new String(bytes, 8, len, StandardCharsets.UTF_8).strip());
        header += " ".repeat((8 - header.length() % 8) % 8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length() + bytes.length - 8 - len).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length()).put(header.getBytes(StandardCharsets.UTF_8)).put(bytes, 8 + len, bytes.length - 8 - len);
        Files.write(file, out.array());
    }

    /** Rounding to bf16 is to the nearest, ties to even, as PyTorch's. */
    @Test
    void bf16RoundsToNearestEven() {
        assertThat(SafeTensors.toBf16(Float.floatToIntBits(1.0f))).isEqualTo((short) 0x3f80);
        assertThat(SafeTensors.toBf16(0x3f808000)).isEqualTo((short) 0x3f80); // a tie, to the even 0x3f80
        assertThat(SafeTensors.toBf16(0x3f818000)).isEqualTo((short) 0x3f82); // a tie, to the even 0x3f82
        assertThat(SafeTensors.toBf16(0x3f808001)).isEqualTo((short) 0x3f81);
        assertThat(SafeTensors.toBf16(Float.floatToIntBits(Float.POSITIVE_INFINITY))).isEqualTo((short) 0x7f80);
        assertThat(Float.isNaN(Float.intBitsToFloat(SafeTensors.toBf16(Float.floatToIntBits(Float.NaN)) << 16))).isTrue();
    }
}
