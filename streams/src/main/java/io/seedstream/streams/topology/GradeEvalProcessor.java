package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.EvalResult;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.streams.evaluation.ProblemOutcome;
import io.seedstream.streams.grading.Grader;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Grades a greedy evaluation answer against its prompt's references with the same grader as the
 * rewards, and checks its steps (step-verified accuracy); or a problem's sampled answers (mean@k,
 * pass@k, majority-of-k by meaning). Undecodable results and results for unknown prompts become dead letters.
 */
final class GradeEvalProcessor implements Processor<String, byte[], String, GradeEvalProcessor.EvalOutcome> {

    /** A graded evaluation answer (the greedy one, or the samples), or a dead letter. */
    record EvalOutcome(String benchmark, long policyVersion, ProblemOutcome outcome, boolean sampled, Outcome dead) {}

    private final Deserializer<EvalResult> results;
    private final String topic;
    private final Grader grader;
    private final ScoringMetrics metrics;
    private ProcessorContext<String, EvalOutcome> context;
    private KeyValueStore<String, Prompt> prompts;

    GradeEvalProcessor(Deserializer<EvalResult> results, String topic, Grader grader, ScoringMetrics metrics) {
        this.results = results;
        this.topic = topic;
        this.grader = grader;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, EvalOutcome> context) {
        this.context = context;
        this.prompts = context.getStateStore(ScoringTopology.PROMPTS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        EvalResult r;
        try {
            r = results.deserialize(topic, record.value());
            if (r == null) {
                throw new IllegalArgumentException("empty value");
            }
        } catch (RuntimeException e) {
            dead(record, partition, offset, "decode-eval", "cannot decode an eval result: " + e.getMessage(), e, now);
            return;
        }
        Prompt prompt = prompts.get(r.getPromptId());
        if (prompt == null) {
            dead(record, partition, offset, "join-prompt-eval", "prompt '" + r.getPromptId() + "' unknown", null, now);
            return;
        }
        int level = ProblemOutcome.levelOf(prompt.getMetadata());
        boolean sampled = !r.getSampledTexts().isEmpty();
        ProblemOutcome outcome;
        if (sampled) {
            // a sample's finish reason is not recorded: an answer that ran out of tokens has no boxed answer
            // to extract, so it is graded wrong all the same
            outcome = ProblemOutcome.gradeSamples(grader, r.getPromptId(), level, prompt.getAnswers(),
                    r.getSampledTexts().stream().map(t -> new ProblemOutcome.Answer(t, false)).toList());
        } else {
            outcome = ProblemOutcome.grade(grader, r.getPromptId(), level, prompt.getAnswers(),
                    new ProblemOutcome.Answer(r.getText(), r.getFinishReason() == FinishReason.LENGTH), List.of());
        }
        metrics.evalGraded();
        context.forward(new Record<>(r.getBenchmark() + "@" + r.getPolicyVersion(),
                new EvalOutcome(r.getBenchmark(), r.getPolicyVersion(), outcome, sampled, null), record.timestamp()));
    }


    private void dead(Record<String, byte[]> record, int partition, long offset, String stage, String error,
            Throwable cause, Instant now) {
        metrics.deadLetter(stage);
        context.forward(new Record<>(record.key(), new EvalOutcome(null, -1, null, false,
                Outcome.dead(topic, partition, offset, stage, error, cause, record.key(), record.value(), now)),
                record.timestamp()));
    }
}
