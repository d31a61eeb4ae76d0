package org.xapijava.server.alerts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.xapijava.model.Datamodel;
import org.xapijava.model.EnumDef;
import org.xapijava.model.types.DateTime;

class MessageXmlTest {
    private static final EnumDef CLS = Datamodel.get().enumDef("cls");

    private static StoredMessage msg(String body) {
        return new StoredMessage(
                "OpaqueRef:0b8f5a5c-0000-4000-8000-000000000001",
                "7c1e9d0a-0000-4000-8000-000000000002",
                "VM_STARTED",
                5,
                "VM",
                "3f2a-obj",
                DateTime.parse("20240319T04:16:24Z"),
                body,
                42,
                "1710821784.12345",
                171082178412345L);
    }

    private static StoredMessage decode(String xml) throws MessageXml.MalformedMessageException {
        return MessageXml.decode(xml.getBytes(StandardCharsets.UTF_8), "1.00000", 100000, CLS);
    }

    @Test
    void writesXapisLayout() {
        String xml = new String(MessageXml.encode(msg("a <b> & c")), StandardCharsets.UTF_8);
        assertEquals(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message><generation>42</generation>"
                        + "<ref>OpaqueRef:0b8f5a5c-0000-4000-8000-000000000001</ref><name>VM_STARTED</name>"
                        + "<priority>5</priority><cls>VM</cls><obj_uuid>3f2a-obj</obj_uuid>"
                        + "<timestamp>20240319T04:16:24Z</timestamp><uuid>7c1e9d0a-0000-4000-8000-000000000002</uuid>"
                        + "<body>a &lt;b&gt; &amp; c</body></message>",
                xml);
    }

    @Test
    void everyBodyRoundTrips() throws Exception {
        String body = "line1\r\nline2\rx\ttab \u0001\u001f \"q\" 'a' ]]> &amp; \u00fc\u4e2d \ud83d\ude00 \ufffe";
        StoredMessage m = msg(body);
        StoredMessage back = MessageXml.decode(MessageXml.encode(m), m.fileName, m.fileKey, CLS);
        assertEquals(m.record(), back.record());
        assertEquals(m.ref, back.ref);
        assertEquals(42, back.generation);
        assertEquals(m.fileName, back.fileName);
        assertEquals(m.fileKey, back.fileKey);
        assertArrayEquals(MessageXml.encode(m), MessageXml.encode(back));
    }

    @Test
    void readsWhatXapisReaderReads() throws Exception {
        StoredMessage m = decode("\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n"
                + "<message version='1'>\n  <ref>OpaqueRef:x</ref>\n  <body>a\r\nb<![CDATA[<raw & text>]]>&#x263A;&#65;&apos;</body>"
                + "<name/><cls>host</cls><timestamp>2024-03-19T04:16:24Z</timestamp></message>\n");
        assertEquals("OpaqueRef:x", m.ref);
        assertEquals("a\nb<raw & text>\u263aA'", m.body);
        assertEquals("Host", m.cls, "cls matched ignoring case");
        assertEquals("", m.name);
        assertEquals(DateTime.parse("20240319T04:16:24Z"), m.timestamp);
        // Xapi's defaults for missing fields
        assertEquals(0, m.priority);
        assertEquals(0, m.generation);
        assertEquals("", m.uuid);
        assertEquals("", m.objUuid);
        StoredMessage d = decode("<message><ref>r</ref></message>");
        assertEquals("VM", d.cls);
        assertEquals(DateTime.EPOCH, d.timestamp);
    }

    @Test
    void rejectsWhatIsNotAMessage() {
        String[] bad = {
            "",
            "garbage",
            "<message><name>x</name></message>", // no ref
            "<message><ref>r</ref><colour>red</colour></message>", // Xapi: "Bad XML!"
            "<message><ref>r</ref><priority>high</priority></message>",
            "<message><ref>r</ref><generation>1.5</generation></message>",
            "<message><ref>r</ref><cls>Network</cls></message>",
            "<message><ref>r</ref><timestamp>yesterday</timestamp></message>",
            "<message><ref>r</ref><body>a &nbsp; b</body></message>",
            "<message><ref>r</ref><body>&#xD800;</body></message>",
            "<message><ref>r</ref><body>unterminated",
            "<message><ref>r</ref><body><b>nested</b></body></message>",
            "<message><ref>r</ref></message>trailing",
            "<message><ref>r</ref>text between</message>",
            "<other><ref>r</ref></other>",
            "<messages><ref>r</ref></messages>",
            "<message/>",
        };
        for (String b : bad) {
            assertThrows(MessageXml.MalformedMessageException.class, () -> decode(b), b);
        }
        byte[] notUtf8 = {'<', 'm', (byte) 0xff};
        assertThrows(MessageXml.MalformedMessageException.class, () -> MessageXml.decode(notUtf8, "1", 1, CLS));
    }
}
