package io.seedstream.producers.generator;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Policy;
import io.seedstream.schemas.avro.PolicyVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Opens the checkpoint an announcement points at: resolves its URI (a {@code file:} URI, or the
 * same directory name under a local mount of the checkpoint store), checks the weights' sha256
 * against the announcement before anything is loaded, then loads the policy.
 */
final class CheckpointLoader {

    /** Why a checkpoint was not loaded; the generator keeps the weights it has. */
    static final class RefusedException extends Exception {
        RefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path checkpointDir;

    /** @param checkpointDir where this machine sees the checkpoint store, or null */
    CheckpointLoader(Path checkpointDir) {
        this.checkpointDir = checkpointDir;
    }

    Path resolve(PolicyVersion v) throws RefusedException {
        Path dir;
        try {
            URI uri = URI.create(v.getCheckpointUri());
            dir = uri.getScheme() == null ? Paths.get(v.getCheckpointUri()) : Paths.get(uri);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new RefusedException("version " + v.getVersion() + ": cannot read checkpoint URI '"
                    + v.getCheckpointUri() + "': " + e.getMessage(), e);
        }
        if (!Files.isDirectory(dir) && checkpointDir != null && dir.getFileName() != null) {
            Path local = checkpointDir.resolve(dir.getFileName().toString());
            if (Files.isDirectory(local)) {
                return local;
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new RefusedException("version " + v.getVersion() + ": checkpoint " + dir + " is missing"
                    + (checkpointDir == null ? "" : " (also under " + checkpointDir + ")"), null);
        }
        return dir;
    }

    Policy load(PolicyVersion v, NDManager manager) throws RefusedException {
        Path dir = resolve(v);
        String sha;
        try {
            sha = Checkpoints.weightsSha256(dir);
        } catch (IOException e) {
            throw new RefusedException("version " + v.getVersion() + ": cannot read the weights of " + dir + ": "
                    + e.getMessage(), e);
        }
        if (!sha.equalsIgnoreCase(v.getSha256())) {
            throw new RefusedException("version " + v.getVersion() + ": sha256 of the weights in " + dir
                    + " is " + sha + ", the announcement says " + v.getSha256(), null);
        }
        try {
            return Policy.load(dir, manager);
        } catch (IOException | RuntimeException e) {
            throw new RefusedException("version " + v.getVersion() + ": cannot load " + dir + ": " + e.getMessage(), e);
        }
    }
}
