package org.xapijava.model.types;

import java.util.ArrayList;
import java.util.List;

/**
 * The S-expression subset Xapi uses for sets and maps in the database: lists in parentheses of
 * single-quoted strings (backslash escapes {@code \\} and {@code \'}) or nested lists, separated by
 * spaces. Also accepts double-quoted strings and bare symbols, which Xapi's reader accepts too.
 */
final class SExpr {
    private final String s;
    private int pos;

    private SExpr(String s) {
        this.s = s;
    }

    /** Parses a top-level list; elements are {@link String} or nested {@code List<Object>}. */
    static List<Object> parseList(String text) {
        SExpr p = new SExpr(text);
        p.skip();
        List<Object> l = p.list();
        p.skip();
        if (p.pos != p.s.length()) throw new IllegalArgumentException("trailing text at " + p.pos);
        return l;
    }

    private List<Object> list() {
        if (pos >= s.length() || s.charAt(pos) != '(') throw new IllegalArgumentException("expected '(' at " + pos);
        pos++;
        List<Object> out = new ArrayList<>();
        while (true) {
            skip();
            if (pos >= s.length()) throw new IllegalArgumentException("unterminated list");
            char c = s.charAt(pos);
            if (c == ')') {
                pos++;
                return out;
            }
            if (c == '(') out.add(list());
            else if (c == '\'' || c == '"') out.add(quoted(c));
            else out.add(symbol());
        }
    }

    private String quoted(char q) {
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw new IllegalArgumentException("unterminated string");
            char c = s.charAt(pos++);
            if (c == '\\') {
                if (pos >= s.length()) throw new IllegalArgumentException("dangling escape");
                b.append(s.charAt(pos++));
            } else if (c == q) {
                return b.toString();
            } else {
                b.append(c);
            }
        }
    }

    private String symbol() {
        int start = pos;
        while (pos < s.length() && " \t\n\r()".indexOf(s.charAt(pos)) < 0) pos++;
        return s.substring(start, pos);
    }

    private void skip() {
        while (pos < s.length()
                && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == '\n' || s.charAt(pos) == '\r'))
            pos++;
    }
}
