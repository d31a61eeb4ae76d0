package org.xapijava.db.persist;

import java.util.Comparator;

/**
 * Orders strings as their UTF-8 bytes compare, which is how OCaml's {@code String.compare} orders Xapi's
 * table names, refs and column names. UTF-8 byte order equals code point order; Java's
 * {@link String#compareTo} compares UTF-16 code units, which differs only when a surrogate (a code
 * point above U+FFFF) meets a character in U+E000..U+FFFF.
 */
final class Utf8Order {
    static final Comparator<String> COMPARATOR = Utf8Order::compare;

    private Utf8Order() {}

    static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return fold(x) - fold(y);
            }
        }
        return a.length() - b.length();
    }

    /** Moves surrogates above U+E000..U+FFFF so that code-unit order becomes code-point order. */
    private static int fold(char c) {
        if (c < 0xD800) {
            return c;
        }
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
