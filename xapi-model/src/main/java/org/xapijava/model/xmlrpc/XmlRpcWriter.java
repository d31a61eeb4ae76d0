package org.xapijava.model.xmlrpc;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.EncodedRecords;
import org.xapijava.model.rpc.RecordMap;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.types.CFloat;
import org.xapijava.model.types.DateTime;

/**
 * XML-RPC encoder producing exactly Xapi's bytes (ocaml-rpc {@code Xmlrpc} with {@code strict=false}): no
 * whitespace anywhere, strings and {@link Long}s as untyped {@code <value>text</value>}, {@link Integer} as
 * {@code <i4>}, doubles as {@code <double>%.16g</double>}, booleans as {@code <boolean>1</boolean>}, empty
 * string as {@code <value></value>}, {@code null} as {@code <value><nil/></value>}.
 *
 * <p>In text, {@code < > & "} become entities and CR becomes {@code &#13;} (Xapi writes it raw, which every XML
 * reader turns into LF, so the value would not read back). A character no XML-RPC reader accepts or that could only be
 * written altered (characters below U+0020 other than TAB, LF and CR, U+FFFE, U+FFFF, unpaired surrogates) is
 * refused in values with an {@link UnwritableTextException} (the database's check keeps them out of every
 * stored value, so meeting one is a bug); in a Failure envelope, whose description may echo what a client sent,
 * the controls are dropped (as Xapi does) and the others written as U+FFFD.
 * <b>Deliberate difference:</b> struct member names are escaped like strings; Xapi writes them raw, which lets
 * a map key containing {@code <} inject markup.
 *
 * <p>The writer encodes UTF-8 itself into a byte buffer that is either flushed to an {@link OutputStream} as it
 * fills or, without a stream, grows and is read with {@link #toByteArray()}. Not thread-safe; reusable after
 * {@link #reset()}.
 */
public final class XmlRpcWriter {
    private static final byte[] XML_DECL = ascii("<?xml version=\"1.0\"?>");
    private static final byte[] RESPONSE_OPEN = ascii("<?xml version=\"1.0\"?><methodResponse><params><param>");
    private static final byte[] RESPONSE_CLOSE = ascii("</param></params></methodResponse>");
    private static final byte[] SUCCESS_OPEN = ascii(
            "<value><struct><member><name>Status</name><value>Success</value>" + "</member><member><name>Value</name>");
    private static final byte[] FAILURE_OPEN = ascii("<value><struct><member><name>Status</name><value>Failure</value>"
            + "</member><member><name>ErrorDescription</name>");
    private static final byte[] STATUS_CLOSE = ascii("</member></struct></value>");
    private static final byte[] CALL_OPEN = ascii("<?xml version=\"1.0\"?><methodCall><methodName>");
    private static final byte[] CALL_PARAMS = ascii("</methodName><params>");
    private static final byte[] CALL_CLOSE = ascii("</params></methodCall>");
    private static final byte[] PARAM_OPEN = ascii("<param>");
    private static final byte[] PARAM_CLOSE = ascii("</param>");
    private static final byte[] VALUE_OPEN = ascii("<value>");
    private static final byte[] VALUE_CLOSE = ascii("</value>");
    private static final byte[] NIL = ascii("<value><nil/></value>");
    private static final byte[] TRUE = ascii("<value><boolean>1</boolean></value>");
    private static final byte[] FALSE = ascii("<value><boolean>0</boolean></value>");
    private static final byte[] I4_OPEN = ascii("<value><i4>");
    private static final byte[] I4_CLOSE = ascii("</i4></value>");
    private static final byte[] DOUBLE_OPEN = ascii("<value><double>");
    private static final byte[] DOUBLE_CLOSE = ascii("</double></value>");
    private static final byte[] DATE_OPEN = ascii("<value><dateTime.iso8601>");
    private static final byte[] DATE_CLOSE = ascii("</dateTime.iso8601></value>");
    private static final byte[] BASE64_OPEN = ascii("<value><base64>");
    private static final byte[] BASE64_CLOSE = ascii("</base64></value>");
    private static final byte[] ARRAY_OPEN = ascii("<value><array><data>");
    private static final byte[] ARRAY_CLOSE = ascii("</data></array></value>");
    private static final byte[] STRUCT_OPEN = ascii("<value><struct>");
    private static final byte[] STRUCT_CLOSE = ascii("</struct></value>");
    private static final byte[] MEMBER_OPEN = ascii("<member><name>");
    private static final byte[] NAME_CLOSE = ascii("</name>");
    /**
     * Encoded {@code <member><name>K</name>} of struct member names already written: record field
     * names repeat on every call. Bounded, so arbitrary map keys cannot grow it without limit.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, byte[]> MEMBER_HEADS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static final int MEMBER_HEAD_CACHE_LIMIT = 8192;

    /**
     * The encoded member heads of complete records, by the identity of their class's shared name array
     * ({@link RecordMap#completeKeys()}): one lookup per record instead of one per field. One entry per class.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String[], byte[][]> RECORD_HEADS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static byte[][] memberHeads(String[] names) {
        byte[][] heads = new byte[names.length][];
        XmlRpcWriter w = new XmlRpcWriter();
        try {
            for (int i = 0; i < names.length; i++) {
                w.reset();
                w.raw(MEMBER_OPEN);
                w.text(names[i]);
                w.raw(NAME_CLOSE);
                heads[i] = w.toByteArray();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return heads;
    }

    private static final byte[] MEMBER_CLOSE = ascii("</member>");
    private static final byte[] LT = ascii("&lt;");
    private static final byte[] GT = ascii("&gt;");
    private static final byte[] AMP = ascii("&amp;");
    private static final byte[] QUOT = ascii("&quot;");
    private static final byte[] CR = ascii("&#13;");

    /** Per ASCII character: 0 copy, 1 escape as an entity, 2 drop. */
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (int c = 0; c < 0x20; c++) ASCII_CLASS[c] = 2;
        ASCII_CLASS['\t'] = 0;
        ASCII_CLASS['\n'] = 0;
        ASCII_CLASS['\r'] = 1; // as &#13;: a raw CR reaches every XML reader as LF (end-of-line handling)
        ASCII_CLASS['<'] = 1;
        ASCII_CLASS['>'] = 1;
        ASCII_CLASS['&'] = 1;
        ASCII_CLASS['"'] = 1;
    }

    /** Chars encoded per buffer check; each needs at most 6 bytes ({@code &quot;}). */
    private static final int CHUNK = 2048;

    private static final int DEFAULT_BUFFER = 64 * 1024;

    private final OutputStream out;
    private byte[] buf;
    private int pos;
    /** Times the buffer went to {@code out}: a record encoded while this stayed put is whole in the buffer. */
    private long flushes;
    /** Whether refused characters are dropped or replaced (in a Failure envelope) rather than refused. */
    private boolean lenient;

    /** A writer that grows its buffer; read the bytes with {@link #toByteArray()}. */
    public XmlRpcWriter() {
        this(null, 6 * CHUNK + 64);
    }

    /** A writer to {@code out} through a 64 KiB buffer; call {@link #flush()} when done. */
    public XmlRpcWriter(OutputStream out) {
        this(out, DEFAULT_BUFFER);
    }

    /**
     * A writer to {@code out} through a buffer of at least {@code bufferSize} bytes (a streamed writer's buffer holds
     * at least one chunk of escaped text), or without a stream ({@code out == null}) one whose buffer starts at
     * {@code bufferSize} bytes and grows.
     */
    public XmlRpcWriter(OutputStream out, int bufferSize) {
        this.out = out;
        this.buf = new byte[out == null ? Math.max(bufferSize, 64) : Math.max(bufferSize, 6 * CHUNK + 64)];
    }

    // ---- one-shot helpers ----

    /** The whole Success envelope of {@code value}. */
    public static byte[] success(Object value) {
        XmlRpcWriter w = new XmlRpcWriter();
        w.writeSuccessUnchecked(value);
        return w.toByteArray();
    }

    /** The whole Failure envelope of {@code [code, params...]}. */
    public static byte[] failure(List<String> errorDescription) {
        XmlRpcWriter w = new XmlRpcWriter();
        try {
            w.writeFailure(errorDescription);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toByteArray();
    }

    public static byte[] failure(ApiError e) {
        return failure(e.description());
    }

    /** A response whose param is {@code value} itself, without the Status struct ({@code system.listMethods}). */
    public static byte[] bare(Object value) {
        XmlRpcWriter w = new XmlRpcWriter();
        try {
            w.writeBare(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toByteArray();
    }

    /** A {@code methodCall} document. */
    public static byte[] call(String method, List<?> params) {
        // calls are mostly small (xenopsd's are a few hundred bytes): a small buffer, grown for the rare large one
        XmlRpcWriter w = new XmlRpcWriter(null, 1024);
        try {
            w.writeCall(method, params);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toByteArray();
    }

    /** One value as text, as Xapi's {@code Xmlrpc.to_string} (the form of {@code task.result}). */
    public static String toString(Object value) {
        XmlRpcWriter w = new XmlRpcWriter();
        try {
            w.writeValue(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new String(w.buf, 0, w.pos, StandardCharsets.UTF_8);
    }

    private void writeSuccessUnchecked(Object value) {
        try {
            writeSuccess(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- documents ----

    /** Writes {@code <?xml…?><methodResponse>…{Status: Success, Value: value}…}. Does not flush. */
    public void writeSuccess(Object value) throws IOException {
        raw(RESPONSE_OPEN);
        raw(SUCCESS_OPEN);
        writeValue(value);
        raw(STATUS_CLOSE);
        raw(RESPONSE_CLOSE);
    }

    /** Writes the Failure envelope; the description's elements are untyped strings. Does not flush. */
    public void writeFailure(List<String> errorDescription) throws IOException {
        raw(RESPONSE_OPEN);
        raw(FAILURE_OPEN);
        raw(ARRAY_OPEN);
        lenient = true;
        try {
            for (String s : errorDescription) string(s);
        } finally {
            lenient = false;
        }
        raw(ARRAY_CLOSE);
        raw(STATUS_CLOSE);
        raw(RESPONSE_CLOSE);
    }

    /** Writes a response whose single param is {@code value} (no Status struct). Does not flush. */
    public void writeBare(Object value) throws IOException {
        raw(RESPONSE_OPEN);
        writeValue(value);
        raw(RESPONSE_CLOSE);
    }

    /** Writes a {@code methodCall}, the method name escaped like a string. Does not flush. */
    public void writeCall(String method, List<?> params) throws IOException {
        raw(CALL_OPEN);
        text(method);
        raw(CALL_PARAMS);
        for (Object p : params) {
            raw(PARAM_OPEN);
            writeValue(p);
            raw(PARAM_CLOSE);
        }
        raw(CALL_CLOSE);
    }

    /** Writes the XML declaration only (for callers assembling documents themselves). */
    public void writeXmlDeclaration() throws IOException {
        raw(XML_DECL);
    }

    /**
     * Writes one RPC value ({@code <value>…</value>}).
     *
     * @throws IllegalArgumentException when {@code v} (or something inside it) is not an RPC value
     */
    public void writeValue(Object v) throws IOException {
        // An if-chain, most frequent types first: a pattern switch over these unrelated types goes through
        // SwitchBootstraps.typeSwitch, which tests the cases one by one on every call and profiled as a tenth of
        // the encoding time of a record.
        if (v instanceof String s) {
            string(s);
        } else if (v instanceof RecordMap r) {
            record(r);
        } else if (v instanceof Map<?, ?> m) {
            struct(m);
        } else if (v instanceof Long l) {
            raw(VALUE_OPEN);
            decimal(l);
            raw(VALUE_CLOSE);
        } else if (v instanceof List<?> l) {
            raw(ARRAY_OPEN);
            for (int i = 0, n = l.size(); i < n; i++) writeValue(l.get(i));
            raw(ARRAY_CLOSE);
        } else if (v instanceof Boolean b) {
            raw(b ? TRUE : FALSE);
        } else if (v == null) {
            raw(NIL);
        } else if (v instanceof Double d) {
            raw(DOUBLE_OPEN);
            asciiText(CFloat.g(d, 16));
            raw(DOUBLE_CLOSE);
        } else if (v instanceof DateTime d) {
            raw(DATE_OPEN);
            asciiText(d.toString());
            raw(DATE_CLOSE);
        } else if (v instanceof Integer i) {
            raw(I4_OPEN);
            decimal(i);
            raw(I4_CLOSE);
        } else if (v instanceof byte[] b) {
            raw(BASE64_OPEN);
            raw(Base64.getEncoder().encode(b));
            raw(BASE64_CLOSE);
        } else if (v instanceof Collection<?> c) {
            raw(ARRAY_OPEN);
            for (Object x : c) writeValue(x);
            raw(ARRAY_CLOSE);
        } else {
            throw new IllegalArgumentException(
                    "not an RPC value: " + v.getClass().getName());
        }
    }

    /**
     * A marshalled record: the encoding kept for its database row's version when there is one ({@link
     * EncodedRecords}; the record is then never filled), else, when complete, its class's member heads from the
     * cache and the values by position, or member by member.
     */
    private void record(RecordMap r) throws IOException {
        Object version = lenient ? null : r.version();
        byte[] kept = version == null ? null : EncodedRecords.XML_RPC.get(version);
        if (kept != null) {
            raw(kept);
            return;
        }
        if (version == null || !EncodedRecords.XML_RPC.seenBefore(version)) {
            plain(r);
            return;
        }
        ensure(EncodedRecords.MAX_BYTES); // room for the record in the buffer, so no flush cuts it (most often)
        long flushesBefore = flushes;
        int start = pos;
        plain(r);
        if (flushes == flushesBefore && buf != null)
            EncodedRecords.XML_RPC.put(version, Arrays.copyOfRange(buf, start, pos));
    }

    private void plain(RecordMap r) throws IOException {
        if (r.completeKeys() != null) members(r);
        else struct(r);
    }

    private void members(RecordMap r) throws IOException {
        String[] keys = r.completeKeys();
        byte[][] heads = RECORD_HEADS.get(keys);
        if (heads == null) heads = RECORD_HEADS.computeIfAbsent(keys, XmlRpcWriter::memberHeads);
        raw(STRUCT_OPEN);
        for (int i = 0; i < heads.length; i++) {
            raw(heads[i]);
            writeValue(r.valueAt(i));
            raw(MEMBER_CLOSE);
        }
        raw(STRUCT_CLOSE);
    }

    private void struct(Map<?, ?> m) throws IOException {
        raw(STRUCT_OPEN);
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new IllegalArgumentException("struct member name is not a String: " + e.getKey());
            }
            byte[] head = MEMBER_HEADS.get(k);
            if (head != null) {
                raw(head);
            } else if (k.length() <= 64 && MEMBER_HEADS.size() < MEMBER_HEAD_CACHE_LIMIT) {
                // room for the whole head first, so no flush moves it while it is written
                ensure(MEMBER_OPEN.length + 6 * k.length() + 6 + NAME_CLOSE.length);
                int start = pos;
                raw(MEMBER_OPEN);
                text(k);
                raw(NAME_CLOSE);
                MEMBER_HEADS.putIfAbsent(k, Arrays.copyOfRange(buf, start, pos));
            } else {
                raw(MEMBER_OPEN);
                text(k);
                raw(NAME_CLOSE);
            }
            writeValue(e.getValue());
            raw(MEMBER_CLOSE);
        }
        raw(STRUCT_CLOSE);
    }

    // ---- buffer ----

    /** Writes the buffered bytes to the stream and flushes it (no-op without a stream). */
    public void flush() throws IOException {
        if (out != null) {
            out.write(buf, 0, pos);
            pos = 0;
            flushes++;
            out.flush();
        }
    }

    /** The bytes written so far (writers without a stream). */
    /** The buffered bytes without a copy; valid until the next write or {@link #reset()}. */
    public java.nio.ByteBuffer byteBuffer() {
        return java.nio.ByteBuffer.wrap(buf, 0, pos);
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    /** Bytes currently buffered. */
    public int size() {
        return pos;
    }

    /** Forgets buffered bytes, keeping the buffer for reuse. */
    public void reset() {
        pos = 0;
    }

    private void ensure(int n) throws IOException {
        if (buf.length - pos >= n) return;
        if (out != null) {
            out.write(buf, 0, pos);
            pos = 0;
            flushes++;
            if (buf.length >= n) return;
        }
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }

    private void raw(byte[] b) throws IOException {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    private void asciiText(String s) throws IOException {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) buf[pos++] = (byte) s.charAt(i);
    }

    private void decimal(long v) throws IOException {
        ensure(20);
        if (v == Long.MIN_VALUE) {
            asciiText("-9223372036854775808");
            return;
        }
        byte[] b = buf;
        if (v < 0) {
            b[pos++] = '-';
            v = -v;
        }
        if (v < 10) {
            b[pos++] = (byte) ('0' + v);
            return;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) digits++;
        int end = pos + digits;
        for (int p = end - 1; p >= pos; p--) {
            b[p] = (byte) ('0' + v % 10);
            v /= 10;
        }
        pos = end;
    }

    private void string(String s) throws IOException {
        raw(VALUE_OPEN);
        text(s);
        raw(VALUE_CLOSE);
    }

    /** Escaped UTF-8 of {@code s}. */
    private void text(String s) throws IOException {
        int n = s.length();
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + CHUNK);
            ensure(6 * (end - i) + 6);
            byte[] b = buf;
            int p = pos;
            for (; i < end; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    byte cls = ASCII_CLASS[c];
                    if (cls == 0) {
                        b[p++] = (byte) c;
                    } else if (cls == 1) {
                        byte[] ent = c == '<' ? LT : c == '>' ? GT : c == '&' ? AMP : c == '"' ? QUOT : CR;
                        System.arraycopy(ent, 0, b, p, ent.length);
                        p += ent.length;
                    } else if (!lenient) {
                        throw refused(s);
                    }
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (!Character.isSurrogate(c)) {
                    if (c >= 0xFFFE) {
                        if (!lenient) throw refused(s);
                        c = '\uFFFD';
                    }
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    b[p++] = (byte) (0xF0 | (cp >> 18));
                    b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    if (!lenient) throw refused(s);
                    b[p++] = (byte) 0xEF; // U+FFFD for an unpaired surrogate
                    b[p++] = (byte) 0xBF;
                    b[p++] = (byte) 0xBD;
                }
            }
            pos = p;
        }
    }

    private UnwritableTextException refused(String s) {
        return new UnwritableTextException("the XML-RPC writer", s);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
