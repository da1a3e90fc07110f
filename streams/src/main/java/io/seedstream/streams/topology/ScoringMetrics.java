package io.seedstream.streams.topology;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the scoring topology, shared by its stream threads. */
public final class ScoringMetrics {

    private final LongAdder groupsScored = new LongAdder();
    private final LongAdder answersGraded = new LongAdder();
    private final LongAdder zeroAdvantageGroups = new LongAdder();
    private final LongAdder filteredGroups = new LongAdder();
    private final LongAdder gradingTimeouts = new LongAdder();
    private final LongAdder batchesEmitted = new LongAdder();
    private final LongAdder groupsWaitingForPrompt = new LongAdder();
    private final LongAdder evalResultsGraded = new LongAdder();
    private final Map<String, LongAdder> deadLettersByStage = new ConcurrentHashMap<>();

    void scored(int answers, boolean zeroAdvantage, int timeouts) {
        groupsScored.increment();
        answersGraded.add(answers);
        gradingTimeouts.add(timeouts);
        if (zeroAdvantage) {
            zeroAdvantageGroups.increment();
        }
    }

    void filtered() {
        filteredGroups.increment();
    }

    void batch() {
        batchesEmitted.increment();
    }

    void waiting() {
        groupsWaitingForPrompt.increment();
    }

    void evalGraded() {
        evalResultsGraded.increment();
    }

    void deadLetter(String stage) {
        deadLettersByStage.computeIfAbsent(stage, s -> new LongAdder()).increment();
    }

    public long groupsScored() {
        return groupsScored.sum();
    }

    public long deadLetters() {
        return deadLettersByStage.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Every counter, for the dashboard and logs. */
    /** These counters as meters of {@code registry}, tagged with the application. */
    void bindTo(MeterRegistry registry, String application) {
        Tags tags = Tags.of("application", application);
        Map<String, LongAdder> counters = Map.of("groups.scored", groupsScored, "answers.graded", answersGraded,
                "zero.advantage.groups", zeroAdvantageGroups, "filtered.groups", filteredGroups,
                "grading.timeouts", gradingTimeouts, "batches.emitted", batchesEmitted,
                "groups.waited.for.prompt", groupsWaitingForPrompt, "eval.results.graded", evalResultsGraded);
        counters.forEach((name, adder) -> FunctionCounter.builder("seedstream.scoring." + name, adder, LongAdder::sum)
                .tags(tags).register(registry));
        FunctionCounter.builder("seedstream.scoring.dead.letters", this, ScoringMetrics::deadLetters).tags(tags)
                .register(registry);
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        m.put("groups_scored", groupsScored.sum());
        m.put("answers_graded", answersGraded.sum());
        m.put("zero_advantage_groups", zeroAdvantageGroups.sum());
        m.put("filtered_groups", filteredGroups.sum());
        m.put("grading_timeouts", gradingTimeouts.sum());
        m.put("batches_emitted", batchesEmitted.sum());
        m.put("groups_waited_for_prompt", groupsWaitingForPrompt.sum());
        m.put("eval_results_graded", evalResultsGraded.sum());
        deadLettersByStage.forEach((stage, n) -> m.put("dead_letters." + stage, n.sum()));
        return m;
    }
}
