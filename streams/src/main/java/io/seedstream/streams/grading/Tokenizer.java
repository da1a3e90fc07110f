package io.seedstream.streams.grading;

import java.util.ArrayList;
import java.util.List;

/** Splits a normalised answer into tokens: numbers, letter runs, commands and symbols. */
final class Tokenizer {

    enum Type { NUM, WORD, CMD, SYM, ROWSEP, END }

    record Token(Type type, String text) {
        boolean is(String s) {
            return (type == Type.SYM || type == Type.CMD) && text.equals(s);
        }
    }

    static List<Token> tokenize(String s, Deadline deadline) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            deadline.check();
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1)))) {
                int j = i;
                while (j < n && Character.isDigit(s.charAt(j))) {
                    j++;
                }
                if (j < n && s.charAt(j) == '.' && j + 1 < n && Character.isDigit(s.charAt(j + 1))) {
                    j++;
                    while (j < n && Character.isDigit(s.charAt(j))) {
                        j++;
                    }
                }
                // scientific notation: 4.5e33, 1E-7 (but "2e" alone is 2 times e)
                if (j < n && (s.charAt(j) == 'e' || s.charAt(j) == 'E')) {
                    int k = j + 1;
                    if (k < n && (s.charAt(k) == '+' || s.charAt(k) == '-')) {
                        k++;
                    }
                    int digits = k;
                    while (k < n && Character.isDigit(s.charAt(k))) {
                        k++;
                    }
                    if (k > digits && (k >= n || !Character.isLetter(s.charAt(k)))) {
                        j = k;
                    }
                }
                out.add(new Token(Type.NUM, s.substring(i, j)));
                i = j;
            } else if (Character.isLetter(c) && c < 128) {
                int j = i;
                while (j < n && Character.isLetter(s.charAt(j)) && s.charAt(j) < 128) {
                    j++;
                }
                out.add(new Token(Type.WORD, s.substring(i, j)));
                i = j;
            } else if (c == '⏎') {
                out.add(new Token(Type.ROWSEP, "\\\\"));
                i++;
            } else if (c == '\\') {
                if (i + 1 < n && s.charAt(i + 1) == '\\') {
                    out.add(new Token(Type.ROWSEP, "\\\\"));
                    i += 2;
                } else {
                    int j = i + 1;
                    while (j < n && Character.isLetter(s.charAt(j))) {
                        j++;
                    }
                    if (j == i + 1 && j < n) {
                        j++; // \{ and other one-character commands
                    }
                    out.add(new Token(Type.CMD, s.substring(i, j)));
                    i = j;
                }
            } else {
                out.add(new Token(Type.SYM, String.valueOf(c)));
                i++;
            }
        }
        out.add(new Token(Type.END, ""));
        return out;
    }

    private Tokenizer() {}
}
