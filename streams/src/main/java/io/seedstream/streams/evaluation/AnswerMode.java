package io.seedstream.streams.evaluation;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The label an answer opens with ({@code Steps:}, {@code Answer:}, {@code Careful:} on the
 * built-in task), which names the behaviour it follows; "none" when it opens with anything else.
 * Shares of labels per version show which behaviour RL selects.
 */
public final class AnswerMode {

    public static final String NONE = "none";

    private static final Pattern LABEL = Pattern.compile("^\\s*([A-Za-z]{1,16}):");

    private AnswerMode() {}

    public static String of(String answer) {
        Matcher m = LABEL.matcher(answer);
        return m.find() ? m.group(1).toLowerCase(java.util.Locale.ROOT) : NONE;
    }
}
