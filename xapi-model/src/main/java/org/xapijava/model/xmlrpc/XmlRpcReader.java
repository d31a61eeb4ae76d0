package org.xapijava.model.xmlrpc;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.types.CFloat;
import org.xapijava.model.types.DateTime;

/**
 * Streaming XML-RPC decoder (StAX): {@code methodCall} → {@link RpcCall}, {@code methodResponse} →
 * {@link RpcResponse}, a lone {@code <value>} document → an RPC value (see {@code org.xapijava.model.rpc} for
 * the value tree).
 *
 * <p>Accepted input follows ocaml-rpc's parser as used by Xapi: {@code <string>}, untyped
 * {@code <value>text</value>} and empty {@code <value/>} are strings; {@code <i4>}, {@code <i8>}, {@code <int>}
 * decode to {@link Long} (OCaml {@code Int64.of_string} syntax); {@code <boolean>} is true only for the text
 * {@code 1}; empty {@code <string/>}, {@code <array/>}, {@code <struct/>} are allowed; whitespace between
 * elements is ignored; {@code <params>} is mandatory in a call.
 *
 * <p>Refused with {@link XmlRpcParseException} (never another exception type for bad input): malformed or
 * truncated XML, content after the root element, invalid UTF-8, an encoding other than UTF-8, XML other than
 * 1.0, any DOCTYPE (so no entity expansion and no external entities), namespaced elements (Apache XML-RPC's
 * {@code ex:} extensions), unknown elements, values that do not parse, more than {@link Limits#maxDepth()}
 * nested elements, and more than {@link Limits#maxBytes()} bytes of input (counted while streaming).
 *
 * <p>Thread-safe: instances are immutable and share one configured {@link XMLInputFactory}.
 */
public final class XmlRpcReader {

    /**
     * Input limits.
     *
     * @param maxBytes most bytes read from the input before the parse is refused
     * @param maxDepth most nested elements (the document element is depth 1)
     */
    public record Limits(long maxBytes, int maxDepth) {
        public Limits {
            if (maxBytes <= 0 || maxDepth <= 0) throw new IllegalArgumentException("limits must be positive");
        }
    }

    /**
     * Limits for requests: Xapi refuses RPC bodies above 300 KiB ({@code Constants.http_limit_max_rpc_size}); 64
     * levels are far more than any XenAPI value needs (a record of maps nests about 12 deep).
     */
    public static final Limits REQUEST_LIMITS = new Limits(307_200, 64);

    /** Limits for responses read by pool-internal clients: results such as get_all_records can be large. */
    public static final Limits RESPONSE_LIMITS = new Limits(1L << 30, 64);

    /** A reader with {@link #REQUEST_LIMITS}. */
    public static final XmlRpcReader REQUESTS = new XmlRpcReader(REQUEST_LIMITS);

    /** A reader with {@link #RESPONSE_LIMITS}. */
    public static final XmlRpcReader RESPONSES = new XmlRpcReader(RESPONSE_LIMITS);

    /**
     * One factory for every parse: configured once, then only used to create readers (which the JDK
     * implementation does without mutating shared state when instance reuse is off, its default).
     */
    private static final XMLInputFactory FACTORY = newFactory();

    private static XMLInputFactory newFactory() {
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_COALESCING, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, Boolean.TRUE);
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        // The JDK's own entity-size limits (100,000 chars by default since JDK 24) would also cap plain text
        // and whole documents; with DTDs refused there are no entities to limit, and Limits bounds the input.
        for (String p : new String[] {
            "jdk.xml.maxGeneralEntitySizeLimit", "jdk.xml.totalEntitySizeLimit", "jdk.xml.maxElementDepth"
        }) {
            try {
                f.setProperty(p, "0");
            } catch (IllegalArgumentException e) {
                // Unknown to this JDK: it has no such limit either.
            }
        }
        f.setXMLResolver((publicId, systemId, base, ns) -> {
            throw new XMLStreamException("external entity refused: " + systemId);
        });
        return f;
    }

    private final Limits limits;

    public XmlRpcReader(Limits limits) {
        this.limits = java.util.Objects.requireNonNull(limits);
    }

    public Limits limits() {
        return limits;
    }

    /** Decodes a {@code methodCall}. Genuine I/O errors of {@code in} are rethrown as they are. */
    public RpcCall readCall(InputStream in) throws XmlRpcParseException, IOException {
        return new Parse(in, limits).call();
    }

    /**
     * Decodes a {@code methodCall} held in memory: the plain form every client sends is scanned directly
     * ({@link FastXmlRpcParser}), anything else goes through StAX; both give the same call for the same bytes.
     */
    public RpcCall readCall(byte[] bytes) throws XmlRpcParseException {
        RpcCall fast = FastXmlRpcParser.parse(bytes, limits);
        return fast != null ? fast : readCallStax(bytes);
    }

    /** {@link #readCall(byte[])} without the fast path (for tests that compare the two). */
    RpcCall readCallStax(byte[] bytes) throws XmlRpcParseException {
        try {
            return readCall(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Decodes a {@code methodResponse}: Xapi's {@code {Status: Success, Value}} becomes a success with that value,
     * {@code {Status: Failure, ErrorDescription}} a failure with that array, any other value (e.g. the bare array
     * of {@code system.listMethods}) a success with the value itself, and an XML-RPC {@code <fault>} a failure
     * {@code ["fault", faultCode, faultString]} (as ocaml-rpc does).
     */
    public RpcResponse readResponse(InputStream in) throws XmlRpcParseException, IOException {
        return new Parse(in, limits).response();
    }

    public RpcResponse readResponse(byte[] bytes) throws XmlRpcParseException {
        RpcResponse fast = FastXmlRpcParser.parseResponse(bytes, limits);
        return fast != null ? fast : readResponseStax(bytes);
    }

    /** {@link #readResponse(byte[])} without the fast path (for tests that compare the two). */
    RpcResponse readResponseStax(byte[] bytes) throws XmlRpcParseException {
        try {
            return readResponse(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Decodes a document that is a single {@code <value>} (the form of {@code task.result}). */
    public Object readValue(byte[] bytes) throws XmlRpcParseException {
        try {
            return new Parse(new ByteArrayInputStream(bytes), limits).lone();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public Object readValue(String xml) throws XmlRpcParseException {
        return readValue(xml.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A response's value as a result: Xapi's {@code {Status: Success, Value}} and {@code {Status: Failure,
     * ErrorDescription}} envelopes, or any other value as a success (shared by both parse paths).
     */
    static RpcResponse interpret(Object v) {
        if (v instanceof Map<?, ?> m) {
            Object status = m.get("Status");
            if ("Success".equals(status) && m.containsKey("Value")) return RpcResponse.success(m.get("Value"));
            if ("Failure".equals(status) && m.containsKey("ErrorDescription")) {
                return RpcResponse.failure(m.get("ErrorDescription"));
            }
        }
        return RpcResponse.success(v);
    }

    /** Raised by {@link Counting} on bad input bytes; recognised in the parser's cause chain. */
    private static final class BadBytes extends IOException {
        private static final long serialVersionUID = 1L;
        final int line;
        final int column;

        BadBytes(String m, int line, int column) {
            super(m, null);
            this.line = line;
            this.column = column;
        }
    }

    /**
     * Counts bytes as the parser pulls them, refuses to deliver more than the limit, and validates UTF-8 on the
     * way (strictly: no overlong forms, surrogates or code points above U+10FFFF), tracking line and column so
     * that a bad byte is reported exactly where it is.
     */
    private static final class Counting extends FilterInputStream {
        private final long max;
        long count;
        private int need;
        private int lo = 0x80;
        private int hi = 0xBF;
        private int line = 1;
        private int column = 1;

        Counting(InputStream in, long max) {
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
                if (need > 0)
                    throw new BadBytes("invalid UTF-8: input ends inside a multi-byte character", line, column);
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
                    String.format(
                            "invalid UTF-8 (byte 0x%02X at offset %d) at line %d, column %d", b, count, line, column),
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
    }

    // Token kinds of the thin layer over StAX.
    private static final int START = 1;
    private static final int END = 2;
    private static final int TEXT = 3;
    private static final int EOF = 4;

    /** One parse: not thread-safe, used once. */
    private static final class Parse {
        private final Counting counting;
        private final Limits limits;
        private final XMLStreamReader xr;
        private int depth;
        /** Non-zero when a StAX event was read ahead (while merging text) and not yet turned into a token. */
        private int pendingEvent;

        private boolean haveToken;
        private int kind;
        private String name;
        private String text;
        private int line;
        private int column;
        private final StringBuilder textBuf = new StringBuilder();

        Parse(InputStream in, Limits limits) throws XmlRpcParseException, IOException {
            this.limits = limits;
            this.counting = new Counting(in, limits.maxBytes());
            try {
                InputStreamReader reader = new InputStreamReader(
                        skipBom(counting),
                        StandardCharsets.UTF_8
                                .newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT));
                this.xr = FACTORY.createXMLStreamReader(reader);
                mark();
                checkProlog();
            } catch (XMLStreamException | IOException | RuntimeException e) {
                throw translate(e);
            }
        }

        private static InputStream skipBom(InputStream in) throws IOException {
            java.io.PushbackInputStream p = new java.io.PushbackInputStream(in, 3);
            byte[] head = new byte[3];
            int n = p.readNBytes(head, 0, 3);
            boolean bom = n == 3 && (head[0] & 0xff) == 0xEF && (head[1] & 0xff) == 0xBB && (head[2] & 0xff) == 0xBF;
            if (!bom && n > 0) p.unread(head, 0, n);
            return p;
        }

        RpcCall call() throws XmlRpcParseException, IOException {
            try {
                try {
                    expectRoot("methodCall");
                    openExpected("methodName", "methodCall");
                    String method = data("methodName");
                    closeTag("methodName");
                    openExpected("params", "methodCall");
                    List<Object> params = new ArrayList<>();
                    while (peekSkippingSpace() != END) {
                        openExpected("param", "params");
                        params.add(value());
                        closeTag("param");
                    }
                    closeTag("params");
                    closeTag("methodCall");
                    expectEof();
                    return new RpcCall(method, params);
                } finally {
                    xr.close();
                }
            } catch (XMLStreamException | RuntimeException e) {
                throw translate(e);
            }
        }

        RpcResponse response() throws XmlRpcParseException, IOException {
            try {
                try {
                    expectRoot("methodResponse");
                    String tag = openTag("methodResponse");
                    RpcResponse r;
                    if (tag.equals("params")) {
                        openExpected("param", "params");
                        Object v = value();
                        closeTag("param");
                        closeTag("params");
                        r = XmlRpcReader.interpret(v);
                    } else if (tag.equals("fault")) {
                        Object v = value();
                        closeTag("fault");
                        if (v instanceof Map<?, ?> m && m.containsKey("faultCode") && m.containsKey("faultString")) {
                            List<Object> d = new ArrayList<>(3);
                            d.add("fault");
                            d.add(m.get("faultCode"));
                            d.add(m.get("faultString"));
                            r = RpcResponse.failure(d);
                        } else {
                            throw fail("<fault> must hold a struct with faultCode and faultString, not "
                                    + RpcValues.debugString(v));
                        }
                    } else {
                        throw fail("expected <params> or <fault> in <methodResponse>, found <" + tag + ">");
                    }
                    closeTag("methodResponse");
                    expectEof();
                    return r;
                } finally {
                    xr.close();
                }
            } catch (XMLStreamException | RuntimeException e) {
                throw translate(e);
            }
        }

        Object lone() throws XmlRpcParseException, IOException {
            try {
                try {
                    if (peekSkippingSpace() != START || !name.equals("value")) {
                        throw fail("expected <value> as the document element");
                    }
                    Object v = value();
                    expectEof();
                    return v;
                } finally {
                    xr.close();
                }
            } catch (XMLStreamException | RuntimeException e) {
                throw translate(e);
            }
        }

        // ---- values ----

        private Object value() throws XMLStreamException, XmlRpcParseException, IOException {
            openExpected("value", null);
            Object r;
            int k = peek();
            if (k == END) {
                r = "";
            } else if (k == TEXT) {
                String d = text;
                consume();
                if (isSpace(d) && peek() == START) {
                    r = typed();
                } else {
                    r = d;
                }
            } else {
                r = typed();
            }
            closeTag("value");
            return r;
        }

        private Object typed() throws XMLStreamException, XmlRpcParseException, IOException {
            String tag = openTag("value");
            if (peek() == END) {
                Object empty = switch (tag) {
                    case "string" -> "";
                    case "array" -> new ArrayList<>(0);
                    case "struct" -> new LinkedHashMap<String, Object>(4);
                    case "nil" -> null;
                    case "int", "i4", "i8", "boolean", "double", "dateTime.iso8601", "base64" ->
                        throw fail("empty <" + tag + ">");
                    default -> throw unknown(tag);
                };
                closeTag(tag);
                return empty;
            }
            Object r;
            switch (tag) {
                case "int", "i4", "i8" -> {
                    String d = data(tag);
                    try {
                        r = RpcValues.parseOcamlInt64(d);
                    } catch (NumberFormatException e) {
                        throw fail("<" + tag + "> is not a 64-bit integer: '" + clip(d) + "'");
                    }
                }
                case "boolean" -> r = "1".equals(data(tag));
                case "double" -> {
                    String d = data(tag);
                    try {
                        r = CFloat.parse(d);
                    } catch (NumberFormatException e) {
                        throw fail("<double> is not a float: '" + clip(d) + "'");
                    }
                }
                case "string" -> r = data(tag);
                case "dateTime.iso8601" -> {
                    String d = data(tag);
                    try {
                        r = DateTime.parse(d);
                    } catch (IllegalArgumentException e) {
                        throw fail("<dateTime.iso8601> is not a date and time: '" + clip(d) + "'");
                    }
                }
                case "base64" -> {
                    String d = data(tag);
                    try {
                        r = Base64.getDecoder().decode(stripSpace(d));
                    } catch (IllegalArgumentException e) {
                        throw fail("<base64> is not base64: " + e.getMessage());
                    }
                }
                case "array" -> {
                    openExpected("data", "array");
                    List<Object> l = new ArrayList<>();
                    while (peekSkippingSpace() != END) l.add(value());
                    closeTag("data");
                    r = l;
                }
                case "struct" -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    while (peekSkippingSpace() != END) {
                        openExpected("member", "struct");
                        openExpected("name", "member");
                        String key = data("name");
                        closeTag("name");
                        Object v = value();
                        closeTag("member");
                        m.putIfAbsent(key, v);
                    }
                    r = m;
                }
                case "nil" -> r = null;
                default -> throw unknown(tag);
            }
            closeTag(tag);
            return r;
        }

        private XmlRpcParseException unknown(String tag) {
            return fail("unknown element <" + tag + "> in <value> (expected one of int, i4, i8, boolean, double, "
                    + "string, dateTime.iso8601, base64, array, struct, nil)");
        }

        // ---- structure ----

        private void expectRoot(String root) throws XMLStreamException, XmlRpcParseException, IOException {
            int k = peekSkippingSpace();
            if (k == EOF) throw fail("empty document");
            if (k != START) throw fail("expected <" + root + ">");
            if (!name.equals(root)) throw fail("expected <" + root + "> as the document element, found <" + name + ">");
            consume();
        }

        /** The next element's name, skipping whitespace; {@code parent} names the enclosing element for messages. */
        private String openTag(String parent) throws XMLStreamException, XmlRpcParseException, IOException {
            int k = peekSkippingSpace();
            switch (k) {
                case START -> {
                    String n = name;
                    consume();
                    return n;
                }
                case TEXT ->
                    throw fail("unexpected text '" + clip(text) + "' where an element was expected"
                            + (parent == null ? "" : " in <" + parent + ">"));
                case END ->
                    throw fail("unexpected end of " + (parent == null ? "element" : "<" + parent + ">")
                            + " where an element was expected");
                default -> throw fail("unexpected end of input");
            }
        }

        private void openExpected(String tag, String parent)
                throws XMLStreamException, XmlRpcParseException, IOException {
            int k = peekSkippingSpace();
            if (k == START && !name.equals(tag)) {
                throw fail("expected <" + tag + ">" + (parent == null ? "" : " in <" + parent + ">") + ", found <"
                        + name + ">");
            }
            if (k == END) {
                throw fail("missing <" + tag + ">" + (parent == null ? "" : " in <" + parent + ">"));
            }
            openTag(parent);
        }

        private void closeTag(String tag) throws XMLStreamException, XmlRpcParseException, IOException {
            int k = peekSkippingSpace();
            switch (k) {
                case END -> consume();
                case START -> throw fail("unexpected element <" + name + "> in <" + tag + ">");
                case TEXT -> throw fail("unexpected text '" + clip(text) + "' in <" + tag + ">");
                default -> throw fail("unexpected end of input in <" + tag + ">");
            }
        }

        /** The character data of a scalar element (empty when the element ends at once). */
        private String data(String tag) throws XMLStreamException, XmlRpcParseException, IOException {
            int k = peek();
            if (k == TEXT) {
                String d = text;
                consume();
                return d;
            }
            if (k == END) return "";
            if (k == START) throw fail("unexpected element <" + name + "> in <" + tag + ">");
            throw fail("unexpected end of input in <" + tag + ">");
        }

        private void expectEof() throws XMLStreamException, XmlRpcParseException, IOException {
            int k = peekSkippingSpace();
            if (k != EOF) throw fail("content after the document element");
        }

        // ---- tokens over StAX ----

        private int peekSkippingSpace() throws XMLStreamException, XmlRpcParseException, IOException {
            while (peek() == TEXT && isSpace(text)) consume();
            return kind;
        }

        private void consume() {
            haveToken = false;
        }

        private int peek() throws XMLStreamException, XmlRpcParseException, IOException {
            if (haveToken) return kind;
            textBuf.setLength(0);
            boolean inText = false;
            while (true) {
                int ev;
                if (pendingEvent != 0) {
                    ev = pendingEvent;
                    pendingEvent = 0;
                } else {
                    ev = xr.next();
                }
                switch (ev) {
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                        if (!inText) mark();
                        inText = true;
                        textBuf.append(xr.getTextCharacters(), xr.getTextStart(), xr.getTextLength());
                        continue;
                    }
                    case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> {
                        continue;
                    }
                    default -> {}
                }
                if (inText) {
                    pendingEvent = ev;
                    return token(TEXT);
                }
                switch (ev) {
                    case XMLStreamConstants.START_ELEMENT -> {
                        mark();
                        String prefix = xr.getPrefix();
                        String ns = xr.getNamespaceURI();
                        if ((prefix != null && !prefix.isEmpty()) || (ns != null && !ns.isEmpty())) {
                            String q = prefix == null || prefix.isEmpty()
                                    ? xr.getLocalName()
                                    : prefix + ":" + xr.getLocalName();
                            throw fail("namespaced element <" + q + "> refused (XML-RPC extensions are not supported)");
                        }
                        if (++depth > limits.maxDepth()) {
                            throw fail("elements nested deeper than the limit of " + limits.maxDepth());
                        }
                        name = xr.getLocalName();
                        return token(START);
                    }
                    case XMLStreamConstants.END_ELEMENT -> {
                        mark();
                        depth--;
                        return token(END);
                    }
                    case XMLStreamConstants.END_DOCUMENT -> {
                        mark();
                        return token(EOF);
                    }
                    case XMLStreamConstants.DTD -> {
                        mark();
                        throw fail("DOCTYPE refused");
                    }
                    case XMLStreamConstants.ENTITY_REFERENCE -> {
                        mark();
                        throw fail("undeclared entity reference &" + xr.getLocalName() + ";");
                    }
                    default -> {
                        mark();
                        throw fail("unexpected XML event " + ev);
                    }
                }
            }
        }

        private void checkProlog() throws XmlRpcParseException {
            String enc = xr.getCharacterEncodingScheme();
            if (enc != null) {
                String e = enc.toUpperCase(Locale.ROOT);
                if (!e.equals("UTF-8") && !e.equals("UTF8") && !e.equals("US-ASCII") && !e.equals("ASCII")) {
                    throw fail("encoding '" + enc + "' refused (only UTF-8 is accepted)");
                }
            }
            String version = xr.getVersion();
            if (version != null && !version.equals("1.0")) throw fail("XML version '" + version + "' refused");
        }

        private int token(int k) {
            kind = k;
            haveToken = true;
            text = k == TEXT ? textBuf.toString() : null;
            return k;
        }

        private void mark() {
            Location l = xr.getLocation();
            line = l == null ? -1 : l.getLineNumber();
            column = l == null ? -1 : l.getColumnNumber();
        }

        private XmlRpcParseException fail(String what) {
            return new XmlRpcParseException(what + " at line " + line + ", column " + column, line, column);
        }

        /**
         * The JDK parser reports some namespace errors as an untranslated key
         * ({@code http://www.w3.org/TR/1999/REC-xml-names-19990114#ElementPrefixUnbound?ex&ex:nil}).
         */
        private static String readable(String m) {
            int hash = m.indexOf('#');
            if (!m.startsWith("http://www.w3.org/") || hash < 0) return m;
            String rest = m.substring(hash + 1);
            int q = rest.indexOf('?');
            String key = q < 0 ? rest : rest.substring(0, q);
            String[] args = q < 0 ? new String[0] : rest.substring(q + 1).split("&");
            if (key.equals("ElementPrefixUnbound") && args.length == 2) {
                return "prefix '" + args[0] + "' of element <" + args[1] + "> is not bound "
                        + "(namespaced elements such as XML-RPC extensions are not supported)";
            }
            return key + (args.length == 0 ? "" : " " + String.join(", ", args));
        }

        private static boolean isSpace(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
            }
            return true;
        }

        private static String stripSpace(String s) {
            StringBuilder b = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\n' && c != '\t' && c != '\r') b.append(c);
            }
            return b.toString();
        }

        private static String clip(String s) {
            return s.length() <= 64 ? s : s.substring(0, 64) + "...";
        }

        /**
         * Turns what the XML parser threw into a parse exception, or rethrows a genuine I/O error of the
         * underlying stream.
         */
        private XmlRpcParseException translate(Exception e) throws IOException {
            if (e instanceof XmlRpcParseException p) return p;
            int ln = line;
            int col = column;
            if (e instanceof XMLStreamException x && x.getLocation() != null) {
                ln = x.getLocation().getLineNumber();
                col = x.getLocation().getColumnNumber();
            }
            IOException io = null;
            int guard = 0;
            for (Throwable t = e; t != null && guard++ < 16; ) {
                if (t instanceof BadBytes bb) {
                    return new XmlRpcParseException(bb.getMessage(), bb.line, bb.column);
                }
                if (t instanceof CharacterCodingException) {
                    return new XmlRpcParseException(
                            "invalid UTF-8 at line " + ln + ", column " + col + " (within the first " + counting.count
                                    + " bytes)",
                            ln,
                            col);
                }
                if (io == null && t instanceof IOException i) io = i;
                t = t instanceof XMLStreamException x && x.getNestedException() != null
                        ? x.getNestedException()
                        : t.getCause();
            }
            if (io != null) throw io;
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            int at = m.indexOf("Message: ");
            if (at >= 0) m = m.substring(at + "Message: ".length());
            m = readable(m.strip());
            return new XmlRpcParseException(
                    "malformed XML: " + m.strip() + " at line " + ln + ", column " + col, ln, col);
        }
    }
}
