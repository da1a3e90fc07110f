package io.seedstream.producers.prompts;

import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.Prompt;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Loads a JSONL prompts file into the prompts topic. A malformed line is reported with its line
 * number and reason, sent to the dead-letter topic, and the rest of the file still loads. Blank
 * lines and repeated ids are skipped.
 */
public final class PromptLoader {

    /** Progress after each line: bytes of the file read so far, of its size. */
    public interface Progress {
        void update(long done, long total);
    }

    /** A line that could not be loaded. */
    public record LineError(long line, String reason) {}

    /** What a load did. */
    public record Summary(long loaded, long skipped, long failed, List<LineError> errors) {
        public String describe() {
            return "loaded " + loaded + ", skipped " + skipped + ", failed " + failed;
        }
    }

    private final Producer<String, Prompt> prompts;
    private final Producer<String, DeadLetter> deadLetters;
    private final String promptsTopic;
    private final String deadLetterTopic;
    private final Clock clock;

    public PromptLoader(Producer<String, Prompt> prompts, String promptsTopic,
            Producer<String, DeadLetter> deadLetters, String deadLetterTopic, Clock clock) {
        this.prompts = prompts;
        this.promptsTopic = promptsTopic;
        this.deadLetters = deadLetters;
        this.deadLetterTopic = deadLetterTopic;
        this.clock = clock;
    }

    /** The dataset name a file gets when none is given: its name without extension. */
    public static String datasetOf(Path file) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    public Summary load(Path file, String dataset, Progress progress) throws IOException {
        long total = Files.size(file); // progress in bytes: the file is read once
        List<LineError> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicLong loaded = new AtomicLong();
        long skipped = 0;
        Set<String> seen = new HashSet<>();
        CountingInputStream in = new CountingInputStream(Files.newInputStream(file));
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            long n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                long lineNo = n;
                if (line.isBlank()) {
                    skipped++;
                } else {
                    try {
                        Prompt p = PromptLine.parse(line, dataset);
                        if (!seen.add(p.getId())) {
                            skipped++;
                        } else {
                            prompts.send(new ProducerRecord<>(promptsTopic, p.getId(), p), (meta, e) -> {
                                if (e == null) {
                                    loaded.incrementAndGet();
                                } else {
                                    errors.add(new LineError(lineNo, "not written to " + promptsTopic + ": " + e));
                                }
                            });
                        }
                    } catch (PromptLine.MalformedLineException e) {
                        errors.add(new LineError(lineNo, e.getMessage()));
                        deadLetter(file, lineNo, line, e.getMessage());
                    }
                }
                progress.update(in.count(), total);
            }
        }
        prompts.flush();
        deadLetters.flush();
        List<LineError> sorted = new ArrayList<>(errors);
        sorted.sort((a, b) -> Long.compare(a.line(), b.line()));
        return new Summary(loaded.get(), skipped, sorted.size(), sorted);
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            count += Math.max(0, n);
            return n;
        }

        long count() {
            return count;
        }
    }

    private void deadLetter(Path file, long lineNo, String line, String reason) {
        DeadLetter d = DeadLetter.newBuilder().setSourceTopic(file.toString()).setPartition(-1)
                .setOffset(lineNo).setStage("prompts-load").setError("line " + lineNo + ": " + reason)
                .setErrorClass(null).setRawKey(null)
                .setRawValue(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)))
                .setFailedAt(clock.instant()).build();
        deadLetters.send(new ProducerRecord<>(deadLetterTopic, file.getFileName() + ":" + lineNo, d));
    }
}
