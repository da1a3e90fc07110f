package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemoryPlanTest {

    /** Qwen2-0.5B as published (config.json of Qwen/Qwen2-0.5B). */
    static final ModelConfig QWEN2_0_5B = new ModelConfig("qwen2", 151_936, 896, 4864, 24, 14, 2, 64, 1e-6, 1_000_000,
            true, true, 32_768, 151_643, 151_645);

    static MemoryPlan.Shapes shapes(long microBatchTokens, boolean reference, SafeTensors.DType dtype) {
        return new MemoryPlan.Shapes(128, 256, 1024, microBatchTokens, reference, 64, dtype);
    }

    @Test
    void countsTheParametersOfAHubModelWithTiedEmbeddings() {
        // 0.49B is what the model card states; the count is exact from the shapes
        assertThat(QWEN2_0_5B.parameterCount()).isEqualTo(494_032_768L);
    }

    @Test
    void theTrainerHoldsSixteenBytesAParameterPlusAReferenceWhenTheKlPenaltyIsOn() {
        long p = QWEN2_0_5B.parameterCount();
        MemoryPlan off = MemoryPlan.of(QWEN2_0_5B, shapes(8192, false, SafeTensors.DType.F32));
        MemoryPlan on = MemoryPlan.of(QWEN2_0_5B, shapes(8192, true, SafeTensors.DType.F32));
        assertThat(off.trainerStateBytes()).isEqualTo(16 * p);
        assertThat(on.trainerStateBytes()).isEqualTo(20 * p);
        assertThat(on.trainerBytes() - off.trainerBytes()).isEqualTo(4 * p);
        assertThat(off.trainerBytes()).isEqualTo(off.trainer().values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void activationsGrowWithTheMicroBatchNotWithTheStep() {
        // 1280-token sequences: 6 per pass at 8192 tokens, 12 at 16384
        MemoryPlan small = MemoryPlan.of(QWEN2_0_5B, shapes(8192, false, SafeTensors.DType.F32));
        MemoryPlan twice = MemoryPlan.of(QWEN2_0_5B, shapes(16384, false, SafeTensors.DType.F32));
        assertThat((double) twice.trainer().get("activations") / small.trainer().get("activations")).isEqualTo(2.0);
        assertThat((double) twice.trainer().get("output_layer") / small.trainer().get("output_layer")).isEqualTo(2.0);
        // a budget beyond the whole step changes nothing: the step has only 128 answers
        MemoryPlan all = MemoryPlan.of(QWEN2_0_5B, shapes(128L * 1280, false, SafeTensors.DType.F32));
        MemoryPlan more = MemoryPlan.of(QWEN2_0_5B, shapes(1L << 40, false, SafeTensors.DType.F32));
        assertThat(more.trainer()).isEqualTo(all.trainer());
        // a sequence longer than the budget still goes through, alone
        MemoryPlan one = MemoryPlan.of(QWEN2_0_5B, shapes(1, false, SafeTensors.DType.F32));
        assertThat(one.trainer().get("activations") * 6).isEqualTo(small.trainer().get("activations"));
    }

    @Test
    void theGeneratorsCacheHoldsKeysAndValuesOfEveryLayerForEverySequence() {
        MemoryPlan plan = MemoryPlan.of(QWEN2_0_5B, shapes(8192, false, SafeTensors.DType.F32));
        // 2 (keys, values) x 24 layers x 2 KV heads x 64 x 64 sequences x 1280 tokens x 4 bytes
        assertThat(plan.generator().get("kv_cache")).isEqualTo(2L * 24 * 2 * 64 * 64 * 1280 * 4);
        assertThat(plan.generator().get("weights")).isEqualTo(4 * QWEN2_0_5B.parameterCount());
    }

    @Test
    void checkpointsTakeTheirDtypesWidthAndFullOnesAddTheFloat32Moments() {
        long p = QWEN2_0_5B.parameterCount();
        MemoryPlan bf16 = MemoryPlan.of(QWEN2_0_5B, shapes(8192, false, SafeTensors.DType.BF16));
        MemoryPlan f32 = MemoryPlan.of(QWEN2_0_5B, shapes(8192, false, SafeTensors.DType.F32));
        assertThat(bf16.lightCheckpointBytes()).isEqualTo(2 * p);
        assertThat(f32.lightCheckpointBytes()).isEqualTo(4 * p);
        // moments, and for a narrower dtype the float32 master weights the trainer resumes from
        assertThat(f32.fullCheckpointBytes()).isEqualTo(4 * p + 8 * p);
        assertThat(bf16.fullCheckpointBytes()).isEqualTo(2 * p + 8 * p + 4 * p);
    }

    @Test
    void refusesAShapeOfZero() {
        assertThatThrownBy(() -> new MemoryPlan.Shapes(0, 1, 1, 1, false, 1, SafeTensors.DType.F32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }
}
