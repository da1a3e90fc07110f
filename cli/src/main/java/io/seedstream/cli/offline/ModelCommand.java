package io.seedstream.cli.offline;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.CommandGroup;
import io.seedstream.model.Completion;
import io.seedstream.model.Policy;
import io.seedstream.model.SamplingOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "model", mixinStandardHelpOptions = true, description = "Run the policy model directly.",
        subcommands = {ModelCommand.Forward.class, ModelCommand.Generate.class})
public final class ModelCommand extends CommandGroup {


    /**
     * cpu (default), gpu or gpu:N; a GPU needs a CUDA PyTorch native library (docs/method.md, the cuda
     * profile). Untested here: no CUDA natives are served to these machines.
     */
    public static Device device(String name) {
        if (name.equals("cpu")) {
            return Device.cpu();
        }
        java.util.regex.Matcher gpu = java.util.regex.Pattern.compile("gpu(?::(\\d{1,3}))?").matcher(name);
        if (gpu.matches()) {
            int id = gpu.group(1) == null ? 0 : Integer.parseInt(gpu.group(1));
            int count = Engine.getInstance().getGpuCount();
            if (id >= count) {
                throw new IllegalArgumentException("--device " + name + ": the PyTorch engine sees " + count
                        + " GPU(s) (build with -Pcuda on a machine with CUDA)");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("--device was '" + name + "', must be cpu, gpu or gpu:N");
    }

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Print the logits of a token sequence as one JSON object {\"logits\": [[...], ...]}.")
    static final class Forward implements Callable<Integer> {

        @Option(names = "--model-dir", required = true, description = "Hugging Face model directory.")
        Path modelDir;

        @Option(names = "--input-ids", required = true, description = "Token ids separated by spaces, e.g. \"1 2 3\".")
        String inputIds;

        @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu (default: ${DEFAULT-VALUE}).")
        public String device;

        @Override
        public Integer call() throws Exception {
            long[] ids;
            try {
                ids = Arrays.stream(inputIds.trim().split("[\\s,]+")).mapToLong(Long::parseLong).toArray();
            } catch (NumberFormatException e) {
                System.err.println("seedstream model forward: --input-ids must be integers: " + e.getMessage());
                return 2;
            }
            try (NDManager m = NDManager.newBaseManager(device(device)); Policy policy = Policy.load(modelDir, m)) {
                int vocab = policy.model().config().vocabSize();
                for (long id : ids) {
                    if (id < 0 || id >= vocab) {
                        System.err.println("seedstream model forward: token id " + id + " outside [0, " + vocab + ")");
                        return 2;
                    }
                }
                NDArray logits = policy.model().forward(m.create(ids).reshape(1, ids.length));
                float[] flat = logits.toFloatArray();
                ObjectMapper json = new ObjectMapper();
                ObjectNode out = json.createObjectNode();
                ArrayNode rows = out.putArray("logits");
                for (int t = 0; t < ids.length; t++) {
                    ArrayNode row = rows.addArray();
                    for (int j = 0; j < vocab; j++) {
                        row.add(flat[t * vocab + j]);
                    }
                }
                System.out.println(out);
            }
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true, description = "Print a completion of a prompt.")
    static final class Generate implements Callable<Integer> {

        @Option(names = "--model-dir", required = true, description = "Hugging Face model directory.")
        Path modelDir;

        @Option(names = "--prompt", required = true, description = "The prompt text.")
        String prompt;

        @Option(names = "--max-new-tokens", defaultValue = "128", description = "Token budget (default: ${DEFAULT-VALUE}).")
        int maxNewTokens;

        @ArgGroup(exclusive = true)
        Mode mode = new Mode();

        static final class Mode {
            @Option(names = "--greedy", description = "Greedy decoding (the default).")
            boolean greedy;

            @ArgGroup(exclusive = false)
            SamplingFlags sampling;
        }

        static final class SamplingFlags {
            @Option(names = "--temperature", required = true, description = "Sampling temperature (> 0).")
            double temperature;

            @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus mass (default: ${DEFAULT-VALUE}).")
            double topP;

            @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
            long seed;
        }

        @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu (default: ${DEFAULT-VALUE}).")
        public String device;

        @Override
        public Integer call() throws Exception {
            try (NDManager m = NDManager.newBaseManager(device(device)); Policy policy = Policy.load(modelDir, m)) {
                int[] ids = policy.tokenizer().encode(prompt);
                if (ids.length == 0) {
                    System.err.println("seedstream model generate: the prompt encodes to no tokens");
                    return 2;
                }
                Set<Integer> stop = Set.of(policy.model().config().eosTokenId());
                SamplingOptions o = mode.sampling == null ? SamplingOptions.greedy(maxNewTokens, stop)
                        : SamplingOptions.sample(mode.sampling.temperature, mode.sampling.topP, 0, maxNewTokens, stop,
                                mode.sampling.seed);
                Completion c = policy.sampler().generate(List.of(ids), o, m, true).get(0);
                System.out.println(c.text());
                System.err.printf("seedstream model generate: %d tokens, finished by %s%n", c.tokenIds().length,
                        c.finishedByStop() ? "stop" : "length");
            } catch (IllegalArgumentException e) {
                System.err.println("seedstream model generate: " + e.getMessage());
                return 2;
            }
            return 0;
        }
    }
}
