package org.xapijava.model.xmlrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.types.DateTime;

/**
 * The fast path of {@link XmlRpcReader#readCall(byte[])} against the StAX path: what real clients send takes the
 * fast path and decodes to the same call; documents outside the plain form leave it; and under random mutation of
 * those documents the fast path never accepts what StAX refuses nor decodes anything differently.
 */
class FastXmlRpcParserTest {
    private static final XmlRpcReader.Limits LIMITS = XmlRpcReader.REQUEST_LIMITS;

    private static final String HEAD = "<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params>";
    private static final String TAIL = "</params></methodCall>";

    /** Calls as clients write them (shapes from shared/reference/client-wire.md) and as our writer does. */
    private static List<String> corpus() {
        List<String> docs = new ArrayList<>();
        // Citrix Java SDK: untyped values, UTF-8 declaration
        docs.add("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>session.login_with_password"
                + "</methodName><params><param><value>root</value></param><param><value>pw &amp; &lt;x&gt;</value>"
                + "</param><param><value>2.14</value></param></params></methodCall>");
        // Python xmlrpc.client: single quotes, newlines, <string> and <nil/>, <i4>, <boolean>, <double>
        docs.add("<?xml version='1.0'?>\n<methodCall>\n<methodName>VM.set_other_config</methodName>\n<params>\n"
                + "<param>\n<value><string>OpaqueRef:abc</string></value>\n</param>\n<param>\n<value><struct>\n"
                + "<member>\n<name>k&#233;y</name>\n<value><string>v\u00e9\u4e2d\ud83d\ude00</string></value>\n"
                + "</member>\n<member>\n<name>n</name>\n<value><i4>-42</i4></value>\n</member>\n<member>\n"
                + "<name>b</name>\n<value><boolean>1</boolean></value>\n</member>\n<member>\n<name>d</name>\n"
                + "<value><double>2.5e3</double></value>\n</member>\n<member>\n<name>z</name>\n<value><nil/></value>"
                + "\n</member>\n</struct></value>\n</param>\n<param>\n<value><array><data>\n<value><int>1</int></value>"
                + "\n<value><string>two</string></value>\n</data></array></value>\n</param>\n</params>\n"
                + "</methodCall>\n");
        // Xen Orchestra's xen-api (npm xmlrpc): typed strings, empty ones
        docs.add("<?xml version=\"1.0\"?><methodCall><methodName>event.from</methodName><params><param><value>"
                + "<string>OpaqueRef:s</string></value></param><param><value><array><data><value><string>vm"
                + "</string></value></data></array></value></param><param><value><string></string></value></param>"
                + "<param><value><double>60</double></value></param></params></methodCall>");
        // empty forms, duplicate struct keys (the first wins), dateTime, base64, char references, spaces
        docs.add(HEAD + "<param><value/></param><param><value><string/></value></param><param><value><array/>"
                + "</value></param><param><value><struct/></value></param><param><value><array><data/></array>"
                + "</value></param><param><value><struct></struct></value></param><param><value><array></array>"
                + "</value></param><param><value>  </value></param>" + TAIL);
        docs.add(HEAD + "<param><value><struct><member><name>a</name><value>1</value></member><member><name>a"
                + "</name><value>2</value></member><member><name/><value/></member></struct></value></param>"
                + "<param><value><dateTime.iso8601>20261205T10:11:12Z</dateTime.iso8601></value></param>"
                + "<param><value><base64>aGVs\nbG8=</base64></value></param><param><value>&#x41;&#66;&quot;&apos;"
                + "&#13;</value></param><param><value>  <i8>9223372036854775807</i8>\t</value></param>"
                + "<param><value><nil> </nil></value></param><param><value><string> a ]] > b </string></value>"
                + "</param>" + TAIL);
        docs.add("<methodCall><methodName/><params/></methodCall>");
        docs.add("  \n<methodCall> <methodName>x</methodName> <params> </params> </methodCall>  \n");
        // our own writer
        docs.add(new String(
                XmlRpcWriter.call(
                        "VM.get_record",
                        List.of(
                                "OpaqueRef:1",
                                Map.of("k", List.of(1L, true, 2.5, "x<y>&\"'\u00e9")),
                                DateTime.parse("20261205T10:11:12Z"))),
                StandardCharsets.UTF_8));
        return docs;
    }

    @Test
    void whatClientsSendTakesTheFastPathAndDecodesAsStaxDoes() throws Exception {
        for (String d : corpus()) {
            byte[] bytes = d.getBytes(StandardCharsets.UTF_8);
            RpcCall fast = FastXmlRpcParser.parse(bytes, LIMITS);
            assertNotNull(fast, () -> "left the fast path: " + d);
            assertSame(XmlRpcReader.REQUESTS.readCallStax(bytes), fast, d);
        }
    }

    @Test
    void firstStructKeyWinsAndEmptyFormsDecode() {
        RpcCall c = FastXmlRpcParser.parse(corpus().get(4).getBytes(StandardCharsets.UTF_8), LIMITS);
        assertNotNull(c);
        assertEquals(Map.of("a", "1", "", ""), c.params().get(0));
        assertEquals("AB\"'\r", c.params().get(3));
        assertEquals(Long.MAX_VALUE, c.params().get(4));
        assertNull(c.params().get(5));
        assertEquals(" a ]] > b ", c.params().get(6));
    }

    @Test
    void documentsOutsideThePlainFormLeaveTheFastPathAndStaxDecides() throws Exception {
        String v = "<param><value>x</value></param>";
        List<String> outside = List.of(
                "\uFEFF" + HEAD + v + TAIL, // byte-order mark
                "<?xml version=\"1.0\" standalone=\"yes\"?><methodCall><methodName>m</methodName><params>" + TAIL,
                "<?xml version=\"1.0\" encoding=\"US-ASCII\"?><methodCall><methodName>m</methodName><params>" + TAIL,
                HEAD + "<!-- c -->" + v + TAIL,
                HEAD + "<param><value><![CDATA[x]]></value></param>" + TAIL,
                HEAD.replace("\"?>", "\"?>\r\n") + v + TAIL,
                HEAD + "<param ><value>x</value></param>" + TAIL,
                HEAD + "<param><value>x</value ></param>" + TAIL,
                HEAD + "<?pi x?>" + v + TAIL);
        for (String d : outside) {
            byte[] bytes = d.getBytes(StandardCharsets.UTF_8);
            assertNull(FastXmlRpcParser.parse(bytes, LIMITS), d);
            assertSame(XmlRpcReader.REQUESTS.readCallStax(bytes), XmlRpcReader.REQUESTS.readCall(bytes), d);
        }
        List<String> wrong = List.of(
                HEAD + "<param><value><int>x</int></value></param>" + TAIL,
                HEAD + "<param><value><int/></value></param>" + TAIL,
                HEAD + "<param><value>a<string>b</string></value></param>" + TAIL,
                HEAD + "<param><value>&bogus;</value></param>" + TAIL,
                HEAD + "<param><value>&#0;</value></param>" + TAIL,
                HEAD + "<param><value>a]]>b</value></param>" + TAIL,
                HEAD + "<param><value>\u0001</value></param>" + TAIL,
                HEAD + "<param><value>\uFFFF</value></param>" + TAIL,
                HEAD + "<param><value><ex:nil/></value></param>" + TAIL,
                HEAD + v + TAIL + "<x/>",
                HEAD + v);
        for (String d : wrong) {
            byte[] bytes = d.getBytes(StandardCharsets.UTF_8);
            assertNull(FastXmlRpcParser.parse(bytes, LIMITS), d);
            try {
                XmlRpcReader.REQUESTS.readCall(bytes);
                fail("accepted: " + d);
            } catch (XmlRpcParseException expected) {
                // StAX's precise refusal
            }
        }
    }

    @Test
    void depthAndSizeLimitsAreLeftToStax() {
        StringBuilder deep = new StringBuilder(HEAD + "<param>");
        int levels = 40;
        for (int i = 0; i < levels; i++) deep.append("<value><array><data>");
        for (int i = 0; i < levels; i++) deep.append("</data></array></value>");
        deep.append("</param>" + TAIL);
        byte[] bytes = deep.toString().getBytes(StandardCharsets.UTF_8);
        assertNull(FastXmlRpcParser.parse(bytes, XmlRpcReader.REQUEST_LIMITS));
        assertNotNull(FastXmlRpcParser.parse(bytes, new XmlRpcReader.Limits(1 << 20, 1000)));
        assertNull(FastXmlRpcParser.parse(bytes, new XmlRpcReader.Limits(bytes.length - 1, 1000)));
    }

    /** Random mutations of the corpus: whenever the fast path accepts, StAX accepts the same call. */
    @Test
    void underMutationTheFastPathNeverDisagreesWithStax() {
        // -Dfastcall.mutations=N -Dfastcall.seed=S for a longer hunt
        Random random = new Random(Long.getLong("fastcall.seed", 20261205L));
        String[] inserts = {
            "&",
            "<",
            ">",
            "]]>",
            "\r",
            "<!--x-->",
            "&amp;",
            "&#x10FFFF;",
            "&#xD800;",
            "\u00e9",
            "\uFFFE",
            "/",
            "<value>",
            "</value>",
            "<string>",
            "</string>",
            "<nil/>",
            "<x>",
            "\"",
            "'",
            " ",
            "\t",
            "\u0000",
            "?>",
            "<?"
        };
        List<byte[]> docs = new ArrayList<>();
        for (String d : corpus()) docs.add(d.getBytes(StandardCharsets.UTF_8));
        int fastAccepted = 0;
        int mutations = Integer.getInteger("fastcall.mutations", 30_000);
        for (int i = 0; i < mutations; i++) {
            byte[] d = docs.get(random.nextInt(docs.size()));
            byte[] m = mutate(d, random, inserts);
            RpcCall fast = FastXmlRpcParser.parse(m, LIMITS);
            if (fast == null) continue;
            fastAccepted++;
            RpcCall slow;
            try {
                slow = XmlRpcReader.REQUESTS.readCallStax(m);
            } catch (XmlRpcParseException e) {
                throw new AssertionError(
                        "fast path accepted what StAX refuses (" + e.getMessage() + "): "
                                + new String(m, StandardCharsets.UTF_8),
                        e);
            }
            assertSame(slow, fast, new String(m, StandardCharsets.UTF_8));
        }
        // the mutations are not all fatal: the comparison above ran on many accepted documents
        assertTrue(fastAccepted > mutations / 60, "fast path accepted only " + fastAccepted);
    }

    /** Responses as our writer and Xapi write them, and Python's: fast path, same result as StAX, under mutation too. */
    @Test
    void responsesTakeTheFastPathAndAgreeWithStaxUnderMutation() throws Exception {
        List<byte[]> docs = new ArrayList<>();
        docs.add(XmlRpcWriter.success(Map.of("uuid", "u", "n", 3L, "l", List.of("a", true, 1.5))));
        docs.add(XmlRpcWriter.success(""));
        docs.add(XmlRpcWriter.failure(List.of("HANDLE_INVALID", "VM", "OpaqueRef:x<&>")));
        docs.add(XmlRpcWriter.bare(List.of("system.listMethods", "VM.start")));
        docs.add(("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n"
                        + "<name>Status</name>\n<value><string>Success</string></value>\n</member>\n<member>\n"
                        + "<name>Value</name>\n<value><nil/></value>\n</member>\n</struct></value>\n</param>\n"
                        + "</params>\n</methodResponse>\n")
                .getBytes(StandardCharsets.UTF_8));
        for (byte[] d : docs) {
            org.xapijava.model.rpc.RpcResponse fast = FastXmlRpcParser.parseResponse(d, XmlRpcReader.RESPONSE_LIMITS);
            assertNotNull(fast, () -> new String(d, StandardCharsets.UTF_8));
            assertSameResponse(XmlRpcReader.RESPONSES.readResponseStax(d), fast, new String(d, StandardCharsets.UTF_8));
        }
        byte[] fault = ("<?xml version=\"1.0\"?><methodResponse><fault><value><struct><member><name>faultCode</name>"
                        + "<value><int>1</int></value></member><member><name>faultString</name><value>x</value>"
                        + "</member></struct></value></fault></methodResponse>")
                .getBytes(StandardCharsets.UTF_8);
        assertNull(FastXmlRpcParser.parseResponse(fault, XmlRpcReader.RESPONSE_LIMITS));
        assertEquals(
                List.of("fault", 1L, "x"),
                XmlRpcReader.RESPONSES.readResponse(fault).contents());
        Random random = new Random(Long.getLong("fastcall.seed", 20261206L));
        String[] inserts = {"&", "<", ">", "]]>", "\r", "<!--x-->", "&lt;", "\u00e9", "/", "<value>", "</value>", " "};
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] m = mutate(docs.get(random.nextInt(docs.size())), random, inserts);
            org.xapijava.model.rpc.RpcResponse fast = FastXmlRpcParser.parseResponse(m, XmlRpcReader.RESPONSE_LIMITS);
            if (fast == null) continue;
            accepted++;
            org.xapijava.model.rpc.RpcResponse slow;
            try {
                slow = XmlRpcReader.RESPONSES.readResponseStax(m);
            } catch (XmlRpcParseException e) {
                throw new AssertionError(
                        "fast path accepted what StAX refuses: " + new String(m, StandardCharsets.UTF_8), e);
            }
            assertSameResponse(slow, fast, new String(m, StandardCharsets.UTF_8));
        }
        assertTrue(accepted > 200, "fast path accepted only " + accepted);
    }

    private static void assertSameResponse(
            org.xapijava.model.rpc.RpcResponse expected, org.xapijava.model.rpc.RpcResponse actual, String doc) {
        assertEquals(expected.success(), actual.success(), doc);
        assertTrue(same(expected.contents(), actual.contents()), () -> "differs: " + doc);
    }

    private static byte[] mutate(byte[] d, Random random, String[] inserts) {
        int at = random.nextInt(d.length + 1);
        byte[] piece;
        int drop = 0;
        switch (random.nextInt(4)) {
            case 0 -> piece = inserts[random.nextInt(inserts.length)].getBytes(StandardCharsets.UTF_8);
            case 1 -> {
                piece = new byte[] {(byte) random.nextInt(256)};
                drop = at < d.length ? 1 : 0;
            }
            case 2 -> {
                piece = new byte[0];
                drop = Math.min(d.length - at, 1 + random.nextInt(8));
            }
            default -> {
                // move a chunk of the document somewhere else (tags out of order)
                int from = random.nextInt(d.length);
                int len = Math.min(d.length - from, 1 + random.nextInt(20));
                piece = Arrays.copyOfRange(d, from, from + len);
            }
        }
        byte[] out = new byte[d.length - drop + piece.length];
        System.arraycopy(d, 0, out, 0, at);
        System.arraycopy(piece, 0, out, at, piece.length);
        System.arraycopy(d, at + drop, out, at + piece.length, d.length - at - drop);
        return out;
    }

    /** Same method, same parameters: values compared deeply, byte arrays by content, struct key order included. */
    private static void assertSame(RpcCall expected, RpcCall actual, String doc) {
        assertEquals(expected.method(), actual.method(), doc);
        assertTrue(same(expected.params(), actual.params()), () -> "differs: " + doc);
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof byte[] x) return b instanceof byte[] y && Arrays.equals(x, y);
        if (a instanceof List<?> x) {
            if (!(b instanceof List<?> y) || x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!same(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x) {
            if (!(b instanceof LinkedHashMap<?, ?> y) || x.size() != y.size()) return false;
            Iterator<? extends Map.Entry<?, ?>> i = x.entrySet().iterator();
            Iterator<? extends Map.Entry<?, ?>> j = y.entrySet().iterator();
            while (i.hasNext()) {
                Map.Entry<?, ?> e = i.next();
                Map.Entry<?, ?> f = j.next();
                if (!e.getKey().equals(f.getKey()) || !same(e.getValue(), f.getValue())) return false;
            }
            return true;
        }
        if (a == null) return b == null;
        return b != null && a.getClass() == b.getClass() && a.equals(b);
    }
}
