package io.seedstream.streams.grading;

/**
 * The final answer found in a text, and how it was found: {@code boxed}, {@code answer-tag},
 * {@code answer-phrase}, {@code whole}, {@code latex} or {@code number}.
 */
public record Extraction(String answer, String method) {}
