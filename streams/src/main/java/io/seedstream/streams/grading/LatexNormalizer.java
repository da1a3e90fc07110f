package io.seedstream.streams.grading;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an extracted answer into a plain form the parser reads: math delimiters, spacing,
 * sizing and text commands removed; fraction and relation variants unified; units, degrees and
 * currency dropped; percent, thousands separators, decimal commas, {@code and}/{@code or} lists
 * made explicit. Unknown commands are kept, so the parser can refuse them instead of reading
 * them as symbols.
 */
final class LatexNormalizer {

    /** Words that name a unit (or currency) and carry no mathematical meaning after a number. */
    static final Set<String> UNITS = Set.of(
            "unit", "units", "cm", "mm", "km", "m", "meter", "meters", "metre", "metres", "centimeter",
            "centimeters", "kilometer", "kilometers", "inch", "inches", "in", "ft", "foot", "feet", "yard",
            "yards", "mile", "miles", "mph", "kmh", "sq", "square", "cubic", "degree", "degrees", "radian",
            "radians", "dollar", "dollars", "cent", "cents", "yuan", "euro", "euros", "rupees", "points",
            "hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "second", "seconds", "sec",
            "day", "days", "week", "weeks", "month", "months", "year", "years", "kg", "g", "gram", "grams",
            "mg", "lb", "lbs", "pound", "pounds", "ounce", "ounces", "oz", "liter", "liters", "litre",
            "litres", "ml", "l", "gallon", "gallons", "people", "students", "ways", "times", "items",
            "kj", "j", "n", "w", "kw", "v", "pa", "kpa", "mol", "k", "s", "ms", "angstroms", "nm", "ly",
            "pc", "kpc", "mpc", "au", "ev", "kev", "mev", "hz", "khz", "mhz", "ghz");

    private static final Pattern TEXT_CMD = Pattern.compile(
            "\\\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|mathrm|mathbf|mathit|mathsf|mathtt|"
                    + "mbox|hbox|operatorname\\*?|boldsymbol|bm|mathbb|mathcal)\\s*\\{");
    private static final Pattern WRAPPER_CMD = Pattern.compile(
            "\\\\(?:boxed|fbox|overline|vec|hat|bar|underline|widetilde|tilde|displaystyle|dot|ddot|mathring)\\s*\\{");
    private static final Pattern SIZING = Pattern.compile(
            "\\\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\\s*\\.?");
    private static final Pattern THOUSANDS_MARK = Pattern.compile(
            "(?<=\\d)\\s*(?:\\{\\s*,\\s*\\}|,\\\\!|\\\\,|\\\\!)\\s*(?=\\d{3}(?!\\d))");
    private static final Pattern DEGREES = Pattern.compile(
            "\\^\\s*\\{?\\s*\\\\circ\\s*\\}?|\\\\circ|°|\\\\degree(?![a-zA-Z])|\\^\\s*\\{\\s*\\\\text\\{\\s*o\\s*\\}\\s*\\}");
    private static final Pattern PERCENT_WORD = Pattern.compile("(?i)\\s*\\b(?:percentage|percent|pct)\\b");
    private static final Pattern AND_OR = Pattern.compile("(?i)(?<![a-z\\\\])(?:and|or)(?![a-z])");
    private static final Pattern GLUED_OR = Pattern.compile("(?<=[\\d)\\]}])(?:or|and)(?=[A-Z(\\\\\\[{-])");
    private static final Pattern WHOLE_THOUSANDS = Pattern.compile("-?[1-9]\\d{0,2}(?:,\\d{3})+(?:\\.\\d+)?");
    private static final Pattern WHOLE_SPACED = Pattern.compile("-?\\d{1,3}(?: \\d{3})+(?:\\.\\d+)?");
    private static final Pattern WHOLE_DECIMAL_COMMA = Pattern.compile("-?\\d+,\\d{2,}");

    private static final Pattern TRAILING_DOTS = Pattern.compile("[.\\s]+$");
    private static final Pattern UNIT_POWER = Pattern.compile("\\^\\{?\\d\\}?|\\^\\d|²|³");
    private static final Pattern UNIT_SEPARATOR = Pattern.compile("[\\s/·*]+");

    /** Digits, signs, separators, slashes: nothing for the LaTeX rules to do. */
    private static final Pattern PLAIN_NUMBER = Pattern.compile("[-+]?[0-9.][0-9., /]*");
    private static final Pattern TRAILING_UNIT =
            Pattern.compile("^(.*[\\d)}%])\\s*([A-Za-z]+)(?:\\^\\{?\\d\\}?|²|³)?$");

    static String normalize(String s, Deadline deadline) {
        String t = s.strip();
        if (PLAIN_NUMBER.matcher(t).matches()) {
            return numberForms(trimPunctuation(t));
        }
        t = stripDelimiters(t);
        t = t.replace("\\$", " ").replace("$", " ");
        boolean latex = t.indexOf('\\') >= 0;
        if (latex || t.indexOf('{') >= 0) {
            t = THOUSANDS_MARK.matcher(t).replaceAll("");
        }
        if (latex) {
            t = t.replace("\\\\", " ⏎ "); // matrix row separators, before any other backslash rule
            deadline.check();
            t = SIZING.matcher(t).replaceAll("");
            t = DEGREES.matcher(t).replaceAll(" ");
            t = unwrapTextCommands(t, deadline);
            t = unwrap(t, WRAPPER_CMD, deadline);
            t = t.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
                    .replace("\\dbinom", "\\binom").replace("\\tbinom", "\\binom");
            t = t.replace("\\!", "").replace("\\,", " ").replace("\\;", " ").replace("\\:", " ")
                    .replace("\\qquad", " ").replace("\\quad", " ").replace("\\ ", " ")
                    .replace("\\%", "%").replace("^{\\prime \\prime}", "''").replace("^{\\prime}", "'")
                    .replace("\\prime", "'").replace("\\infty", "∞").replace("\\lbrace", "\\{")
                    .replace("\\rbrace", "\\}");
        } else if (t.indexOf('°') >= 0) {
            t = DEGREES.matcher(t).replaceAll(" ");
        }
        t = t.replace("~", " ");
        t = relations(t, latex);
        if (hasLetter(t)) {
            t = PERCENT_WORD.matcher(t).replaceAll("%");
            t = GLUED_OR.matcher(t).replaceAll(",");
            t = AND_OR.matcher(t).replaceAll(",");
        }
        if (latex) {
            t = t.replace("\\{", " ⦃ ").replace("\\}", " ⦄ ");
        }
        t = collapseSpaces(t);
        t = trimPunctuation(t);
        if (hasLetter(t)) {
            t = dropTrailingUnits(t);
        }
        return numberForms(t);
    }

    private static boolean hasLetter(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                return true;
            }
        }
        return false;
    }

    private static String collapseSpaces(String t) {
        StringBuilder b = new StringBuilder(t.length());
        boolean space = false;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (Character.isWhitespace(c)) {
                space = true;
            } else {
                if (space && b.length() > 0) {
                    b.append(' ');
                }
                space = false;
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String stripDelimiters(String t) {
        boolean changed = true;
        while (changed && !t.isEmpty()) {
            changed = false;
            for (String[] d : new String[][] {{"$$", "$$"}, {"$", "$"}, {"\\(", "\\)"}, {"\\[", "\\]"}}) {
                if (t.length() >= d[0].length() + d[1].length() && t.startsWith(d[0]) && t.endsWith(d[1])) {
                    t = t.substring(d[0].length(), t.length() - d[1].length()).strip();
                    changed = true;
                }
            }
        }
        return t;
    }

    private static String relations(String t, boolean latex) {
        if (t.indexOf('<') >= 0 || t.indexOf('>') >= 0 || t.indexOf('!') >= 0 || t.indexOf('=') >= 0) {
            t = t.replace("<=", "≤").replace(">=", "≥").replace("=<", "≤").replace("=>", "≥").replace("!=", "≠");
        }
        if (!latex) {
            return t;
        }
        return t.replace("\\leqslant", "≤").replace("\\geqslant", "≥").replace("\\leq", "≤").replace("\\geq", "≥")
                .replace("\\le", "≤").replace("\\ge", "≥").replace("\\neq", "≠").replace("\\ne", "≠")
                .replace("\\lt", "<").replace("\\gt", ">").replace("\\approx", "≈")
                .replace("\\sim", "≈").replace("\\simeq", "≈").replace("\\notin", "∉").replace("\\in", "∈")
                .replace("\\cup", "∪").replace("\\cap", "∩").replace("\\setminus", "∖").replace("\\mp", "∓")
                .replace("\\pm", "±").replace("\\cdot", "*").replace("\\times", "*").replace("\\ast", "*")
                .replace("\\div", "/").replace("\\colon", ":").replace("\\to", "→").replace("\\rightarrow", "→");
    }

    /** \text{X}: units and "and"/"or" disappear or become commas; other words stay as words. */
    private static String unwrapTextCommands(String t, Deadline deadline) {
        StringBuilder out = new StringBuilder(t.length());
        Matcher m = TEXT_CMD.matcher(t);
        int pos = 0;
        while (m.find(pos)) {
            deadline.check();
            int close = matchBrace(t, m.end() - 1);
            if (close < 0) {
                break;
            }
            out.append(t, pos, m.start());
            String inner = t.substring(m.end(), close).strip();
            String word = TRAILING_DOTS.matcher(inner.toLowerCase(Locale.ROOT)).replaceAll("");
            boolean afterValue = out.length() > 0 && isValueEnd(out);
            if (word.equals("and") || word.equals("or") || word.equals(",")) {
                out.append(" , ");
            } else if (afterValue && isUnitPhrase(word)) {
                out.append(' ');
            } else {
                out.append(' ').append(inner).append(' ');
            }
            pos = close + 1;
        }
        out.append(t, pos, t.length());
        return out.toString();
    }

    private static boolean isValueEnd(StringBuilder out) {
        for (int i = out.length() - 1; i >= 0; i--) {
            char c = out.charAt(i);
            if (c != ' ') {
                return Character.isDigit(c) || c == '}' || c == ')' || Character.isLetter(c);
            }
        }
        return false;
    }

    private static boolean isUnitPhrase(String words) {
        String w = UNIT_POWER.matcher(words).replaceAll("").strip();
        if (w.isEmpty()) {
            return true;
        }
        for (String part : UNIT_SEPARATOR.split(w)) {
            if (!part.isEmpty() && !UNITS.contains(part)) {
                return false;
            }
        }
        return true;
    }

    /** "125 miles", "15 cm^2", "10 units": a trailing unit word after a value is dropped. */
    private static String dropTrailingUnits(String t) {
        for (int guard = 0; guard < 3; guard++) {
            Matcher m = TRAILING_UNIT.matcher(t);
            if (!m.matches() || !UNITS.contains(m.group(2).toLowerCase(Locale.ROOT)) || m.group(2).length() < 2) {
                return t;
            }
            t = m.group(1).strip();
        }
        return t;
    }

    /** Whole-answer number spellings: 7,425,000 and 1 000 (thousands), 1000,99 (decimal comma). */
    private static String numberForms(String t) {
        if (WHOLE_THOUSANDS.matcher(t).matches()) {
            return t.replace(",", "");
        }
        if (WHOLE_SPACED.matcher(t).matches()) {
            return t.replace(" ", "");
        }
        if (WHOLE_DECIMAL_COMMA.matcher(t).matches()) {
            return t.replace(',', '.');
        }
        return t;
    }

    static String trimPunctuation(String t) {
        int end = t.length();
        while (end > 0 && (".,;: ".indexOf(t.charAt(end - 1)) >= 0)) {
            if (t.charAt(end - 1) == '.' && end >= 2 && Character.isDigit(t.charAt(end - 2)) && end == t.length()
                    && t.indexOf('.') != end - 1) {
                end--; // "5." : sentence end
                continue;
            }
            end--;
        }
        int start = 0;
        while (start < end && ",;: ".indexOf(t.charAt(start)) >= 0) {
            start++;
        }
        return t.substring(start, end);
    }

    /** Replaces \cmd{X} by X for the matched commands, handling nested braces. */
    private static String unwrap(String t, Pattern cmd, Deadline deadline) {
        for (int guard = 0; guard < 1000; guard++) {
            deadline.check();
            Matcher m = cmd.matcher(t);
            if (!m.find()) {
                return t;
            }
            int close = matchBrace(t, m.end() - 1);
            if (close < 0) {
                return t.substring(0, m.start()) + t.substring(m.end());
            }
            t = t.substring(0, m.start()) + " " + t.substring(m.end(), close) + " " + t.substring(close + 1);
        }
        return t;
    }

    /** Index of the brace closing the one at {@code open}, or -1. */
    static int matchBrace(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                i++; // escaped character, e.g. \{ or \}
                continue;
            }
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    private LatexNormalizer() {}
}
