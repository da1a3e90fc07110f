package io.seedstream.streams.grading;

import io.seedstream.schemas.Rational;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Grades answers to math problems: extracts the final answer of a model's text and decides
 * whether it is mathematically equivalent to the reference (rewards), or whether two answers
 * are (semantic clusters). Fast paths first (normalised text, exact rationals), then numeric and
 * randomised symbolic comparison, every decision bounded in time. Thread-safe; repeated pairs
 * are answered from a cache.
 */
public final class Grader {

    private static final int MAX_PARSE_CHARS = 20_000;
    private static final int MAX_CACHED_CHARS = 4_000;
    public static final int DEFAULT_CACHE_ENTRIES = 100_000;

    private final GraderOptions options;
    private final int cacheEntries;
    private final Map<String, Grade> cache = new ConcurrentHashMap<>();
    private final LongAdder decisions = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();

    public Grader(GraderOptions options) {
        this(options, DEFAULT_CACHE_ENTRIES);
    }

    /** A grader whose cache holds at most {@code cacheEntries} pairs (0: no cache, for benchmarks). */
    public Grader(GraderOptions options, int cacheEntries) {
        if (cacheEntries < 0) {
            throw new IllegalArgumentException("cache entries was " + cacheEntries + ", must be >= 0");
        }
        this.options = options;
        this.cacheEntries = cacheEntries;
    }

    public Grader() {
        this(GraderOptions.DEFAULT);
    }

    public GraderOptions options() {
        return options;
    }

    /** Whether {@code prediction}'s final answer is equivalent to the reference {@code gold}. */
    public Grade grade(String gold, String prediction) {
        return cached("g", gold, prediction, () -> decide(gold, prediction, Mode.TEXTS));
    }

    /**
     * Whether an answer already extracted from a model's text (see {@link #extract}) is equivalent
     * to the reference: {@link #grade} without extracting twice.
     */
    public Grade gradeAnswer(String gold, String extractedAnswer) {
        return cached("a", gold, extractedAnswer, () -> decide(gold, extractedAnswer, Mode.REFERENCE_AND_ANSWER));
    }

    /**
     * Whether two already extracted answers mean the same (semantic clustering). Answers are
     * still unwrapped from boxes and math delimiters.
     */
    public Grade sameAnswer(String a, String b) {
        return cached("s", a, b, () -> decide(a, b, Mode.ANSWERS));
    }

    /** The final answer of a model's text, or null when it has none. */
    public Extraction extract(String text) {
        Deadline deadline = new Deadline(options.timeout().toMillis());
        try {
            return AnswerExtractor.fromPrediction(text, deadline);
        } catch (Deadline.Exceeded e) {
            timeouts.increment();
            return null;
        }
    }

    /** The normalised text of an answer: the key of the {@code normalized} clustering mode. */
    public String normalize(String answer) {
        Deadline deadline = new Deadline(options.timeout().toMillis());
        try {
            return canonical(LatexNormalizer.normalize(answer, deadline));
        } catch (Deadline.Exceeded e) {
            timeouts.increment();
            return canonical(answer);
        }
    }

    public long decisions() {
        return decisions.sum();
    }

    public long timeouts() {
        return timeouts.sum();
    }

    public long cacheHits() {
        return cacheHits.sum();
    }

    private interface Decision {
        Grade decide();
    }

    private Grade cached(String kind, String a, String b, Decision decision) {
        decisions.increment();
        if (cacheEntries == 0 || a == null || b == null || a.length() + b.length() > MAX_CACHED_CHARS) {
            return decision.decide();
        }
        String key = kind + a + '\u0000' + b;
        Grade hit = cache.get(key);
        if (hit != null) {
            cacheHits.increment();
            return hit;
        }
        Grade g = decision.decide();
        if (cache.size() >= cacheEntries) {
            cache.clear(); // crude but bounded; the working set of a run is far smaller
        }
        cache.put(key, g);
        return g;
    }

    /** What the two strings of a decision are. */
    private enum Mode { TEXTS, REFERENCE_AND_ANSWER, ANSWERS }

    private Grade decide(String gold, String pred, Mode mode) {
        Deadline deadline = new Deadline(options.timeout().toMillis());
        String goldAnswer = null;
        String predAnswer = null;
        try {
            if (gold == null || pred == null) {
                return new Grade(false, null, null, "missing text", false);
            }
            gold = unescape(gold);
            pred = unescape(pred);
            if (mode == Mode.ANSWERS) {
                goldAnswer = unwrapped(gold, deadline);
            } else {
                Extraction g = AnswerExtractor.fromGold(gold, deadline);
                goldAnswer = g == null ? null : g.answer();
            }
            if (mode == Mode.TEXTS) {
                Extraction p = AnswerExtractor.fromPrediction(pred, deadline);
                predAnswer = p == null ? null : p.answer();
            } else {
                predAnswer = unwrapped(pred, deadline);
            }
            if (goldAnswer == null) {
                return new Grade(false, null, predAnswer, "no reference answer found", false);
            }
            if (predAnswer == null) {
                return new Grade(false, goldAnswer, null, "no final answer found", false);
            }
            return compare(goldAnswer, predAnswer, deadline);
        } catch (Deadline.Exceeded e) {
            timeouts.increment();
            return new Grade(false, goldAnswer, predAnswer, "timeout: " + e.getMessage(), true);
        } catch (StackOverflowError | RuntimeException e) {
            return new Grade(false, goldAnswer, predAnswer, "not comparable: " + e, false);
        }
    }

    /** Text that went through one JSON escape too many: "\\\\frac" is meant as "\\frac". */
    private static String unescape(String s) {
        return s.indexOf("\\\\") >= 0 && !s.contains("\\begin{") ? DOUBLED_COMMAND.matcher(s).replaceAll("\\\\") : s;
    }

    private static final java.util.regex.Pattern DOUBLED_COMMAND = java.util.regex.Pattern.compile("\\\\\\\\(?=[a-zA-Z(\\[\\]),!;:{}%$])");

    private static String unwrapped(String answer, Deadline deadline) {
        String boxed = AnswerExtractor.lastBoxed(answer, deadline);
        String a = (boxed != null ? boxed : answer).strip();
        return a.isEmpty() ? null : a;
    }

    private Grade compare(String goldAnswer, String predAnswer, Deadline deadline) {
        Node.Num gs = simpleNumber(goldAnswer);
        Node.Num ps = gs == null ? null : simpleNumber(predAnswer);
        if (gs != null && ps != null) { // fast path: two plain numbers or fractions
            boolean equal = new Equivalence(options, deadline).equal(gs, ps);
            return new Grade(equal, goldAnswer, predAnswer, equal ? "equal numbers" : "different numbers", false);
        }
        String g = LatexNormalizer.normalize(goldAnswer, deadline);
        String p = LatexNormalizer.normalize(predAnswer, deadline);
        if (g.equals(p) || canonical(g).equals(canonical(p))) {
            return new Grade(true, goldAnswer, predAnswer, "same normalised text", false);
        }
        if (g.length() > MAX_PARSE_CHARS || p.length() > MAX_PARSE_CHARS) {
            return new Grade(false, goldAnswer, predAnswer, "answer too long to parse; texts differ", false);
        }
        Node gn;
        Node pn;
        try {
            gn = MathParser.parse(g, deadline);
        } catch (MathParser.ParseException e) {
            return new Grade(false, goldAnswer, predAnswer, "reference not parsed (" + e.getMessage() + "); texts differ", false);
        }
        try {
            pn = MathParser.parse(p, deadline);
        } catch (MathParser.ParseException e) {
            return new Grade(false, goldAnswer, predAnswer, "answer not parsed (" + e.getMessage() + "); texts differ", false);
        }
        boolean equal = new Equivalence(options, deadline).equal(gn, pn);
        return new Grade(equal, goldAnswer, predAnswer, equal ? "equivalent" : "not equivalent", false);
    }

    private static final java.util.regex.Pattern SIMPLE_NUMBER = java.util.regex.Pattern.compile(
            "\\s*(-?)(?:(\\d+(?:\\.\\d+)?)(?:/(\\d+))?|\\\\[dt]?frac\\{(\\d+)\\}\\{(\\d+)\\})\\s*");

    /** "12", "-0.75", "3/4", "\\frac{3}{4}" as an exact number; null for anything else. */
    private static Node.Num simpleNumber(String s) {
        if (s.length() > 200) {
            return null;
        }
        java.util.regex.Matcher m = SIMPLE_NUMBER.matcher(s);
        if (!m.matches()) {
            return null;
        }
        try {
            Rational value;
            boolean decimal = false;
            if (m.group(2) != null) {
                value = Rational.parseDecimal(m.group(2));
                decimal = m.group(2).indexOf('.') >= 0;
                if (m.group(3) != null) {
                    value = value.divide(Rational.parseDecimal(m.group(3)));
                }
            } else {
                value = Rational.parseDecimal(m.group(4)).divide(Rational.parseDecimal(m.group(5)));
            }
            return new Node.Num(m.group(1).isEmpty() ? value : value.negate(), decimal);
        } catch (ArithmeticException e) {
            return null; // x/0: let the full path explain it
        }
    }

    private static String canonical(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isWhitespace(c)) {
                b.append(Character.toLowerCase(c));
            }
        }
        return b.toString();
    }
}
