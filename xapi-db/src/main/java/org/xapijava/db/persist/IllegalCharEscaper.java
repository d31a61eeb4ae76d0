package org.xapijava.db.persist;

import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;

/**
 * For the tolerant second reading of a damaged {@code state.db} ({@link StateDbReader#read(java.nio.file.Path)}):
 * passes text to the XML parser with every character XML 1.0 refuses (C0 controls other than TAB, LF, CR, and
 * U+FFFE, U+FFFF) replaced by a two-character escape of private-use characters, which {@link #unescape} turns
 * back into the original character in the attribute values the parser returns. The escape character itself is
 * doubled, so every text survives the round trip. Not thread-safe.
 */
final class IllegalCharEscaper extends FilterReader {
    /** The last private-use character of the BMP: rare in real text, and doubled when it does occur. */
    static final char ESC = '\uF8FF';
    /** Escaped characters are {@code ESC, CODE_BASE + n}: n 0..31 a control, 32 U+FFFE, 33 U+FFFF. */
    private static final char CODE_BASE = '\uE000';

    private int pending = -1;

    IllegalCharEscaper(Reader in) {
        super(in);
    }

    private static boolean refused(char c) {
        return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == '\uFFFE' || c == '\uFFFF';
    }

    private static char code(char c) {
        if (c == ESC) return ESC;
        return (char) (CODE_BASE + (c < 0x20 ? c : c == '\uFFFE' ? 32 : 33));
    }

    @Override
    public int read() throws IOException {
        char[] one = new char[1];
        return read(one, 0, 1) < 0 ? -1 : one[0];
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        if (len == 0) return 0;
        int n = 0;
        if (pending >= 0) {
            cbuf[off + n++] = (char) pending;
            pending = -1;
        }
        // read at most half of what is asked, so that every escape fits
        int want = Math.max(1, (len - n) / 2);
        if (n > 0 && len - n < 2) return n;
        char[] tmp = new char[want];
        int got = in.read(tmp, 0, want);
        if (got < 0) return n == 0 ? -1 : n;
        for (int i = 0; i < got; i++) {
            char c = tmp[i];
            if (c == ESC || refused(c)) {
                cbuf[off + n++] = ESC;
                if (n < len) {
                    cbuf[off + n++] = code(c);
                } else {
                    pending = code(c);
                }
            } else {
                cbuf[off + n++] = c;
            }
        }
        return n;
    }

    /** Undoes the escapes in one value the parser returned. */
    static String unescape(String s) {
        int i = s.indexOf(ESC);
        if (i < 0) return s;
        StringBuilder b = new StringBuilder(s.length());
        b.append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ESC || i + 1 >= s.length()) {
                b.append(c);
                continue;
            }
            char d = s.charAt(++i);
            if (d == ESC) {
                b.append(ESC);
            } else {
                int k = d - CODE_BASE;
                b.append(k < 32 ? (char) k : k == 32 ? '\uFFFE' : '\uFFFF');
            }
        }
        return b.toString();
    }
}
