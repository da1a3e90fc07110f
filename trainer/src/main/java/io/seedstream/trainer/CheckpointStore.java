package io.seedstream.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.seedstream.model.Policy;
import io.seedstream.model.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A directory of checkpoints, one sub-directory per step ({@code step-0000000042}), each in the
 * Hugging Face layout (in the model's own dtype) plus {@code trainer-state.json}; a full one also
 * holds {@code optimizer.safetensors} and, for a model narrower than float32, its float32 master
 * weights. A
 * checkpoint is written into a temporary directory and renamed into place, so a crash leaves
 * either a whole checkpoint or none.
 */
public final class CheckpointStore {

    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer-state.json";
    /**
     * The float32 weights a full checkpoint also holds when the model's own dtype (its weights
     * file) is narrower: resuming from the rounded weights would not continue the run bit for bit.
     */
    public static final String MASTER_WEIGHTS = "master-weights.safetensors";
    private static final String PREFIX = "step-";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;

    public CheckpointStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** A complete checkpoint: its directory and state. */
    public record Checkpoint(Path dir, TrainerState state) {

        public String uri() {
            return dir.toAbsolutePath().toUri().toString();
        }

        /** Whether it holds the optimizer's moments, so that training can resume from it. */
        public boolean full() {
            return Files.isRegularFile(dir.resolve(OPTIMIZER));
        }

        /** Where training resumes its weights from: the float32 master copy if there is one, else the weights. */
        public Path resumeWeights() {
            Path master = dir.resolve(MASTER_WEIGHTS);
            return Files.isRegularFile(master) ? master : dir;
        }
    }

    static String dirName(long step) {
        return String.format("%s%010d", PREFIX, step);
    }

    /** Writes weights, tokenizer, optimizer moments and state for {@code state.step()}: a full checkpoint. */
    public Checkpoint write(Policy policy, AdamW optimizer, TrainerState state) throws IOException {
        return write(policy, optimizer, state, true);
    }

    /**
     * Writes weights, tokenizer and state for {@code state.step()}, and the optimizer's moments when
     * {@code full}: a restart can resume from a full checkpoint only.
     */
    public Checkpoint write(Policy policy, AdamW optimizer, TrainerState state, boolean full) throws IOException {
        Files.createDirectories(root);
        Path target = root.resolve(dirName(state.step()));
        Path tmp = root.resolve("." + dirName(state.step()) + ".partial");
        deleteTree(tmp);
        String sha = policy.save(tmp);
        if (full) {
            SafeTensors.write(tmp.resolve(OPTIMIZER), optimizer.state(), SafeTensors.DType.F32);
            if (policy.dtype() != SafeTensors.DType.F32) {
                SafeTensors.write(tmp.resolve(MASTER_WEIGHTS), policy.model().weights().all(), SafeTensors.DType.F32);
            }
        }
        TrainerState stamped = new TrainerState(state.runId(), state.step(), state.topic(), state.nextOffsets(),
                state.appliedBatches(), state.rejectedBatches(), state.previous(), sha, state.rng(), state.createdAt(),
                state.settings(), state.consumedGroups());
        JSON.writeValue(tmp.resolve(STATE).toFile(), stamped);
        deleteTree(target); // a step redone after a crash replaces what an older run left there
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return new Checkpoint(target, stamped);
    }

    /** Reads the checkpoint in a directory (of any store). */
    public static Checkpoint read(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve(STATE))) {
            throw new IOException(dir + " is not a complete checkpoint (no " + STATE + ")");
        }
        return new Checkpoint(dir, JSON.readValue(dir.resolve(STATE).toFile(), TrainerState.class));
    }

    /** Copies a checkpoint of another store into this one (a replay starts from it); returns the copy. */
    public Checkpoint copyIn(Checkpoint source) throws IOException {
        Path target = root.resolve(dirName(source.state().step()));
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source.dir())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return read(target);
    }

    /** Every complete checkpoint, oldest first. */
    public List<Checkpoint> list() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Checkpoint> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(PREFIX)).sorted().toList()) {
                if (Files.isRegularFile(d.resolve(STATE))) {
                    out.add(read(d));
                }
            }
        }
        return out;
    }

    public Optional<Checkpoint> latest() throws IOException {
        List<Checkpoint> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The newest checkpoint that holds the optimizer's moments: where a restart resumes. */
    public Optional<Checkpoint> latestFull() throws IOException {
        List<Checkpoint> all = list();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).full()) {
                return Optional.of(all.get(i));
            }
        }
        return Optional.empty();
    }

    /** Restores the optimizer's moments and step count from a full checkpoint. */
    public static void restoreOptimizer(Checkpoint c, AdamW optimizer) throws IOException {
        if (!c.full()) {
            throw new IOException(c.dir() + " holds no optimizer moments (" + OPTIMIZER + "): training resumes from a "
                    + "full checkpoint only (trainer.checkpoint.full.every)");
        }
        optimizer.restore(c.dir().resolve(OPTIMIZER), c.state().step());
    }

    /**
     * Deletes all but the newest {@code keep} checkpoints (0 keeps all) and any partial write; the
     * newest full checkpoint always stays, a restart needs it, and so does every version that is a
     * multiple of {@code keepEvery} (0: none), which held-out rounds evaluate.
     */
    public void prune(int keep, int keepEvery) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path p : dirs.filter(d -> d.getFileName().toString().endsWith(".partial")).toList()) {
                deleteTree(p);
            }
        }
        if (keep > 0) {
            List<Checkpoint> all = list();
            Path full = latestFull().map(Checkpoint::dir).orElse(null);
            for (int i = 0; i < all.size() - keep; i++) {
                long version = all.get(i).state().step();
                if (!all.get(i).dir().equals(full) && !(keepEvery > 0 && version % keepEvery == 0)) {
                    deleteTree(all.get(i).dir());
                }
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
