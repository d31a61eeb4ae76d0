package org.xapijava.model.xmlrpc;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts bytes as the parser pulls them, refuses to deliver more than the limit, and validates UTF-8 on the
 * way (strictly: no overlong forms, surrogates or code points above U+10FFFF), tracking line and column so
 * that a bad byte is reported exactly where it is.
 *
 * <p>The input side of the StAX path ({@link StaxTokens}): the XML parser reads through it, so a bad byte or
 * an oversized document stops the parse where it is, whatever the XML parser would have made of it.
 */
final class LimitedUtf8Input extends FilterInputStream {
    private final long max;
    long count;
    private int need;
    private int lo = 0x80;
    private int hi = 0xBF;
    private int line = 1;
    private int column = 1;

    LimitedUtf8Input(InputStream in, long max) {
        super(in);
        this.max = max;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) return 0;
        int n;
        if (count >= max) {
            // At the limit: only the end of input is acceptable.
            n = super.read(buf, off, 1);
            if (n > 0) throw new BadBytes("input larger than the limit of " + max + " bytes", -1, -1);
        } else {
            n = super.read(buf, off, (int) Math.min(len, max - count));
        }
        if (n < 0) {
            if (need > 0) throw new BadBytes("invalid UTF-8: input ends inside a multi-byte character", line, column);
            return n;
        }
        for (int i = off; i < off + n; i++) {
            check(buf[i] & 0xff);
            count++;
        }
        return n;
    }

    private void check(int b) throws BadBytes {
        if (need == 0) {
            if (b < 0x80) {
                if (b == '\n') {
                    line++;
                    column = 1;
                } else {
                    column++;
                }
                return;
            }
            if (b >= 0xC2 && b <= 0xDF) {
                need = 1;
            } else if (b == 0xE0) {
                need = 2;
                lo = 0xA0;
            } else if (b == 0xED) {
                need = 2;
                hi = 0x9F;
            } else if (b >= 0xE1 && b <= 0xEF) {
                need = 2;
            } else if (b == 0xF0) {
                need = 3;
                lo = 0x90;
            } else if (b >= 0xF1 && b <= 0xF3) {
                need = 3;
            } else if (b == 0xF4) {
                need = 3;
                hi = 0x8F;
            } else throw badByte(b);
            return;
        }
        if (b < lo || b > hi) throw badByte(b);
        lo = 0x80;
        hi = 0xBF;
        if (--need == 0) column++;
    }

    private BadBytes badByte(int b) {
        return new BadBytes(
                String.format("invalid UTF-8 (byte 0x%02X at offset %d) at line %d, column %d", b, count, line, column),
                line,
                column);
    }

    @Override
    public long skip(long n) throws IOException {
        return read(new byte[(int) Math.min(Math.max(n, 1), 8192)]);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Raised on bad input bytes; {@link StaxTokens} recognises it in the XML parser's cause chain. */
    static final class BadBytes extends IOException {
        private static final long serialVersionUID = 1L;
        final int line;
        final int column;

        BadBytes(String m, int line, int column) {
            super(m, null);
            this.line = line;
            this.column = column;
        }
    }
}
