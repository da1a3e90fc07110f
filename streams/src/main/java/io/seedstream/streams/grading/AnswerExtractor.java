package io.seedstream.streams.grading;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a model's text. In order: the last {@code \boxed{...}} or
 * {@code \fbox{...}} (with balanced braces; several boxes separated only by "and", commas or a
 * few words are one answer list), the last {@code <answer>...</answer>}, the last "the answer
 * is ...", the whole text when it is itself an answer, the last {@code $...$}, {@code \(...\)},
 * {@code \[...\]} expression, the last number. Linear in the length of the text.
 */
final class AnswerExtractor {

    private static final int MAX_GAP_WORDS = 4;
    private static final int MAX_GAP_CHARS = 120;
    private static final Pattern ANSWER_PHRASE = Pattern.compile(
            "(?i)(?:final answer|the answer|answer)\\s*(?:is|should be|would be|will be|=)?\\s*:?");
    private static final Pattern SENTENCE_END = Pattern.compile("\\.(\\s+[A-Z]|$)");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    /** A bare number, fraction or LaTeX fraction: the answer itself, nothing to search. */
    private static final Pattern SIMPLE = Pattern.compile(
            "\\s*-?(?:\\d+(?:\\.\\d+)?(?:/\\d+)?|\\\\[dt]?frac\\{\\d+\\}\\{\\d+\\})\\s*");

    /** Two or more plain words and nothing else: prose, not an answer. */
    private static final Pattern PROSE = Pattern.compile("[A-Za-z']+(?:\\s+[A-Za-z',.]+)+");
    private static final Pattern FINAL_ANSWER = Pattern.compile("(?i)final answer");
    private static final Pattern NUMBER = Pattern.compile(
            "(?<![A-Za-z\\d.])-?(?:\\d+/\\d+|\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:[.,]\\d+)?|\\.\\d+)(?![\\d])");
    private static final Pattern GAP_NOISE = Pattern.compile(
            "\\\\(?:quad|qquad|text|textbf|mathrm|left|right|[(),;\\[\\]])|[$,;.:{}()\\s]|\\\\");

    private AnswerExtractor() {}

    static Extraction fromPrediction(String text, Deadline deadline) {
        if (SIMPLE.matcher(text).matches()) {
            return new Extraction(text.strip(), "whole");
        }
        String boxed = lastBoxed(text, deadline);
        if (boxed != null) {
            // "... \boxed{255} ... The final answer is $10,455$": the stated final answer wins
            int lastBox = text.lastIndexOf("\\boxed");
            Matcher fin = FINAL_ANSWER.matcher(text);
            if (fin.find(Math.max(0, lastBox)) && lastBox >= 0) {
                String phrase = afterLastAnswerPhrase(text.substring(fin.start()), deadline);
                Extraction e = phrase == null ? null : fromSegment(phrase, deadline);
                if (e != null && !phrase.contains("\\boxed")) {
                    return new Extraction(e.answer(), "answer-phrase");
                }
            }
            return new Extraction(boxed, "boxed");
        }
        String unclosed = unclosedBox(text);
        if (unclosed != null) {
            return new Extraction(unclosed, "boxed");
        }
        int tag = text.lastIndexOf("<answer>");
        if (tag >= 0) {
            int end = text.indexOf("</answer>", tag);
            String inner = text.substring(tag + 8, end < 0 ? text.length() : end).strip();
            if (!inner.isEmpty()) {
                Extraction e = fromSegment(inner, deadline);
                return new Extraction(e != null ? e.answer() : inner, "answer-tag");
            }
        }
        String phrase = afterLastAnswerPhrase(text, deadline);
        if (phrase != null) {
            Extraction e = fromSegment(phrase, deadline);
            if (e != null) {
                return new Extraction(e.answer(), "answer-phrase");
            }
        }
        // a bare text is an answer when it is mathematics or a single word ("Evelyn", "odd")
        boolean prose = PROSE.matcher(text.strip()).matches();
        if (text.length() <= 400 && !prose && isAnswer(text, deadline)) {
            return new Extraction(text.strip(), "whole");
        }
        return fromSegment(text, deadline);
    }

    /** A reference answer: its box if it has one, itself when it is an answer, else as a prediction. */
    static Extraction fromGold(String text, Deadline deadline) {
        if (SIMPLE.matcher(text).matches()) {
            return new Extraction(text.strip(), "whole");
        }
        String boxed = lastBoxed(text, deadline);
        if (boxed != null) {
            return new Extraction(boxed, "boxed");
        }
        String unclosed = unclosedBox(text);
        if (unclosed != null) {
            return new Extraction(unclosed, "boxed");
        }
        if (text.length() <= 2000 && isAnswer(text, deadline)) {
            return new Extraction(text.strip(), "whole");
        }
        // A short reference is the answer even when the parser does not know its notation
        // (\hbar, units, names); only a whole worked solution is searched for its answer.
        if (text.strip().length() <= 300 && !text.contains("\n") && !text.contains(". ")) {
            return text.isBlank() ? null : new Extraction(text.strip(), "whole");
        }
        return fromPrediction(text, deadline);
    }

    /** Something found in a text, and where it ends. */
    private record Found(String text, int end) {}

    /** Whichever comes last in a segment: its last math span or its last number. */
    private static Extraction fromSegment(String segment, Deadline deadline) {
        Found latex = lastMathSpan(segment, deadline);
        Found number = lastNumber(segment, deadline);
        if (latex != null && (number == null || latex.end() >= number.end())) {
            return new Extraction(latex.text(), "latex");
        }
        return number == null ? null : new Extraction(number.text(), "number");
    }

    private static boolean isAnswer(String text, Deadline deadline) {
        String t = text.strip();
        if (t.isEmpty()) {
            return false;
        }
        try {
            MathParser.parse(LatexNormalizer.normalize(t, deadline), deadline);
            return true;
        } catch (MathParser.ParseException | RuntimeException e) {
            if (e instanceof Deadline.Exceeded x) {
                throw x;
            }
            return false;
        }
    }

    /** The content of the last \boxed{..}/\fbox{..}, joined with the boxes just before it. */
    static String lastBoxed(String text, Deadline deadline) {
        List<int[]> boxes = new ArrayList<>(); // {start, contentStart, contentEnd(excl), end(excl)}
        int from = 0;
        while (true) {
            deadline.check();
            int b = indexOfBox(text, from);
            if (b < 0) {
                break;
            }
            int cmdEnd = b + (text.startsWith("\\boxed", b) ? 6 : 5);
            int i = cmdEnd;
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            if (i < text.length() && text.charAt(i) == '{') {
                int close = LatexNormalizer.matchBrace(text, i);
                if (close < 0) {
                    from = cmdEnd;
                    continue;
                }
                boxes.add(new int[] {b, i + 1, close, close + 1});
                from = close + 1;
            } else if (i < text.length() && i > cmdEnd) {
                int j = i;
                while (j < text.length() && !Character.isWhitespace(text.charAt(j)) && text.charAt(j) != '$') {
                    j++;
                }
                boxes.add(new int[] {b, i, j, j});
                from = j;
            } else {
                from = cmdEnd;
            }
        }
        if (boxes.isEmpty()) {
            return null;
        }
        int last = boxes.size() - 1;
        int first = last;
        while (first > 0 && joins(text.substring(boxes.get(first - 1)[3], boxes.get(first)[0]))) {
            first--;
        }
        StringBuilder out = new StringBuilder();
        for (int k = first; k <= last; k++) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(text, boxes.get(k)[1], boxes.get(k)[2]);
        }
        String answer = out.toString().strip();
        return answer.isEmpty() ? null : answer;
    }

    /** "\\boxed{x = 1 and ..." cut off before its closing brace: the rest of the text. */
    private static String unclosedBox(String text) {
        int b = text.lastIndexOf("\\boxed{");
        if (b < 0 || LatexNormalizer.matchBrace(text, b + 6) >= 0) {
            return null;
        }
        String rest = text.substring(b + 7).strip();
        return rest.isEmpty() || rest.length() > 2000 ? null : rest;
    }

    private static int indexOfBox(String text, int from) {
        int a = text.indexOf("\\boxed", from);
        int b = text.indexOf("\\fbox", from);
        if (a < 0) {
            return b;
        }
        return b < 0 ? a : Math.min(a, b);
    }

    /** Whether the text between two boxes only separates them ("and", commas, a few words). */
    private static boolean joins(String gap) {
        if (gap.length() > MAX_GAP_CHARS) {
            return false;
        }
        String words = GAP_NOISE.matcher(gap).replaceAll(" ").strip();
        return words.isEmpty() || WHITESPACE.split(words).length <= MAX_GAP_WORDS;
    }

    private static String afterLastAnswerPhrase(String text, Deadline deadline) {
        Matcher m = ANSWER_PHRASE.matcher(text);
        int start = -1;
        int searchFrom = Math.max(0, text.length() - 20_000);
        while (m.find(searchFrom)) {
            deadline.check();
            start = m.end();
            searchFrom = m.end();
            if (searchFrom >= text.length()) {
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        String rest = text.substring(start);
        int end = rest.length();
        int nl = rest.indexOf('\n');
        if (nl >= 0) {
            end = nl;
        }
        Matcher sentence = SENTENCE_END.matcher(rest.substring(0, end));
        while (sentence.find()) {
            // a sentence ends here unless this dot closes a math span still open
            String head = rest.substring(0, sentence.start());
            if (count(head, '$') % 2 == 0) {
                end = sentence.start();
                break;
            }
        }
        String segment = rest.substring(0, end).strip();
        return segment.isEmpty() ? null : segment;
    }

    private static int count(String s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c && (i == 0 || s.charAt(i - 1) != '\\')) {
                n++;
            }
        }
        return n;
    }

    /** The content of the last complete $$..$$, $..$, \(..\) or \[..\] span. */
    static Found lastMathSpan(String text, Deadline deadline) {
        Found last = null;
        int i = 0;
        int n = text.length();
        while (i < n) {
            deadline.check();
            char c = text.charAt(i);
            String open = null;
            String close = null;
            if (c == '$' && (i == 0 || text.charAt(i - 1) != '\\')) {
                boolean dbl = i + 1 < n && text.charAt(i + 1) == '$';
                open = dbl ? "$$" : "$";
                close = open;
            } else if (c == '\\' && i + 1 < n && (text.charAt(i + 1) == '(' || text.charAt(i + 1) == '[')) {
                open = text.substring(i, i + 2);
                close = text.charAt(i + 1) == '(' ? "\\)" : "\\]";
            }
            if (open == null) {
                i++;
                continue;
            }
            int end = findClose(text, close, i + open.length());
            if (end < 0 && open.equals("$$")) {
                i++; // "$$x$": a stray dollar, then a span
                continue;
            }
            if (end < 0) {
                i += open.length();
                continue;
            }
            String inner = text.substring(i + open.length(), end).strip();
            if (inner.codePoints().anyMatch(Character::isLetterOrDigit)) {
                last = new Found(inner, end + close.length());
            }
            i = end + close.length();
        }
        return last;
    }

    private static int findClose(String text, String close, int from) {
        int j = from;
        while (true) {
            int k = text.indexOf(close, j);
            if (k < 0) {
                return -1;
            }
            if (close.startsWith("$") && k > 0 && text.charAt(k - 1) == '\\') {
                j = k + 1; // \$ is a dollar sign, not a delimiter
                continue;
            }
            return k;
        }
    }

    static Found lastNumber(String text, Deadline deadline) {
        Matcher m = NUMBER.matcher(text);
        Found last = null;
        int from = Math.max(0, text.length() - 50_000);
        while (m.find(from)) {
            deadline.check();
            last = new Found(m.group(), m.end());
            from = m.end();
            if (from >= text.length()) {
                break;
            }
        }
        return last;
    }
}
