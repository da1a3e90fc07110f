package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.Prompt;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@code prompts-by-id} store: every instance holds every prompt. An undecodable
 * prompt is logged and skipped (the global thread cannot write dead letters); a tombstone deletes.
 */
final class PromptStoreUpdater implements Processor<String, byte[], Void, Void> {

    private static final Logger log = LoggerFactory.getLogger(PromptStoreUpdater.class);

    private final Deserializer<Prompt> prompts;
    private final String topic;
    private KeyValueStore<String, Prompt> store;

    PromptStoreUpdater(Deserializer<Prompt> prompts, String topic) {
        this.prompts = prompts;
        this.topic = topic;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(ScoringTopology.PROMPTS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            log.warn("skipping a prompt without a key");
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            return;
        }
        try {
            store.put(record.key(), prompts.deserialize(topic, record.value()));
        } catch (RuntimeException e) {
            log.warn("skipping undecodable prompt {}: {}", record.key(), e.getMessage());
        }
    }
}
