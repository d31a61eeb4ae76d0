package org.xapijava.model.xmlrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.types.DateTime;

class XmlRpcReaderTest {

    private static RpcCall call(String xml) throws XmlRpcParseException {
        return XmlRpcReader.REQUESTS.readCall(xml.getBytes(StandardCharsets.UTF_8));
    }

    private static Object value(String inner) throws XmlRpcParseException {
        RpcCall c = call("<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params><param>" + inner
                + "</param></params></methodCall>");
        assertEquals(1, c.params().size());
        return c.params().get(0);
    }

    private static XmlRpcParseException refused(String xml) {
        return refused(xml.getBytes(StandardCharsets.UTF_8));
    }

    private static XmlRpcParseException refused(byte[] xml) {
        return assertThrows(XmlRpcParseException.class, () -> XmlRpcReader.REQUESTS.readCall(xml));
    }

    private static XmlRpcParseException refusedValue(String inner) {
        return refused("<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params><param>" + inner
                + "</param></params></methodCall>");
    }

    // ---- what real clients send (shared/reference/client-wire.md) ----

    @Test
    void citrixJavaSdkLogin() throws Exception {
        RpcCall c = call("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>session.login_with_password"
                + "</methodName><params><param><value>root</value></param><param><value>REDACTED</value></param>"
                + "<param><value>2.14</value></param></params></methodCall>");
        assertEquals("session.login_with_password", c.method());
        assertEquals(List.of("root", "REDACTED", "2.14"), c.params());
    }

    @Test
    void citrixJavaSdkTypedValues() throws Exception {
        // Marshalling.toXMLRPC: ints as strings, <boolean>, <double>, dates without Z, structs and arrays.
        RpcCall c = call("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>VDI.create</methodName>"
                + "<params><param><value>OpaqueRef:s</value></param><param><value><struct>"
                + "<member><name>virtual_size</name><value>67108864</value></member>"
                + "<member><name>sharable</name><value><boolean>0</boolean></value></member>"
                + "<member><name>on_boot</name><value>UNRECOGNIZED</value></member>"
                + "<member><name>snapshot_time</name><value><dateTime.iso8601>19700101T00:00:00</dateTime.iso8601></value></member>"
                + "<member><name>tags</name><value><array><data/></array></value></member>"
                + "<member><name>other_config</name><value><struct/></value></member>"
                + "</struct></value></param><param><value><double>5.0</double></value></param></params></methodCall>");
        Map<?, ?> rec = (Map<?, ?>) c.params().get(1);
        assertEquals("67108864", rec.get("virtual_size"));
        assertEquals(false, rec.get("sharable"));
        assertEquals("UNRECOGNIZED", rec.get("on_boot"));
        assertEquals(new DateTime(LocalDateTime.of(1970, 1, 1, 0, 0), null), rec.get("snapshot_time"));
        assertEquals(List.of(), rec.get("tags"));
        assertEquals(Map.of(), rec.get("other_config"));
        assertEquals(5.0, c.params().get(2));
        assertEquals(
                List.of("virtual_size", "sharable", "on_boot", "snapshot_time", "tags", "other_config"),
                new ArrayList<>(rec.keySet()));
    }

    @Test
    void pythonXmlrpcClientPrettyPrinted() throws Exception {
        RpcCall c = call("<?xml version='1.0'?>\n<methodCall>\n<methodName>session.login_with_password</methodName>\n"
                + "<params>\n<param>\n<value><string>root</string></value>\n</param>\n<param>\n"
                + "<value><string>REDACTED</string></value>\n</param>\n<param>\n<value><string>1.0</string></value>\n"
                + "</param>\n<param>\n<value><string>xenapi-acceptance-python</string></value>\n</param>\n"
                + "</params>\n</methodCall>\n");
        assertEquals(List.of("root", "REDACTED", "1.0", "xenapi-acceptance-python"), c.params());
        RpcCall c2 =
                call("<?xml version='1.0'?>\n<methodCall>\n<methodName>VDI.create</methodName>\n<params>\n<param>\n"
                        + "<value><int>67108864</int></value>\n</param>\n<param>\n<value><nil/></value></param>\n"
                        + "<param>\n<value><boolean>1</boolean></value>\n</param>\n</params>\n</methodCall>\n");
        assertEquals(67108864L, c2.params().get(0));
        assertNull(c2.params().get(1));
        assertEquals(true, c2.params().get(2));
    }

    @Test
    void xenOrchestraSelfClosingElements() throws Exception {
        assertEquals(
                List.of(),
                call("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>system.listMethods"
                                + "</methodName><params /></methodCall>")
                        .params());
        assertEquals(
                List.of(Map.of(), List.of(), "60"),
                call("<?xml version=\"1.0\"?><methodCall><methodName>x</methodName><params>"
                                + "<param><value><struct /></value></param><param><value><array><data /></array></value></param>"
                                + "<param><value>60</value></param></params></methodCall>")
                        .params());
    }

    // ---- value rules ----

    @Test
    void quirks() throws Exception {
        assertEquals("123", value("<value>123</value>")); // untyped int is a string
        assertEquals(false, value("<value><boolean>true</boolean></value>"));
        assertEquals(false, value("<value><boolean>0</boolean></value>"));
        assertEquals(true, value("<value><boolean>1</boolean></value>"));
        assertEquals("", value("<value/>"));
        assertEquals("", value("<value></value>"));
        assertEquals("  ", value("<value>  </value>"));
        assertEquals("", value("<value><string/></value>"));
        assertEquals("", value("<value><string></string></value>"));
        assertEquals(" a ", value("<value><string> a </string></value>"));
        assertEquals("x", value("<value>\n  <string>x</string>\n</value>"));
        assertEquals(7L, value("<value><i4>7</i4></value>"));
        assertEquals(-7L, value("<value><int>-7</int></value>"));
        assertEquals(Long.MAX_VALUE, value("<value><i8>9223372036854775807</i8></value>"));
        assertEquals(16L, value("<value><i8>0x10</i8></value>"));
        assertEquals(1.5, value("<value><double>1.5</double></value>"));
        assertEquals(1e20, value("<value><double>1e+20</double></value>"));
        assertNull(value("<value><nil/></value>"));
        assertEquals(
                new DateTime(LocalDateTime.of(2024, 3, 19, 4, 16, 24), ZoneOffset.UTC),
                value("<value><dateTime.iso8601>20240319T04:16:24Z</dateTime.iso8601></value>"));
        assertArrayEquals(
                "hi".getBytes(StandardCharsets.UTF_8), (byte[]) value("<value><base64>aG\nk=</base64></value>"));
        assertEquals("a<b>&\"A", value("<value>a&lt;b&gt;&amp;&quot;&#x41;</value>"));
        assertEquals("a<b", value("<value><![CDATA[a<b]]></value>"));
        assertEquals("ab", value("<value>a<!-- note -->b</value>"));
        assertEquals("\u00e9\ud834\udd1e", value("<value>\u00e9\ud834\udd1e</value>"));
    }

    @Test
    void structMembersKeepOrderAndFirstDuplicate() throws Exception {
        Map<?, ?> m = (Map<?, ?>) value("<value><struct><member><name>z</name><value>1</value></member>"
                + "<member><name>a</name><value>2</value></member><member><name>z</name><value>3</value></member>"
                + "<member><name></name><value>4</value></member></struct></value>");
        assertEquals(List.of("z", "a", ""), new ArrayList<>(m.keySet()));
        assertEquals("1", m.get("z"));
        assertEquals("4", m.get(""));
    }

    @Test
    void roundTripOfEveryType() throws Exception {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("s", "text <&> \"q\" \u00e9");
        rec.put("empty", "");
        rec.put("i", 42);
        rec.put("d", 0.1);
        rec.put("b", true);
        rec.put("f", false);
        rec.put("t", new DateTime(LocalDateTime.of(2024, 3, 19, 4, 16, 24), ZoneOffset.ofHours(2)));
        rec.put("n", null);
        rec.put("l", List.of("a", List.of(), Map.of("k", "v")));
        rec.put("m", Map.of());
        Object back =
                XmlRpcReader.RESPONSES.readResponse(XmlRpcWriter.success(rec)).contents();
        Map<String, Object> expected = new LinkedHashMap<>(rec);
        expected.put("i", 42L);
        assertEquals(expected, back);
        // Long goes out untyped, so it comes back as a string (as with Xapi).
        assertEquals(
                "42",
                XmlRpcReader.RESPONSES.readResponse(XmlRpcWriter.success(42L)).contents());
        RpcCall c = XmlRpcReader.REQUESTS.readCall(XmlRpcWriter.call("VM.start", List.of("OpaqueRef:x", false, true)));
        assertEquals(new RpcCall("VM.start", List.of("OpaqueRef:x", false, true)), c);
    }

    // ---- responses ----

    @Test
    void responses() throws Exception {
        RpcResponse ok = XmlRpcReader.RESPONSES.readResponse(XmlRpcWriter.success(List.of("a")));
        assertTrue(ok.success());
        assertEquals(List.of("a"), ok.contents());
        RpcResponse ko = XmlRpcReader.RESPONSES.readResponse(
                XmlRpcWriter.failure(List.of("HANDLE_INVALID", "VM", "OpaqueRef:x")));
        assertFalse(ko.success());
        assertEquals(List.of("HANDLE_INVALID", "VM", "OpaqueRef:x"), ko.contents());
        assertEquals("HANDLE_INVALID", ko.toApiError().code());
        assertEquals(List.of("VM", "OpaqueRef:x"), ko.toApiError().params());
        RpcResponse bare = XmlRpcReader.RESPONSES.readResponse(XmlRpcWriter.bare(List.of("VM.start")));
        assertTrue(bare.success());
        assertEquals(List.of("VM.start"), bare.contents());
        RpcResponse fault =
                XmlRpcReader.RESPONSES.readResponse(("<?xml version=\"1.0\"?><methodResponse><fault><value><struct>"
                                + "<member><name>faultCode</name><value><int>4</int></value></member><member><name>faultString</name>"
                                + "<value>Too many</value></member></struct></value></fault></methodResponse>")
                        .getBytes(StandardCharsets.UTF_8));
        assertFalse(fault.success());
        assertEquals(List.of("fault", 4L, "Too many"), fault.contents());
        // Apache-style whitespace is fine.
        RpcResponse spaced =
                XmlRpcReader.RESPONSES.readResponse(("<?xml version=\"1.0\"?>\n<methodResponse>\n <params>\n"
                                + "  <param>\n   <value><struct><member><name>Status</name><value>Success</value></member>\n"
                                + "<member><name>Value</name><value><i4>3</i4></value></member></struct></value>\n  </param>\n </params>\n"
                                + "</methodResponse>\n")
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals(3L, spaced.contents());
    }

    @Test
    void loneValue() throws Exception {
        assertEquals("OpaqueRef:x", XmlRpcReader.RESPONSES.readValue("<value>OpaqueRef:x</value>"));
        assertEquals("", XmlRpcReader.RESPONSES.readValue(XmlRpcWriter.toString("")));
    }

    // ---- hostile and malformed input ----

    @Test
    void billionLaughs() {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        String prev = "lol";
        for (int i = 1; i <= 9; i++) {
            b.append("<!ENTITY lol").append(i).append(" \"");
            for (int j = 0; j < 10; j++) b.append('&').append(prev).append(';');
            b.append("\">");
            prev = "lol" + i;
        }
        b.append("]><methodCall><methodName>&lol9;</methodName><params/></methodCall>");
        XmlRpcParseException e = refused(b.toString());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
    }

    @Test
    void externalEntity() {
        XmlRpcParseException e =
                refused("<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                        + "<methodCall><methodName>&xxe;</methodName><params/></methodCall>");
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        XmlRpcParseException e2 = refused("<?xml version=\"1.0\"?><!DOCTYPE methodCall SYSTEM \"file:///etc/passwd\">"
                + "<methodCall><methodName>m</methodName><params/></methodCall>");
        assertTrue(e2.getMessage().contains("DOCTYPE"), e2.getMessage());
    }

    @Test
    void undeclaredEntity() {
        refused("<methodCall><methodName>&foo;</methodName><params/></methodCall>");
    }

    @Test
    void plainDoctype() {
        XmlRpcParseException e =
                refused("<?xml version=\"1.0\"?><!DOCTYPE methodCall><methodCall><methodName>m</methodName>"
                        + "<params/></methodCall>");
        assertTrue(e.getMessage().startsWith("DOCTYPE refused at line 1"), e.getMessage());
    }

    @Test
    void deepNesting() {
        StringBuilder b = new StringBuilder("<methodCall><methodName>m</methodName><params><param>");
        for (int i = 0; i < 10_000; i++) b.append("<value><array><data>");
        for (int i = 0; i < 10_000; i++) b.append("</data></array></value>");
        b.append("</param></params></methodCall>");
        XmlRpcParseException e = refused(b.toString());
        assertTrue(e.getMessage().contains("deeper than the limit of 64"), e.getMessage());
        // 20 levels are fine.
        StringBuilder ok = new StringBuilder("<methodCall><methodName>m</methodName><params><param>");
        for (int i = 0; i < 19; i++) ok.append("<value><array><data>");
        ok.append("<value>x</value>");
        for (int i = 0; i < 19; i++) ok.append("</data></array></value>");
        ok.append("</param></params></methodCall>");
        assertTrue(assertDoesNotThrow(ok.toString()));
    }

    private static boolean assertDoesNotThrow(String xml) {
        try {
            call(xml);
            return true;
        } catch (XmlRpcParseException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    void oversizedIsRefusedWhileStreaming() {
        byte[] head = "<methodCall><methodName>m</methodName><params><param><value>".getBytes(StandardCharsets.UTF_8);
        long[] served = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 'a';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'a');
                served[0] += len;
                return len;
            }
        };
        XmlRpcReader r = new XmlRpcReader(new XmlRpcReader.Limits(100_000, 64));
        XmlRpcParseException e = assertThrows(
                XmlRpcParseException.class,
                () -> r.readCall(new SequenceInputStream(new ByteArrayInputStream(head), endless)));
        assertTrue(e.getMessage().contains("limit of 100000 bytes"), e.getMessage());
        assertTrue(served[0] < 200_000, "read " + served[0] + " bytes");
        // The default request limit is Xapi's 300 KiB.
        byte[] big = ("<methodCall><methodName>m</methodName><params><param><value>" + "x".repeat(400_000)
                        + "</value></param></params></methodCall>")
                .getBytes(StandardCharsets.UTF_8);
        refused(big);
    }

    @Test
    void exactlyAtTheLimitIsAccepted() throws Exception {
        byte[] doc = "<methodCall><methodName>m</methodName><params/></methodCall>".getBytes(StandardCharsets.UTF_8);
        assertEquals(
                "m",
                new XmlRpcReader(new XmlRpcReader.Limits(doc.length, 64))
                        .readCall(doc)
                        .method());
        assertThrows(
                XmlRpcParseException.class,
                () -> new XmlRpcReader(new XmlRpcReader.Limits(doc.length - 1, 64)).readCall(doc));
    }

    @Test
    void apacheExtensionsRefused() {
        String ns = " xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"";
        for (String inner : List.of(
                "<value><ex:nil/></value>",
                "<value><ex:i8>5</ex:i8></value>",
                "<value><ex:serializable>rO0AB</ex:serializable></value>",
                "<value><ex:dom><a/></ex:dom></value>")) {
            XmlRpcParseException e = refused("<methodCall" + ns + "><methodName>m</methodName><params><param>" + inner
                    + "</param></params></methodCall>");
            assertTrue(e.getMessage().contains("<ex:"), e.getMessage());
            // Without the namespace declaration the XML itself is malformed.
            refusedValue(inner);
        }
        refused("<methodCall xmlns=\"urn:x\"><methodName>m</methodName><params/></methodCall>");
    }

    @Test
    void unknownElementsRefused() {
        XmlRpcParseException e = refusedValue("<value><foo>1</foo></value>");
        assertTrue(e.getMessage().startsWith("unknown element <foo>"), e.getMessage());
        refusedValue("<value><value>x</value></value>");
        refused(
                "<methodCall><methodName>m</methodName><params><param><value>x</value><extra/></param></params></methodCall>");
        refused("<methodCall><methodName>m</methodName><params><foo/></params></methodCall>");
        refused("<methodCall><methodName>m</methodName><params/><extra/></methodCall>");
        refused("<methodResponse><params/></methodResponse>");
    }

    @Test
    void invalidUtf8Refused() {
        String pre = "<methodCall><methodName>m</methodName><params><param><value>";
        String post = "</value></param></params></methodCall>";
        for (byte[] bad : List.of(
                new byte[] {(byte) 0xFF},
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                new byte[] {(byte) 0xE2, (byte) 0x82},
                new byte[] {(byte) 0x80})) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(pre.getBytes(StandardCharsets.UTF_8));
            b.writeBytes(bad);
            b.writeBytes(post.getBytes(StandardCharsets.UTF_8));
            XmlRpcParseException e = refused(b.toByteArray());
            assertTrue(e.getMessage().startsWith("invalid UTF-8"), e.getMessage());
            assertTrue(e.getMessage().contains("at line 1, column 61"), e.getMessage());
            assertEquals(61, e.column());
        }
        // A multi-byte sequence cut off by the end of input.
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(pre.getBytes(StandardCharsets.UTF_8));
        b.writeBytes(new byte[] {(byte) 0xE2, (byte) 0x82});
        refused(b.toByteArray());
    }

    @Test
    void otherEncodingsAndVersionsRefused() {
        XmlRpcParseException e = refused(
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>m</methodName><params/></methodCall>");
        assertTrue(e.getMessage().contains("ISO-8859-1"), e.getMessage());
        refused("<?xml version=\"1.1\"?><methodCall><methodName>m</methodName><params/></methodCall>");
        refusedValue("<value>&#1;</value>");
        refusedValue("<value>a\u0001b</value>");
    }

    @Test
    void byteOrderMarkAccepted() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        b.writeBytes("<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params/></methodCall>"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("m", XmlRpcReader.REQUESTS.readCall(b.toByteArray()).method());
    }

    @Test
    void truncatedAndMissingParts() {
        String full = "<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params><param><value><struct>"
                + "<member><name>a</name><value>b</value></member></struct></value></param></params></methodCall>";
        for (int cut = 0; cut < full.length(); cut += 7) {
            refused(full.substring(0, cut));
        }
        XmlRpcParseException e = refused("<methodCall><methodName>m</methodName></methodCall>");
        assertTrue(e.getMessage().startsWith("missing <params>"), e.getMessage());
        refused("<methodCall><params/></methodCall>");
        refused("");
        refused("   ");
        refused("<methodCall><methodName>m</methodName><params><param></param></params></methodCall>");
        refused(
                "<methodCall><methodName>m</methodName><params><param><value>x</value><value>y</value></param></params></methodCall>");
    }

    @Test
    void garbageAfterTheRoot() {
        String doc = "<methodCall><methodName>m</methodName><params/></methodCall>";
        refused(doc + "garbage");
        refused(doc + "<methodCall/>");
        refused(doc + "<");
        assertDoesNotThrow(doc + "\n  <!-- trailing comment -->\n");
    }

    @Test
    void badScalars() {
        assertTrue(refusedValue("<value><i4>abc</i4></value>")
                .getMessage()
                .startsWith("<i4> is not a 64-bit integer: 'abc'"));
        refusedValue("<value><i4></i4></value>");
        refusedValue("<value><i4> 5</i4></value>");
        refusedValue("<value><i8>9223372036854775808</i8></value>");
        refusedValue("<value><int/></value>");
        refusedValue("<value><boolean/></value>");
        refusedValue("<value><double>x</double></value>");
        refusedValue("<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>");
        refusedValue("<value><base64>!!!</base64></value>");
        refusedValue("<value>text<string>x</string></value>");
        refusedValue("<value><string>x</string>text</value>");
        refusedValue("<value><string><b/></string></value>");
        refusedValue("<value><nil>x</nil></value>");
        refusedValue("<value><array> </array></value>");
        refusedValue("<value><array><value>x</value></array></value>");
        refusedValue("<value><struct><member><value>x</value><name>a</name></member></struct></value>");
        refusedValue("<value><struct><member><name>a</name></member></struct></value>");
    }

    @Test
    void errorsSayWhere() {
        XmlRpcParseException e =
                refused("<methodCall>\n<methodName>m</methodName>\n<params>\n<param><value><bogus/></value>"
                        + "</param></params></methodCall>");
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("at line 4, column"), e.getMessage());
        XmlRpcParseException m = refused("<methodCall>\n<methodName>m</methodName>\n<params>\n</methodCall>");
        assertTrue(m.getMessage().startsWith("malformed XML: "), m.getMessage());
        assertEquals(4, m.line());
    }

    @Test
    void genuineIoErrorsPassThrough() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        IOException e = assertThrows(
                IOException.class,
                () -> XmlRpcReader.REQUESTS.readCall(new SequenceInputStream(
                        new ByteArrayInputStream("<methodCall><methodName>".getBytes(StandardCharsets.UTF_8)),
                        failing)));
        assertEquals("connection reset", e.getMessage());
    }

    @Test
    void oneSharedFactoryServesParallelParses() throws Exception {
        byte[] doc = XmlRpcWriter.call("VM.start", List.of("OpaqueRef:x", Map.of("k", List.of("a", "b")), true));
        RpcCall expected = XmlRpcReader.REQUESTS.readCall(doc);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        if (!XmlRpcReader.REQUESTS.readCall(doc).equals(expected)) return false;
                        try {
                            XmlRpcReader.REQUESTS.readCall("<methodCall><bad".getBytes(StandardCharsets.UTF_8));
                            return false;
                        } catch (XmlRpcParseException e) {
                            // expected
                        }
                    }
                    return true;
                }));
            }
            for (var f : fs) assertTrue(f.get());
        }
    }
}
