package io.seedstream.cli.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * What a chaos run does to the stack (the spec, as Kafka's Trogdor names it): how many faults, of
 * which kinds in which order and how far apart, all drawn from one seed, and how long the loop may
 * take to come back from each.
 */
record FaultSpec(int faults, long seed, double meanIntervalSeconds, Duration recoveryTimeout) {

    /** What a fault does. */
    enum Kind {
        KILL_GENERATOR("kill -9 a generator"), KILL_TOPOLOGY("kill -9 the topology"), KILL_TRAINER("kill -9 the trainer"),
        KILL_DISPATCHER("kill -9 the dispatcher"), RESTART_BROKER("kill -9 and restart the broker");

        final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    /** Every kind once in a shuffled order, then again, until there are {@code faults}. */
    List<Kind> plan(Random rng) {
        List<Kind> plan = new ArrayList<>();
        while (plan.size() < faults) {
            List<Kind> round = new ArrayList<>(List.of(Kind.values()));
            Collections.shuffle(round, rng);
            plan.addAll(round.subList(0, Math.min(round.size(), faults - plan.size())));
        }
        return plan;
    }

    /** The wait before the next fault: uniform in [0.5, 1.5] x the mean interval. */
    long delayMillis(Random rng) {
        return (long) (meanIntervalSeconds * (0.5 + rng.nextDouble()) * 1000);
    }
}
