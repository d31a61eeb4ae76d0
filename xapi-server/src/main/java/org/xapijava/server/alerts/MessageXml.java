package org.xapijava.server.alerts;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.EnumDef;
import org.xapijava.model.api.Message;
import org.xapijava.model.types.DateTime;

/**
 * Xapi's message file ({@code xapi_message.ml:to_xml/of_xml}): UTF-8 XML, one {@code message} element whose
 * children, in this order, are {@code generation}, {@code ref}, {@code name}, {@code priority} (decimal),
 * {@code cls} (enum spelling), {@code obj_uuid}, {@code timestamp} ({@code YYYYMMDDTHH:MM:SSZ}),
 * {@code uuid} and {@code body}, each holding only text; no attributes, no whitespace between elements:
 * <pre>{@code <?xml version="1.0" encoding="UTF-8"?>
 * <message><generation>12</generation><ref>OpaqueRef:…</ref><name>VM_STARTED</name><priority>5</priority><cls>VM</cls><obj_uuid>…</obj_uuid><timestamp>20240319T04:16:24Z</timestamp><uuid>…</uuid><body>…</body></message>}</pre>
 *
 * <p>Writing escapes {@code & < >} as entities, and carriage return and the other control characters
 * below U+0020 (except tab and line feed) as character references, so every body round-trips (Xapi
 * writes those raw, and its reader then rejects or normalises them). Reading accepts what Xapi's
 * reader accepts: the prolog, comments, the five predefined entities, character references, CDATA,
 * empty elements, and fields in any order (a missing field keeps Xapi's default: empty string,
 * priority 0, cls {@code VM}, timestamp the epoch, generation 0; the last of repeated fields wins).
 * It additionally tolerates whitespace between elements, and insists on a {@code ref}. An unknown
 * element holding text, malformed XML, bad UTF-8 or an unparsable number, cls or timestamp make the
 * file damaged. Stateless and thread-safe.
 */
final class MessageXml {
    private MessageXml() {}

    /** Why a file is not a message. */
    static final class MalformedMessageException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedMessageException(String reason) {
            super(reason, null, false, false);
        }
    }

    /** The file content for {@code m}. */
    static byte[] encode(StoredMessage m) {
        return document(
                        m.generation,
                        m.ref,
                        m.name,
                        m.priority,
                        m.cls,
                        m.objUuid,
                        m.timestamp.toString(),
                        m.uuid,
                        m.body)
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Xapi's {@code to_xml} of a message record without a generation (what {@code export_xml} writes for
     * {@code send_messages}).
     */
    static String encodeRecord(String ref, Map<String, Object> r) {
        return document(
                null,
                ref,
                Db.value(r, Message.NAME),
                Db.value(r, Message.PRIORITY),
                Db.value(r, Message.CLS),
                Db.value(r, Message.OBJ_UUID),
                Db.value(r, Message.TIMESTAMP).toString(),
                Db.value(r, Message.UUID),
                Db.value(r, Message.BODY));
    }

    /** One message document, its {@code generation} first when there is one. */
    private static String document(
            Long generation,
            String ref,
            String name,
            long priority,
            String cls,
            String objUuid,
            String timestamp,
            String uuid,
            String body) {
        StringBuilder b = new StringBuilder(320 + body.length() + name.length());
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message>");
        if (generation != null) element(b, "generation", Long.toString(generation));
        element(b, "ref", ref);
        element(b, "name", name);
        element(b, "priority", Long.toString(priority));
        element(b, "cls", cls);
        element(b, "obj_uuid", objUuid);
        element(b, "timestamp", timestamp);
        element(b, "uuid", uuid);
        element(b, "body", body);
        return b.append("</message>").toString();
    }

    private static void element(StringBuilder b, String tag, String text) {
        b.append('<').append(tag).append('>');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n')
                        b.append("&#").append((int) c).append(';');
                    else b.append(c);
                }
            }
        }
        b.append("</").append(tag).append('>');
    }

    /**
     * Reads a message file.
     *
     * @param fileName the file's name, kept in the result
     * @param fileKey  the name as a time in units of 10 µs
     */
    static StoredMessage decode(byte[] bytes, String fileName, long fileKey, EnumDef clsEnum)
            throws MalformedMessageException {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedMessageException("not UTF-8");
        }
        return new Reader(text).read(fileName, fileKey, clsEnum);
    }

    /** A small reader for the fixed shape above. */
    private static final class Reader {
        private final String s;
        private int pos;

        Reader(String s) {
            this.s = s;
            this.pos = s.startsWith("\uFEFF") ? 1 : 0;
        }

        StoredMessage read(String fileName, long fileKey, EnumDef clsEnum) throws MalformedMessageException {
            long generation = 0;
            String ref = null;
            String name = "";
            long priority = 0;
            String cls = "VM";
            String objUuid = "";
            DateTime timestamp = DateTime.EPOCH;
            String uuid = "";
            String body = "";

            skipMisc();
            expect("<");
            String root = name();
            if (!root.equals("message")) throw new MalformedMessageException("root element <" + root + ">");
            skipToTagEnd();
            if (s.startsWith("/>", pos)) throw new MalformedMessageException("empty message element");
            expect(">");
            while (true) {
                String between = text();
                if (!between.isBlank()) throw new MalformedMessageException("text outside a field");
                if (s.startsWith("</", pos)) {
                    pos += 2;
                    expect("message");
                    skipBlanks();
                    expect(">");
                    break;
                }
                if (skipComment()) continue;
                expect("<");
                String tag = name();
                skipToTagEnd();
                String value = null; // null: the element had no text (Xapi: the field keeps its default)
                if (s.startsWith("/>", pos)) {
                    pos += 2;
                } else {
                    expect(">");
                    value = text();
                    if (!s.startsWith("</", pos))
                        throw new MalformedMessageException("nested element in <" + tag + ">");
                    pos += 2;
                    expect(tag);
                    skipBlanks();
                    expect(">");
                    if (value.isEmpty()) value = null;
                }
                if (value == null) continue;
                switch (tag) {
                    case "generation" -> generation = number(tag, value);
                    case "ref" -> ref = value;
                    case "name" -> name = value;
                    case "priority" -> priority = number(tag, value);
                    case "cls" -> {
                        cls = clsEnum.canonical(value);
                        if (cls == null) throw new MalformedMessageException("unknown cls '" + value + "'");
                    }
                    case "obj_uuid" -> objUuid = value;
                    case "timestamp" -> {
                        try {
                            timestamp = DateTime.parse(value);
                        } catch (IllegalArgumentException e) {
                            throw new MalformedMessageException("bad timestamp '" + value + "'");
                        }
                    }
                    case "uuid" -> uuid = value;
                    case "body" -> body = value;
                    default -> throw new MalformedMessageException("unknown element <" + tag + ">");
                }
            }
            skipMisc();
            if (pos != s.length()) throw new MalformedMessageException("content after </message>");
            if (ref == null) throw new MalformedMessageException("no <ref>");
            return new StoredMessage(
                    ref, uuid, name, priority, cls, objUuid, timestamp, body, generation, fileName, fileKey);
        }

        private static long number(String tag, String v) throws MalformedMessageException {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new MalformedMessageException("bad <" + tag + "> '" + v + "'");
            }
        }

        private void expect(String lit) throws MalformedMessageException {
            if (!s.startsWith(lit, pos)) throw new MalformedMessageException("expected '" + lit + "' at offset " + pos);
            pos += lit.length();
        }

        private void skipBlanks() {
            while (pos < s.length() && isBlank(s.charAt(pos))) pos++;
        }

        private static boolean isBlank(char c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r';
        }

        /** Skips blanks, the XML declaration, processing instructions, comments and a DOCTYPE. */
        private void skipMisc() throws MalformedMessageException {
            while (true) {
                skipBlanks();
                if (s.startsWith("<?", pos)) skipPast("?>");
                else if (s.startsWith("<!--", pos)) skipPast("-->");
                else if (s.startsWith("<!", pos)) skipPast(">");
                else return;
            }
        }

        private boolean skipComment() throws MalformedMessageException {
            if (!s.startsWith("<!--", pos)) return false;
            skipPast("-->");
            return true;
        }

        private void skipPast(String end) throws MalformedMessageException {
            int i = s.indexOf(end, pos);
            if (i < 0) throw new MalformedMessageException("unterminated markup");
            pos = i + end.length();
        }

        private String name() throws MalformedMessageException {
            int start = pos;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (isBlank(c) || c == '>' || c == '/' || c == '<' || c == '&') break;
                pos++;
            }
            if (pos == start) throw new MalformedMessageException("missing element name at offset " + start);
            return s.substring(start, pos);
        }

        /** Skips attributes (Xapi writes none; its reader ignores them) up to {@code >} or {@code />}. */
        private void skipToTagEnd() throws MalformedMessageException {
            char quote = 0;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (quote != 0) {
                    if (c == quote) quote = 0;
                } else if (c == '"' || c == '\'') {
                    quote = c;
                } else if (c == '>' || (c == '/' && s.startsWith("/>", pos))) {
                    return;
                } else if (c == '<') {
                    break;
                }
                pos++;
            }
            throw new MalformedMessageException("unterminated tag");
        }

        /** Character data up to the next tag (CDATA sections and comments included), references decoded. */
        private String text() throws MalformedMessageException {
            StringBuilder b = new StringBuilder();
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '<') {
                    if (s.startsWith("<![CDATA[", pos)) {
                        int end = s.indexOf("]]>", pos);
                        if (end < 0) throw new MalformedMessageException("unterminated CDATA");
                        b.append(normaliseNewlines(s.substring(pos + 9, end)));
                        pos = end + 3;
                        continue;
                    }
                    if (s.startsWith("<!--", pos)) {
                        skipComment();
                        continue;
                    }
                    return b.toString();
                }
                if (c == '&') {
                    reference(b);
                } else if (c == '\r') {
                    // XML end-of-line handling: CR LF and lone CR read as LF.
                    b.append('\n');
                    pos++;
                    if (pos < s.length() && s.charAt(pos) == '\n') pos++;
                } else {
                    b.append(c);
                    pos++;
                }
            }
            throw new MalformedMessageException("truncated");
        }

        private static String normaliseNewlines(String t) {
            return t.indexOf('\r') < 0 ? t : t.replace("\r\n", "\n").replace('\r', '\n');
        }

        private void reference(StringBuilder b) throws MalformedMessageException {
            int end = s.indexOf(';', pos);
            if (end < 0 || end - pos > 12) throw new MalformedMessageException("bad reference at offset " + pos);
            String r = s.substring(pos + 1, end);
            pos = end + 1;
            switch (r) {
                case "amp" -> b.append('&');
                case "lt" -> b.append('<');
                case "gt" -> b.append('>');
                case "quot" -> b.append('"');
                case "apos" -> b.append('\'');
                default -> {
                    if (!r.startsWith("#")) throw new MalformedMessageException("unknown entity &" + r + ";");
                    int cp;
                    try {
                        cp = r.startsWith("#x")
                                ? Integer.parseInt(r.substring(2), 16)
                                : Integer.parseInt(r.substring(1));
                    } catch (NumberFormatException e) {
                        throw new MalformedMessageException("bad character reference &" + r + ";");
                    }
                    if (!Character.isValidCodePoint(cp) || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        throw new MalformedMessageException("bad character reference &" + r + ";");
                    }
                    b.appendCodePoint(cp);
                }
            }
        }
    }
}
