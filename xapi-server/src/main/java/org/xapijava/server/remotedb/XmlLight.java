package org.xapijava.server.remotedb;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The XML tree of Xapi's {@code xml-light2} ({@code ocaml/libs/xml-light2/xml.ml}), which the v1 remote database
 * protocol is written in, with its exact printing and parsing:
 * <ul>
 *   <li>{@link #write}: {@code Xml.to_string}: no declaration, no whitespace, an element without children is
 *       {@code <tag/>}, text escapes {@code > < & "} and silently drops every character below {@code 0x20} except
 *       tab, LF and CR;</li>
 *   <li>{@link #parse}: {@code Xml.parse_string}: a text child made only of spaces, tabs and newlines is dropped
 *       (so a string of whitespace alone is read back as the empty string, as Xapi reads it); no DTD, no external
 *       entities.</li>
 * </ul>
 * Stateless and thread-safe.
 */
final class XmlLight {
    private XmlLight() {}

    /** A node: an element or text. */
    sealed interface Node permits Element, Text {}

    /** An element; {@code hasAttributes}: Xapi's readers refuse those ({@code XMLRPC.From.unbox}). */
    record Element(String tag, List<Node> children, boolean hasAttributes) implements Node {
        Element(String tag, List<Node> children) {
            this(tag, List.copyOf(children), false);
        }
    }

    record Text(String data) implements Node {}

    /** The body could not be parsed as XML ({@code Xml.Error}). */
    static final class ParseError extends Exception {
        private static final long serialVersionUID = 1L;

        ParseError(String m, Throwable cause) {
            super(m, cause);
        }
    }

    private static final XMLInputFactory FACTORY;

    static {
        FACTORY = org.xapijava.model.util.SafeXml.inputFactory();
        FACTORY.setProperty(XMLInputFactory.IS_COALESCING, true);
        FACTORY.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
    }

    /** {@code Xml.to_string}. */
    static String write(Node n) {
        StringBuilder b = new StringBuilder(256);
        write(n, b);
        return b.toString();
    }

    static void write(Node n, StringBuilder b) {
        switch (n) {
            case Text t -> escape(t.data(), b);
            case Element e -> {
                if (e.children().isEmpty()) {
                    b.append('<').append(e.tag()).append("/>");
                } else {
                    b.append('<').append(e.tag()).append('>');
                    for (Node c : e.children()) write(c, b);
                    b.append("</").append(e.tag()).append('>');
                }
            }
        }
    }

    /** {@code esc_pcdata}. */
    private static void escape(String s, StringBuilder b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '>' -> b.append("&gt;");
                case '<' -> b.append("&lt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') b.append(c);
                }
            }
        }
    }

    /** {@code Xml.parse_string} of UTF-8 bytes. */
    static Node parse(byte[] body) throws ParseError {
        XMLStreamReader r = null;
        try {
            r = FACTORY.createXMLStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8.name());
            while (r.hasNext()) {
                if (r.next() == XMLStreamConstants.START_ELEMENT) return element(r);
            }
            throw new ParseError("no root element", null);
        } catch (XMLStreamException | RuntimeException e) {
            throw new ParseError(String.valueOf(e.getMessage()), e);
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // nothing held
                }
            }
        }
    }

    /** The element the reader is at (START_ELEMENT), read to its END_ELEMENT. */
    private static Element element(XMLStreamReader r) throws XMLStreamException {
        String tag = r.getLocalName();
        boolean attrs = r.getAttributeCount() > 0;
        List<Node> children = new ArrayList<>();
        StringBuilder text = null;
        while (true) {
            int ev = r.next();
            switch (ev) {
                case XMLStreamConstants.START_ELEMENT -> {
                    text = flush(text, children);
                    children.add(element(r));
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                    if (text == null) text = new StringBuilder();
                    text.append(r.getText());
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    flush(text, children);
                    return new Element(tag, List.copyOf(children), attrs);
                }
                default -> {
                    // comments and processing instructions carry nothing
                }
            }
        }
    }

    private static StringBuilder flush(StringBuilder text, List<Node> children) {
        if (text != null && !blank(text)) children.add(new Text(text.toString()));
        return null;
    }

    /** xml-light2's {@code is_empty}: only spaces, tabs and newlines. */
    private static boolean blank(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n') return false;
        }
        return true;
    }
}
