package io.seedstream.streams.grading;

/**
 * A grading decision.
 *
 * @param equal whether the prediction's final answer is equivalent to the reference
 * @param goldAnswer the reference answer as extracted (null when none was found)
 * @param predAnswer the prediction's final answer as extracted (null when none was found)
 * @param reason how the decision was reached, readable by a person
 * @param timedOut whether the decision hit the time bound (then {@code equal} is false)
 */
public record Grade(boolean equal, String goldAnswer, String predAnswer, String reason, boolean timedOut) {}
