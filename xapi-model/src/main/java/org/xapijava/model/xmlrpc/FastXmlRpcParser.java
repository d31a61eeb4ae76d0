package org.xapijava.model.xmlrpc;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.types.CFloat;
import org.xapijava.model.types.DateTime;

/**
 * The fast path of {@link XmlRpcReader#readCall(byte[])} and {@link XmlRpcReader#readResponse(byte[])}: a direct scan of the plain form every client sends
 * (an optional {@code <?xml version="1.0" encoding="UTF-8"?>}, elements of the XML-RPC vocabulary without
 * attributes, text with the five predefined entities and character references), producing exactly what the StAX
 * path produces for the same bytes. Creating a StAX reader costs more than parsing a small call (the JDK copies
 * its property and security managers for every reader), and this path avoids it.
 *
 * <p>It decides nothing on its own: whatever falls outside that plain form, or is wrong, makes {@link #parse}
 * answer {@code null}, and the StAX path then accepts the document or refuses it with its precise error. So the
 * two paths cannot disagree on what is refused; {@code FastXmlRpcParserTest} checks that they agree on what is
 * accepted. Outside the plain form: a byte-order mark, any other prolog, DOCTYPE, comments, processing
 * instructions, CDATA, attributes or spaces inside tags, namespaced or unknown elements, carriage returns (XML
 * normalises them), characters XML forbids, {@code ]]>} in text, text that does not decode strictly as UTF-8.
 */
final class FastXmlRpcParser {
    /** Thrown to leave the fast path; preallocated, no stack trace. */
    private static final class Bail extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bail() {
            super(null, null, false, false);
        }
    }

    private static final Bail BAIL = new Bail();

    private static final byte[] PROLOG = bytes("<?xml");
    private static final byte[] ENCODING = bytes("encoding");

    /** The element names that may open a typed value. */
    private static final String[] TYPES = {
        "string", "int", "i4", "i8", "boolean", "double", "dateTime.iso8601", "base64", "array", "struct", "nil"
    };

    private final byte[] b;
    private final int end;
    private final int maxDepth;
    private int p;
    private int depth;

    private FastXmlRpcParser(byte[] b, int maxDepth) {
        this.b = b;
        this.end = b.length;
        this.maxDepth = maxDepth;
    }

    /** The call, or {@code null} when the StAX path must decide. */
    static RpcCall parse(byte[] bytes, XmlRpcReader.Limits limits) {
        if (bytes.length > limits.maxBytes()) return null;
        try {
            return new FastXmlRpcParser(bytes, limits.maxDepth()).call();
        } catch (Bail e) {
            return null;
        } catch (RuntimeException e) {
            // a value parser's refusal (NumberFormatException, IllegalArgumentException): the StAX path words it
            return null;
        }
    }

    /**
     * A {@code methodResponse} with {@code <params>} (a {@code <fault>} leaves the fast path), interpreted as the
     * StAX path does ({@code XmlRpcReader.interpret}); {@code null} when the StAX path must decide.
     */
    static RpcResponse parseResponse(byte[] bytes, XmlRpcReader.Limits limits) {
        if (bytes.length > limits.maxBytes()) return null;
        try {
            return new FastXmlRpcParser(bytes, limits.maxDepth()).response();
        } catch (Bail e) {
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private RpcResponse response() {
        prolog();
        skipSpace();
        if (open("methodResponse")) throw BAIL;
        skipSpace();
        if (open("params")) throw BAIL;
        skipSpace();
        if (open("param")) throw BAIL;
        Object v = value();
        skipSpace();
        close("param");
        skipSpace();
        close("params");
        skipSpace();
        close("methodResponse");
        skipSpace();
        if (p != end) throw BAIL;
        return XmlRpcReader.interpret(v);
    }

    private RpcCall call() {
        prolog();
        skipSpace();
        if (open("methodCall")) throw BAIL;
        skipSpace();
        String method = open("methodName") ? "" : closedData("methodName");
        skipSpace();
        List<Object> params = new ArrayList<>();
        if (!open("params")) {
            while (true) {
                skipSpace();
                if (atEndTag()) break;
                if (open("param")) throw BAIL;
                params.add(value());
                skipSpace();
                close("param");
            }
            close("params");
        }
        skipSpace();
        close("methodCall");
        skipSpace();
        if (p != end) throw BAIL;
        return new RpcCall(method, params);
    }

    // ------------------------------------------------------------------ values

    private Object value() {
        skipSpace();
        if (open("value")) return "";
        String text = text();
        Object r;
        if (atEndTag()) {
            r = text;
        } else if (isSpace(text)) {
            r = typed();
            skipSpace();
        } else {
            throw BAIL;
        }
        close("value");
        return r;
    }

    private Object typed() {
        String tag = openAny();
        boolean selfClosed = b[p - 2] == '/';
        if (selfClosed || atEndTag()) {
            Object empty = switch (tag) {
                case "string" -> "";
                case "array" -> new ArrayList<>(0);
                case "struct" -> new LinkedHashMap<String, Object>(4);
                case "nil" -> null;
                default -> throw BAIL;
            };
            if (!selfClosed) close(tag);
            return empty;
        }
        Object r;
        switch (tag) {
            case "int", "i4", "i8" -> r = RpcValues.parseOcamlInt64(closedData(tag));
            case "boolean" -> r = "1".equals(closedData(tag));
            case "double" -> r = CFloat.parse(closedData(tag));
            case "string" -> r = closedData(tag);
            case "dateTime.iso8601" -> r = DateTime.parse(closedData(tag));
            case "base64" -> r = Base64.getDecoder().decode(stripSpace(closedData(tag)));
            case "array" -> {
                skipSpace();
                List<Object> l = new ArrayList<>();
                if (!open("data")) {
                    while (true) {
                        skipSpace();
                        if (atEndTag()) break;
                        l.add(value());
                    }
                    close("data");
                }
                skipSpace();
                close("array");
                r = l;
            }
            case "struct" -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (true) {
                    skipSpace();
                    if (atEndTag()) break;
                    if (open("member")) throw BAIL;
                    skipSpace();
                    String key = open("name") ? "" : closedData("name");
                    Object v = value();
                    skipSpace();
                    close("member");
                    m.putIfAbsent(key, v);
                }
                close("struct");
                r = m;
            }
            case "nil" -> {
                skipSpace();
                close("nil");
                r = null;
            }
            default -> throw BAIL;
        }
        return r;
    }

    /** The text of a scalar element whose start tag has been read, then its end tag. */
    private String closedData(String tag) {
        String d = text();
        close(tag);
        return d;
    }

    // ------------------------------------------------------------------ markup

    /** The XML declaration, if any: {@code version="1.0"}, optionally {@code encoding="UTF-8"}, nothing else. */
    private void prolog() {
        if (!startsWith(PROLOG) || end < 6 || !isSpaceByte(b[5])) return;
        p = 5;
        skipSpace();
        if (!attribute("version").equals("1.0")) throw BAIL;
        boolean space = skipSpace();
        if (space && startsWith(ENCODING)) {
            if (!attribute("encoding").equalsIgnoreCase("UTF-8")) throw BAIL;
            skipSpace();
        }
        if (p + 1 >= end || b[p] != '?' || b[p + 1] != '>') throw BAIL;
        p += 2;
    }

    /** {@code name = "value"} (either quote) at the position; the value's ASCII letters, digits, dots and dashes. */
    private String attribute(String name) {
        if (!startsWith(bytes(name))) throw BAIL;
        p += name.length();
        skipSpace();
        if (p >= end || b[p] != '=') throw BAIL;
        p++;
        skipSpace();
        if (p >= end || (b[p] != '"' && b[p] != '\'')) throw BAIL;
        byte quote = b[p++];
        int start = p;
        while (p < end && b[p] != quote) {
            byte c = b[p];
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'))
                throw BAIL;
            p++;
        }
        if (p >= end) throw BAIL;
        String v = new String(b, start, p - start, StandardCharsets.ISO_8859_1);
        p++;
        return v;
    }

    /** Reads {@code <name>} or {@code <name/>}; true when it closed itself. */
    private boolean open(String name) {
        int n = name.length();
        if (p + n + 1 >= end || b[p] != '<') throw BAIL;
        for (int i = 0; i < n; i++) {
            if (b[p + 1 + i] != name.charAt(i)) throw BAIL;
        }
        int q = p + 1 + n;
        boolean self;
        if (b[q] == '>') {
            self = false;
            p = q + 1;
        } else if (b[q] == '/' && q + 1 < end && b[q + 1] == '>') {
            self = true;
            p = q + 2;
        } else {
            throw BAIL;
        }
        if (depth + 1 > maxDepth) throw BAIL;
        if (!self) depth++;
        return self;
    }

    /** Reads the start tag of a typed value ({@code <string>}, {@code <int/>}, ...) and returns its name. */
    private String openAny() {
        if (p + 1 >= end || b[p] != '<') throw BAIL;
        int q = p + 1;
        while (q < end && b[q] != '>' && b[q] != '/') q++;
        if (q >= end) throw BAIL;
        int len = q - p - 1;
        String tag = null;
        for (String t : TYPES) {
            if (t.length() == len && matches(p + 1, t)) {
                tag = t;
                break;
            }
        }
        if (tag == null) throw BAIL;
        open(tag);
        return tag;
    }

    private boolean matches(int at, String s) {
        if (at + s.length() > end) return false;
        for (int i = 0; i < s.length(); i++) {
            if (b[at + i] != s.charAt(i)) return false;
        }
        return true;
    }

    /** Reads {@code </name>}. */
    private void close(String name) {
        int n = name.length();
        if (p + n + 3 > end) throw BAIL;
        if (b[p] != '<' || b[p + 1] != '/') throw BAIL;
        for (int i = 0; i < n; i++) {
            if (b[p + 2 + i] != name.charAt(i)) throw BAIL;
        }
        if (b[p + 2 + n] != '>') throw BAIL;
        p += n + 3;
        depth--;
    }

    private boolean atEndTag() {
        return p + 1 < end && b[p] == '<' && b[p + 1] == '/';
    }

    private boolean startsWith(byte[] s) {
        if (p + s.length > end) return false;
        for (int i = 0; i < s.length; i++) {
            if (b[p + i] != s[i]) return false;
        }
        return true;
    }

    /** Skips spaces, tabs and line feeds; true when there were any. */
    private boolean skipSpace() {
        int start = p;
        while (p < end && isSpaceByte(b[p])) p++;
        return p > start;
    }

    private static boolean isSpaceByte(byte c) {
        return c == ' ' || c == '\n' || c == '\t';
    }

    // ------------------------------------------------------------------ text

    /** Character data up to the next {@code <} (which must exist), references resolved. */
    private String text() {
        int start = p;
        boolean ascii = true;
        boolean plain = true;
        while (p < end) {
            int c = b[p] & 0xff;
            if (c == '<') break;
            if (c == '&') {
                plain = false;
            } else if (c >= 0x80) {
                ascii = false;
            } else if (c < 0x20 && c != '\t' && c != '\n') {
                throw BAIL; // other controls are not XML characters; a carriage return would be normalised
            } else if (c == '>' && p - start >= 2 && b[p - 1] == ']' && b[p - 2] == ']') {
                throw BAIL; // "]]>" is not allowed in text
            }
            p++;
        }
        if (p >= end) throw BAIL;
        if (start == p) return "";
        String raw = ascii ? new String(b, start, p - start, StandardCharsets.ISO_8859_1) : decode(start, p);
        return plain ? raw : resolve(raw);
    }

    /** Strict UTF-8 (as the StAX path's byte check), refusing the two non-characters XML excludes. */
    private String decode(int from, int to) {
        String s;
        try {
            s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, from, to - from))
                    .toString();
        } catch (CharacterCodingException e) {
            throw BAIL;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\uFFFE' || c == '\uFFFF') throw BAIL;
        }
        return s;
    }

    /** Resolves {@code &amp; &lt; &gt; &quot; &apos;} and character references; anything else leaves the path. */
    private static String resolve(String raw) {
        StringBuilder out = new StringBuilder(raw.length());
        int i = 0;
        int n = raw.length();
        while (i < n) {
            char c = raw.charAt(i);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int semi = raw.indexOf(';', i + 1);
            if (semi < 0 || semi - i > 12) throw BAIL;
            String ref = raw.substring(i + 1, semi);
            switch (ref) {
                case "amp" -> out.append('&');
                case "lt" -> out.append('<');
                case "gt" -> out.append('>');
                case "quot" -> out.append('"');
                case "apos" -> out.append('\'');
                default -> out.appendCodePoint(charRef(ref));
            }
            i = semi + 1;
        }
        return out.toString();
    }

    /** The code point of {@code #NNN} or {@code #xHHH}, which must be an XML character. */
    private static int charRef(String ref) {
        if (ref.length() < 2 || ref.charAt(0) != '#') throw BAIL;
        boolean hex = ref.charAt(1) == 'x';
        String digits = ref.substring(hex ? 2 : 1);
        if (digits.isEmpty()) throw BAIL;
        int cp = 0;
        for (int k = 0; k < digits.length(); k++) {
            char c = digits.charAt(k);
            int d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else throw BAIL;
            cp = cp * (hex ? 16 : 10) + d;
            if (cp > 0x10FFFF) throw BAIL;
        }
        boolean xmlChar = cp == 0x9
                || cp == 0xA
                || cp == 0xD
                || (cp >= 0x20 && cp <= 0xD7FF)
                || (cp >= 0xE000 && cp <= 0xFFFD)
                || (cp >= 0x10000 && cp <= 0x10FFFF);
        if (!xmlChar) throw BAIL;
        return cp;
    }

    private static boolean isSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
        }
        return true;
    }

    private static String stripSpace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') out.append(c);
        }
        return out.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
