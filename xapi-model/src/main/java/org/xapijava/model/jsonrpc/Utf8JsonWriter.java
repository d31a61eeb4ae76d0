package org.xapijava.model.jsonrpc;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import org.xapijava.model.rpc.EncodedRecords;
import org.xapijava.model.rpc.RecordMap;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.types.DateTime;

/**
 * Writes rpc values as compact UTF-8 JSON with Xapi's exact bytes (Yojson's writer): no whitespace at all;
 * strings escape {@code "} and {@code \} with a backslash, {@code \b \f \n \r \t} by their short forms, every
 * other byte below 0x20 and 0x7F as {@code \}{@code u00xx} with lower-case hex; {@code /}, non-ASCII and
 * U+2028/U+2029 are written raw (UTF-8). Numbers: {@link Long}/{@link Integer} as decimal digits,
 * {@link Double} via {@link YojsonFloat}. An unpaired surrogate in a Java string (which UTF-8 cannot carry and
 * no stored XenAPI string holds) is refused with an {@link UnwritableTextException} by a strict writer (results
 * and requests) and written as U+FFFD by a lenient one (error descriptions, which may echo a client's input).
 *
 * <p>Jackson's generator is not used because it escapes control characters with upper-case hex, leaves 0x7F
 * raw and formats doubles differently. Bytes go into a fixed buffer that is handed to the stream whenever it
 * fills; {@link #flushBuffer()} must be called at the end. Not thread-safe: one instance per document.
 */
final class Utf8JsonWriter {

    /** Large enough that a 15 MB response goes out in few stream writes, small enough to allocate per call. */
    static final int BUFFER_SIZE = 16 * 1024;

    /** Deeper value trees can only be cycles or bugs: no XenAPI value nests more than a few levels. */
    private static final int MAX_WRITE_DEPTH = 512;

    /** Per ASCII char: 0 = raw, 'u' = six-byte escape, else the letter after the backslash. */
    private static final byte[] ESCAPE = new byte[128];

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static {
        for (int c = 0; c < 0x20; c++) ESCAPE[c] = 'u';
        ESCAPE[0x7F] = 'u';
        ESCAPE['"'] = '"';
        ESCAPE['\\'] = '\\';
        ESCAPE['\b'] = 'b';
        ESCAPE['\f'] = 'f';
        ESCAPE['\n'] = 'n';
        ESCAPE['\r'] = 'r';
        ESCAPE['\t'] = 't';
    }

    private final OutputStream out;
    private final byte[] buf;
    private final boolean strict;
    private int pos;
    /** How many times the buffer went to the stream (a kept record's bytes must come from one buffer). */
    private long flushes;

    /** A lenient writer (unpaired surrogates become U+FFFD). */
    Utf8JsonWriter(OutputStream out) {
        this(out, false);
    }

    /** @param strict whether an unpaired surrogate is refused rather than written as U+FFFD */
    Utf8JsonWriter(OutputStream out, boolean strict) {
        this.out = out;
        this.buf = new byte[BUFFER_SIZE];
        this.strict = strict;
    }

    /** Hands the buffered bytes to the stream (does not flush or close the stream). */
    void flushBuffer() throws IOException {
        if (pos > 0) {
            out.write(buf, 0, pos);
            pos = 0;
            flushes++;
        }
    }

    private void raw(byte[] b) throws IOException {
        if (b.length > buf.length) {
            flushBuffer();
            out.write(b);
            return;
        }
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    private void ensure(int n) throws IOException {
        if (pos + n > buf.length) flushBuffer();
    }

    void raw(char c) throws IOException {
        ensure(1);
        buf[pos++] = (byte) c;
    }

    /** Writes ASCII text as is (punctuation, literals, numbers). */
    void ascii(String s) throws IOException {
        int n = s.length();
        if (n > buf.length) {
            for (int i = 0; i < n; i++) raw(s.charAt(i));
            return;
        }
        ensure(n);
        for (int i = 0; i < n; i++) buf[pos++] = (byte) s.charAt(i);
    }

    void writeLong(long v) throws IOException {
        if (v == Long.MIN_VALUE) {
            ascii("-9223372036854775808");
            return;
        }
        ensure(20);
        if (v < 0) {
            buf[pos++] = '-';
            v = -v;
        }
        int start = pos;
        do {
            buf[pos++] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        } while (v != 0);
        for (int i = start, j = pos - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
    }

    void writeString(String s) throws IOException {
        int n = s.length();
        ensure(1);
        buf[pos++] = '"';
        int i = 0;
        while (i < n) {
            // worst case per char: a six-byte escape, or 3 bytes of UTF-8 (4 for a pair of 2 chars)
            int chunk = Math.min(n - i, (buf.length - pos) / 6);
            if (chunk < 1) {
                flushBuffer();
                continue;
            }
            int end = i + chunk;
            byte[] b = buf;
            int p = pos;
            while (i < end) {
                char c = s.charAt(i++);
                if (c < 0x80) {
                    byte e = ESCAPE[c];
                    if (e == 0) {
                        b[p++] = (byte) c;
                    } else if (e == 'u') {
                        b[p++] = '\\';
                        b[p++] = 'u';
                        b[p++] = '0';
                        b[p++] = '0';
                        b[p++] = HEX[c >> 4];
                        b[p++] = HEX[c & 0xF];
                    } else {
                        b[p++] = '\\';
                        b[p++] = e;
                    }
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    char low;
                    if (Character.isHighSurrogate(c) && i < n && Character.isLowSurrogate(low = s.charAt(i))) {
                        i++; // a pair may end one char past the chunk: its 4 bytes fit in the 6 kept for c
                        int cp = Character.toCodePoint(c, low);
                        b[p++] = (byte) (0xF0 | (cp >> 18));
                        b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                        b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                        b[p++] = (byte) (0x80 | (cp & 0x3F));
                    } else {
                        if (strict) throw new UnwritableTextException("the JSON-RPC writer", s);
                        b[p++] = (byte) 0xEF;
                        b[p++] = (byte) 0xBF;
                        b[p++] = (byte) 0xBD; // U+FFFD
                    }
                } else {
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            pos = p;
        }
        ensure(1);
        buf[pos++] = '"';
    }

    /**
     * Writes an rpc value: String, Long, Integer, Double, Boolean, DateTime (as its wire string), List (any
     * Collection), Map with String keys, or null.
     *
     * @throws IllegalArgumentException when the tree holds anything else (a programming error, not bad input)
     */
    void writeValue(Object v) throws IOException {
        writeValue(v, 0);
    }

    private void writeValue(Object v, int depth) throws IOException {
        if (v instanceof String s) {
            writeString(s);
        } else if (v instanceof RecordMap r && strict && r.version() != null) {
            checkDepth(depth);
            record(r, depth);
        } else if (v instanceof Map<?, ?> m) {
            checkDepth(depth);
            map(m, depth);
        } else if (v instanceof Collection<?> c) {
            checkDepth(depth);
            raw('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) raw(',');
                first = false;
                writeValue(o, depth + 1);
            }
            raw(']');
        } else if (v instanceof Long l) {
            writeLong(l);
        } else if (v instanceof Integer i) {
            writeLong(i);
        } else if (v instanceof Boolean b) {
            ascii(b ? "true" : "false");
        } else if (v == null) {
            ascii("null");
        } else if (v instanceof Double d) {
            ascii(YojsonFloat.format(d));
        } else if (v instanceof DateTime dt) {
            writeString(dt.toString());
        } else {
            throw new IllegalArgumentException(
                    "not an rpc value: " + v.getClass().getName());
        }
    }

    private void map(Map<?, ?> m, int depth) throws IOException {
        raw('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) raw(',');
            first = false;
            if (!(e.getKey() instanceof String k)) {
                throw new IllegalArgumentException("rpc map key is not a String: "
                        + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
            }
            writeString(k);
            raw(':');
            writeValue(e.getValue(), depth + 1);
        }
        raw('}');
    }

    /**
     * A record marshalled from a database row: the bytes kept for the row's version when there are ({@link
     * EncodedRecords#JSON}; the record is then never filled), else written and, on the row's second encoding, kept.
     * Only a strict writer (a success answer) keeps or reuses bytes: a lenient one may write other bytes for the same
     * values.
     */
    private void record(RecordMap r, int depth) throws IOException {
        Object version = r.version();
        byte[] kept = EncodedRecords.JSON.get(version);
        if (kept != null) {
            raw(kept);
            return;
        }
        if (!EncodedRecords.JSON.seenBefore(version)) {
            map(r, depth);
            return;
        }
        ensure(EncodedRecords.MAX_BYTES); // room for the record in the buffer, so no flush cuts it (most often)
        long flushesBefore = flushes;
        int start = pos;
        map(r, depth);
        if (flushes == flushesBefore) EncodedRecords.JSON.put(version, Arrays.copyOfRange(buf, start, pos));
    }

    private static void checkDepth(int depth) {
        if (depth >= MAX_WRITE_DEPTH) {
            throw new IllegalArgumentException(
                    "rpc value nested deeper than " + MAX_WRITE_DEPTH + " levels (a cycle?)");
        }
    }
}
