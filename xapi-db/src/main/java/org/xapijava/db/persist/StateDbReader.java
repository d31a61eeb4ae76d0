package org.xapijava.db.persist;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads a {@code state.db} in Xapi's XML format into a {@link LoadedDb}: what {@link StateDbWriter}
 * writes, and what Xapi writes (one line), and also indented or newline-terminated variants and the
 * legacy {@code %_} (two spaces) escape.
 *
 * <p>Strict: anything that is not such a document (not XML, truncated, a DOCTYPE, no manifest first, a
 * missing manifest key, a row without {@code ref}, a bad number, a bad {@code %} escape, a duplicate
 * ref or table, an unknown element, text between elements) is a {@link StateDbFormatException} naming
 * the file, line and column and, when inside one, the table and row. Nothing partial is ever returned.
 *
 * <p>Streaming (StAX, one shared factory with DTDs and external entities disabled); a gzip-compressed
 * file (Xapi's {@code compress:true}) is recognized by its magic bytes. The text must be UTF-8 (what Xapi
 * writes); malformed UTF-8 is a format error. The {@code ref},
 * {@code __ctime}, {@code __mtime}, table names and manifest values are taken as written (Xapi does not
 * protect them); column values are unprotected; the {@code _ref} column is dropped (it is the ref).
 * Missing {@code __ctime}/{@code __mtime} read as 0, as in Xapi. Thread-safe (stateless).
 */
public final class StateDbReader {
    private static final XMLInputFactory FACTORY = newFactory();

    private StateDbReader() {}

    private static XMLInputFactory newFactory() {
        XMLInputFactory f = org.xapijava.model.util.SafeXml.inputFactory();
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, false);
        return f;
    }

    /**
     * Reads the file at {@code path} (plain or gzip). A file that is not well-formed XML only because attribute
     * values hold characters XML 1.0 refuses (control characters, U+FFFE, U+FFFF: what a broken writer leaves) is
     * read a second time, tolerantly, with those characters kept in the values, so that loading can name the
     * table, row and column that hold them (and a repair can replace them); any other fault is reported as found
     * by the first, strict reading.
     */
    public static LoadedDb read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString(), false);
        } catch (StateDbFormatException strict) {
            try (InputStream in = Files.newInputStream(path)) {
                return read(in, path.toString(), true);
            } catch (StateDbFormatException | RuntimeException tolerantToo) {
                throw strict;
            }
        }
    }

    /** Reads a document from {@code in} (plain or gzip; not closed); {@code source} names it in errors. */
    public static LoadedDb read(InputStream in, String source) throws IOException {
        return read(in, source, false);
    }

    private static LoadedDb read(InputStream in, String source, boolean tolerant) throws IOException {
        BufferedInputStream bin = new BufferedInputStream(in, 1 << 16);
        bin.mark(2);
        int b0 = bin.read();
        int b1 = bin.read();
        bin.reset();
        InputStream xml = bin;
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                xml = new BufferedInputStream(new GZIPInputStream(bin, 1 << 16), 1 << 16);
            } catch (IOException e) {
                throw new StateDbFormatException(source, -1, -1, "bad gzip header: " + e.getMessage(), e);
            }
        }
        // UTF-8 (all Xapi writes) decoded strictly here rather than by the parser, whose decoder prints
        // "[Fatal Error]" lines to stderr on malformed bytes.
        java.io.Reader chars = new java.io.InputStreamReader(
                xml,
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT));
        if (tolerant) chars = new IllegalCharEscaper(chars);
        XMLStreamReader r;
        try {
            r = FACTORY.createXMLStreamReader(chars);
        } catch (XMLStreamException e) {
            throw wrap(source, e, "not XML");
        }
        try {
            return new Parse(source, r, tolerant).document();
        } catch (XMLStreamException e) {
            throw wrap(source, e, "malformed XML");
        } catch (RuntimeException e) {
            // the JDK parser reports some I/O problems (truncated gzip) as unchecked exceptions
            throw new StateDbFormatException(source, -1, -1, "unreadable: " + e, e);
        } finally {
            try {
                r.close();
            } catch (XMLStreamException ignored) {
                // nothing held but the stream, which the caller closes
            }
        }
    }

    /**
     * Reads {@code <dbPath>.generation}: empty when the file does not exist; a
     * {@link StateDbFormatException} when it does not hold a decimal number (surrounding whitespace is
     * allowed).
     */
    public static OptionalLong readGeneration(Path dbPath) throws IOException {
        Path gen = StateDbWriter.generationPath(dbPath);
        String text;
        try {
            text = Files.readString(gen, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new StateDbFormatException(gen.toString(), -1, -1, "not a generation count (not ASCII)", e);
        }
        try {
            return OptionalLong.of(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            throw new StateDbFormatException(gen.toString(), 1, 1, "not a generation count: '" + text.strip() + "'", e);
        }
    }

    private static StateDbFormatException wrap(String source, XMLStreamException e, String what) {
        Location loc = e.getLocation();
        String msg = e.getMessage();
        // The JDK prefixes its message with "ParseError at [row,col]:[l,c]\nMessage: "; keep the message.
        int m = msg == null ? -1 : msg.indexOf("Message: ");
        if (m >= 0) {
            msg = msg.substring(m + "Message: ".length());
        }
        if (loc != null) {
            return new StateDbFormatException(source, loc.getLineNumber(), loc.getColumnNumber(), what + ": " + msg, e);
        }
        return new StateDbFormatException(source, -1, -1, what + ": " + msg, e);
    }

    /** Reverses Xapi's whitespace protection ({@code Xml_spaces.unprotect}), strictly. */
    static String unprotect(String s) {
        int i = s.indexOf('%');
        if (i < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        sb.append(s, 0, i);
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c != '%') {
                sb.append(c);
                i++;
                continue;
            }
            if (i + 1 >= n) {
                throw new IllegalArgumentException("'%' at the end of the value");
            }
            char d = s.charAt(i + 1);
            switch (d) {
                case '.' -> sb.append(' ');
                case '_' -> sb.append("  "); // legacy (CA-268761): two spaces
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case '%' -> sb.append('%');
                default -> throw new IllegalArgumentException("bad escape '%" + d + "' at character " + i);
            }
            i += 2;
        }
        return sb.toString();
    }

    /** One parse: the reader, where it is, and the names seen so far. */
    private static final class Parse {
        private final String source;
        private final XMLStreamReader r;
        private final boolean tolerant;
        private final Map<String, String> names = new HashMap<>();
        private String table;
        private String row;

        Parse(String source, XMLStreamReader r, boolean tolerant) {
            this.source = source;
            this.r = r;
            this.tolerant = tolerant;
        }

        /** Attribute {@code i}'s value, with the characters a tolerant reading escaped restored. */
        private String attr(int i) {
            String v = r.getAttributeValue(i);
            return tolerant ? IllegalCharEscaper.unescape(v) : v;
        }

        LoadedDb document() throws XMLStreamException, StateDbFormatException {
            int ev = nextStructural();
            if (ev != XMLStreamConstants.START_ELEMENT || !r.getLocalName().equals("database")) {
                throw error("expected <database> as the root element, found " + describe(ev));
            }
            noAttributes();
            ev = nextStructural();
            if (ev != XMLStreamConstants.START_ELEMENT || !r.getLocalName().equals("manifest")) {
                throw error("expected <manifest> first in <database>, found " + describe(ev));
            }
            noAttributes();
            Map<String, String> manifest = manifest();
            long generation = number(manifest, "generation_count");
            int major = (int) number(manifest, "schema_major_vsn");
            int minor = (int) number(manifest, "schema_minor_vsn");
            Map<String, List<LoadedDb.LoadedRow>> tables = new LinkedHashMap<>();
            while (true) {
                ev = nextStructural();
                if (ev == XMLStreamConstants.END_ELEMENT) {
                    break; // </database>: the parser checked it matches
                }
                if (ev != XMLStreamConstants.START_ELEMENT || !r.getLocalName().equals("table")) {
                    throw error("expected <table> or </database>, found " + describe(ev));
                }
                if (r.getAttributeCount() != 1 || !r.getAttributeLocalName(0).equals("name")) {
                    throw error("<table> must have exactly one attribute, name");
                }
                String name = attr(0);
                if (tables.containsKey(name)) {
                    throw error("table " + name + " appears twice");
                }
                table = name;
                tables.put(name, rows());
                table = null;
            }
            ev = nextStructural();
            if (ev != XMLStreamConstants.END_DOCUMENT) {
                throw error("content after </database>: " + describe(ev));
            }
            return new LoadedDb(generation, major, minor, Collections.unmodifiableMap(tables));
        }

        private Map<String, String> manifest() throws XMLStreamException, StateDbFormatException {
            Map<String, String> pairs = new HashMap<>();
            while (true) {
                int ev = nextStructural();
                if (ev == XMLStreamConstants.END_ELEMENT) {
                    return pairs;
                }
                if (ev != XMLStreamConstants.START_ELEMENT || !r.getLocalName().equals("pair")) {
                    throw error("expected <pair> in <manifest>, found " + describe(ev));
                }
                String key = null;
                String value = null;
                for (int i = 0; i < r.getAttributeCount(); i++) {
                    switch (r.getAttributeLocalName(i)) {
                        case "key" -> key = attr(i);
                        case "value" -> value = attr(i);
                        default -> throw error("unexpected attribute " + r.getAttributeLocalName(i) + " in <pair>");
                    }
                }
                if (key == null || value == null) {
                    throw error("<pair> without key or value");
                }
                if (pairs.put(key, value) != null) {
                    throw error("manifest key " + key + " appears twice");
                }
                endOfEmpty("pair");
            }
        }

        private long number(Map<String, String> manifest, String key) throws StateDbFormatException {
            String v = manifest.get(key);
            if (v == null) {
                throw error("manifest has no " + key);
            }
            try {
                long n = Long.parseLong(v);
                if (!key.equals("generation_count") && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw error("manifest " + key + " is not a number: '" + v + "'");
            }
        }

        private List<LoadedDb.LoadedRow> rows() throws XMLStreamException, StateDbFormatException {
            List<LoadedDb.LoadedRow> rows = new ArrayList<>();
            Set<String> refs = new HashSet<>();
            while (true) {
                int ev = nextStructural();
                if (ev == XMLStreamConstants.END_ELEMENT) {
                    return Collections.unmodifiableList(rows);
                }
                if (ev != XMLStreamConstants.START_ELEMENT || !r.getLocalName().equals("row")) {
                    throw error("expected <row> in table, found " + describe(ev));
                }
                LoadedDb.LoadedRow lr = row(rows.size());
                if (!refs.add(lr.ref())) {
                    row = lr.ref();
                    throw error("duplicate ref");
                }
                rows.add(lr);
                endOfEmpty("row");
                row = null;
            }
        }

        private LoadedDb.LoadedRow row(int index) throws StateDbFormatException {
            int n = r.getAttributeCount();
            String ref = null;
            for (int i = 0; i < n; i++) {
                if (r.getAttributeLocalName(i).equals("ref")) {
                    ref = attr(i);
                    break;
                }
            }
            if (ref == null) {
                row = "#" + (index + 1);
                throw error("row has no ref attribute");
            }
            row = ref;
            long ctime = 0;
            long mtime = 0;
            Map<String, String> columns = new LinkedHashMap<>(Math.max(16, n * 4 / 3 + 1));
            for (int i = 0; i < n; i++) {
                String name = r.getAttributeLocalName(i);
                String value = attr(i);
                switch (name) {
                    case "ref", "_ref" -> {}
                    case "__ctime" -> ctime = time(name, value);
                    case "__mtime" -> mtime = time(name, value);
                    default -> {
                        String v;
                        try {
                            v = unprotect(value);
                        } catch (IllegalArgumentException e) {
                            throw error("column " + name + ": " + e.getMessage());
                        }
                        columns.put(names.computeIfAbsent(name, k -> k), v);
                    }
                }
            }
            return new LoadedDb.LoadedRow(ref, ctime, mtime, Collections.unmodifiableMap(columns));
        }

        private long time(String name, String value) throws StateDbFormatException {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw error(name + " is not a number: '" + value + "'");
            }
        }

        /** After a start tag that must have no children: its end tag (whitespace allowed). */
        private void endOfEmpty(String element) throws XMLStreamException, StateDbFormatException {
            int ev = nextStructural();
            if (ev != XMLStreamConstants.END_ELEMENT) {
                throw error("<" + element + "> must be empty, found " + describe(ev));
            }
        }

        private void noAttributes() throws StateDbFormatException {
            if (r.getAttributeCount() != 0) {
                throw error("<" + r.getLocalName() + "> has unexpected attributes");
            }
        }

        /** The next element start/end or document end, skipping whitespace, comments and PIs. */
        private int nextStructural() throws XMLStreamException, StateDbFormatException {
            while (true) {
                if (!r.hasNext()) {
                    return XMLStreamConstants.END_DOCUMENT;
                }
                int ev = r.next();
                switch (ev) {
                    case XMLStreamConstants.START_ELEMENT,
                            XMLStreamConstants.END_ELEMENT,
                            XMLStreamConstants.END_DOCUMENT -> {
                        return ev;
                    }
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                        if (!r.isWhiteSpace()) {
                            String t = r.getText().strip();
                            throw error("unexpected text '" + (t.length() > 20 ? t.substring(0, 20) + "..." : t) + "'");
                        }
                    }
                    case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> {}
                    case XMLStreamConstants.DTD -> throw error("DOCTYPE is not allowed");
                    case XMLStreamConstants.ENTITY_REFERENCE ->
                        throw error("entity reference &" + r.getLocalName() + ";");
                    default -> throw error("unexpected XML event " + ev);
                }
            }
        }

        private String describe(int ev) {
            return switch (ev) {
                case XMLStreamConstants.START_ELEMENT -> "<" + r.getLocalName() + ">";
                case XMLStreamConstants.END_ELEMENT -> "</" + r.getLocalName() + ">";
                case XMLStreamConstants.END_DOCUMENT -> "end of file";
                default -> "event " + ev;
            };
        }

        private StateDbFormatException error(String problem) {
            Location loc = r.getLocation();
            String where = table == null ? "" : " (table " + table + (row == null ? "" : ", row " + row) + ")";
            return new StateDbFormatException(
                    source,
                    loc == null ? -1 : loc.getLineNumber(),
                    loc == null ? -1 : loc.getColumnNumber(),
                    problem + where,
                    null);
        }
    }
}
