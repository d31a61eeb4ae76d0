package org.xapijava.model.xmlrpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The token layer of {@link XmlRpcReader}'s StAX path: one document read through a {@link LimitedUtf8Input} by the
 * JDK's StAX parser, turned into the four tokens the XML-RPC grammar needs ({@link #START} with its
 * {@link #name}, {@link #END}, {@link #TEXT} with its {@link #text}, adjacent text merged, {@link #EOF}), with
 * the structural checks built on them ({@link #openExpected}, {@link #closeTag}, {@link #data}, ...).
 *
 * <p>Everything XML allows but XML-RPC does not is refused here: a DOCTYPE, entity references, namespaced
 * elements, an encoding other than UTF-8, XML other than 1.0, nesting beyond {@link XmlRpcReader.Limits#maxDepth()};
 * comments and processing instructions are skipped. Every failure is an {@link XmlRpcParseException} giving
 * the line and column ({@link #fail}, and {@link #translate} for what StAX or the input stream threw).
 *
 * <p>One parse: not thread-safe, used once.
 */
final class StaxTokens {
    /**
     * One factory for every parse: configured once, then only used to create readers (which the JDK
     * implementation does without mutating shared state when instance reuse is off, its default).
     */
    private static final XMLInputFactory FACTORY = newFactory();

    private static XMLInputFactory newFactory() {
        XMLInputFactory f = org.xapijava.model.util.SafeXml.inputFactory();
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_COALESCING, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, Boolean.TRUE);
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

    // Token kinds.
    static final int START = 1;
    static final int END = 2;
    static final int TEXT = 3;
    static final int EOF = 4;

    private final LimitedUtf8Input counting;
    private final XmlRpcReader.Limits limits;
    private final XMLStreamReader xr;
    private int depth;
    /** Non-zero when a StAX event was read ahead (while merging text) and not yet turned into a token. */
    private int pendingEvent;

    private boolean haveToken;
    private int kind;
    /** The element name of a {@link #START} token. */
    String name;
    /** The text of a {@link #TEXT} token. */
    String text;

    private int line;
    private int column;
    private final StringBuilder textBuf = new StringBuilder();

    StaxTokens(InputStream in, XmlRpcReader.Limits limits) throws XmlRpcParseException, IOException {
        this.limits = limits;
        this.counting = new LimitedUtf8Input(in, limits.maxBytes());
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

    /** Ends the parse (releases the StAX reader; the caller owns the input stream). */
    void close() throws XMLStreamException {
        xr.close();
    }

    // ---- structure ----

    void expectRoot(String root) throws XMLStreamException, XmlRpcParseException, IOException {
        int k = peekSkippingSpace();
        if (k == EOF) throw fail("empty document");
        if (k != START) throw fail("expected <" + root + ">");
        if (!name.equals(root)) throw fail("expected <" + root + "> as the document element, found <" + name + ">");
        consume();
    }

    /** The next element's name, skipping whitespace; {@code parent} names the enclosing element for messages. */
    String openTag(String parent) throws XMLStreamException, XmlRpcParseException, IOException {
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

    void openExpected(String tag, String parent) throws XMLStreamException, XmlRpcParseException, IOException {
        int k = peekSkippingSpace();
        if (k == START && !name.equals(tag)) {
            throw fail("expected <" + tag + ">" + (parent == null ? "" : " in <" + parent + ">") + ", found <" + name
                    + ">");
        }
        if (k == END) {
            throw fail("missing <" + tag + ">" + (parent == null ? "" : " in <" + parent + ">"));
        }
        openTag(parent);
    }

    void closeTag(String tag) throws XMLStreamException, XmlRpcParseException, IOException {
        int k = peekSkippingSpace();
        switch (k) {
            case END -> consume();
            case START -> throw fail("unexpected element <" + name + "> in <" + tag + ">");
            case TEXT -> throw fail("unexpected text '" + clip(text) + "' in <" + tag + ">");
            default -> throw fail("unexpected end of input in <" + tag + ">");
        }
    }

    /** The character data of a scalar element (empty when the element ends at once). */
    String data(String tag) throws XMLStreamException, XmlRpcParseException, IOException {
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

    void expectEof() throws XMLStreamException, XmlRpcParseException, IOException {
        int k = peekSkippingSpace();
        if (k != EOF) throw fail("content after the document element");
    }

    // ---- tokens over StAX ----

    int peekSkippingSpace() throws XMLStreamException, XmlRpcParseException, IOException {
        while (peek() == TEXT && isSpace(text)) consume();
        return kind;
    }

    void consume() {
        haveToken = false;
    }

    int peek() throws XMLStreamException, XmlRpcParseException, IOException {
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

    XmlRpcParseException fail(String what) {
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

    static boolean isSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
        }
        return true;
    }

    static String stripSpace(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') b.append(c);
        }
        return b.toString();
    }

    static String clip(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    /**
     * Turns what the XML parser threw into a parse exception, or rethrows a genuine I/O error of the
     * underlying stream.
     */
    XmlRpcParseException translate(Exception e) throws IOException {
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
            if (t instanceof LimitedUtf8Input.BadBytes bb) {
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
        return new XmlRpcParseException("malformed XML: " + m.strip() + " at line " + ln + ", column " + col, ln, col);
    }
}
