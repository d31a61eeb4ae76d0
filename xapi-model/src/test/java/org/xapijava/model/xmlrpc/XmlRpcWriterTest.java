package org.xapijava.model.xmlrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.rpc.VersionedRecord;
import org.xapijava.model.types.DateTime;

class XmlRpcWriterTest {

    private static String v(Object value) {
        return XmlRpcWriter.toString(value);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void scalarsAsXapiWritesThem() {
        assertEquals("<value>hello</value>", v("hello"));
        assertEquals("<value></value>", v(""));
        assertEquals("<value>67108864</value>", v(67108864L));
        assertEquals("<value>-9223372036854775808</value>", v(Long.MIN_VALUE));
        assertEquals("<value>9223372036854775807</value>", v(Long.MAX_VALUE));
        assertEquals("<value>0</value>", v(0L));
        assertEquals("<value>-7</value>", v(-7L));
        assertEquals("<value><i4>42</i4></value>", v(42));
        assertEquals("<value><boolean>1</boolean></value>", v(true));
        assertEquals("<value><boolean>0</boolean></value>", v(false));
        assertEquals("<value><double>1</double></value>", v(1.0));
        assertEquals("<value><double>0.1</double></value>", v(0.1));
        assertEquals("<value><double>1e+20</double></value>", v(1e20));
        assertEquals("<value><double>0.3333333333333333</double></value>", v(1.0 / 3));
        assertEquals("<value><double>nan</double></value>", v(Double.NaN));
        assertEquals("<value><double>-inf</double></value>", v(Double.NEGATIVE_INFINITY));
        assertEquals("<value><nil/></value>", v(null));
        assertEquals(
                "<value><dateTime.iso8601>20240319T04:16:24Z</dateTime.iso8601></value>",
                v(new DateTime(LocalDateTime.of(2024, 3, 19, 4, 16, 24), ZoneOffset.UTC)));
        assertEquals("<value><base64>aGk=</base64></value>", v("hi".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void collections() {
        assertEquals("<value><array><data></data></array></value>", v(List.of()));
        assertEquals(
                "<value><array><data><value>a</value><value>1</value></data></array></value>", v(List.of("a", 1L)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", "x");
        m.put("a", List.of());
        assertEquals(
                "<value><struct><member><name>b</name><value>x</value></member><member><name>a</name>"
                        + "<value><array><data></data></array></value></member></struct></value>",
                v(m));
        assertEquals("<value><struct></struct></value>", v(Map.of()));
    }

    @Test
    void escapingAndDroppedControlCharacters() {
        assertEquals("<value>a&lt;b&gt;&amp;&quot;c'</value>", v("a<b>&\"c'"));
        assertEquals("<value>\u00e9\u20ac\ud834\udd1e\ufdd0</value>", v("\u00e9\u20ac\ud834\udd1e\ufdd0"));
        // an error description echoes what a client sent: controls dropped (as Xapi does), the rest as U+FFFD
        byte[] failure = XmlRpcWriter.failure(List.of("X", "a\u0001b\tc\nd\re\u001f", "x\ud800y\uffff\ufffe"));
        assertEquals(true, s(failure).contains("<value>ab\tc\nd&#13;e</value><value>x\ufffdy\ufffd\ufffd</value>"));
        // a value holding what no reader accepts, or what could only be written altered, is a bug: refused
        for (String bad : List.of("a\u0001b", "x\ud800y", "x\uffff", "\ufffe", "\udc00")) {
            assertThrows(UnwritableTextException.class, () -> XmlRpcWriter.success(Map.of("k", List.of(bad))));
            assertThrows(UnwritableTextException.class, () -> XmlRpcWriter.success(Map.of(bad, "v")));
        }
        // Deliberate difference from Xapi: member names are escaped too.
        assertEquals(
                "<value><struct><member><name>&lt;k&gt;</name><value>v</value></member></struct></value>",
                v(Map.of("<k>", "v")));
    }

    @Test
    void successEnvelopeExactBytes() {
        assertEquals(
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>"
                        + "<value>Success</value></member><member><name>Value</name><value>OpaqueRef:abc</value></member>"
                        + "</struct></value></param></params></methodResponse>",
                s(XmlRpcWriter.success("OpaqueRef:abc")));
        assertEquals(
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>"
                        + "<value>Success</value></member><member><name>Value</name><value></value></member>"
                        + "</struct></value></param></params></methodResponse>",
                s(XmlRpcWriter.success("")));
    }

    @Test
    void failureEnvelopeExactBytes() {
        assertEquals(
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>"
                        + "<value>Failure</value></member><member><name>ErrorDescription</name><value><array><data>"
                        + "<value>MESSAGE_PARAMETER_COUNT_MISMATCH</value><value>VM.get_record</value><value>1</value>"
                        + "<value>0</value></data></array></value></member></struct></value></param></params></methodResponse>",
                s(XmlRpcWriter.failure(new ApiError("MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "0"))));
    }

    @Test
    void bareResponseAndCall() {
        assertEquals(
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data><value>VM.start</value>"
                        + "</data></array></value></param></params></methodResponse>",
                s(XmlRpcWriter.bare(List.of("VM.start"))));
        assertEquals(
                "<?xml version=\"1.0\"?><methodCall><methodName>session.login_with_password</methodName><params>"
                        + "<param><value>root</value></param><param><value>pw</value></param></params></methodCall>",
                s(XmlRpcWriter.call("session.login_with_password", List.of("root", "pw"))));
        assertEquals(
                "<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params></params></methodCall>",
                s(XmlRpcWriter.call("m", List.of())));
    }

    @Test
    void streamingWithSmallBufferMatchesGrowable() throws Exception {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 20_000; i++) big.append(i % 7 == 0 ? "<&\u00e9\ud834\udd1e" : "abc");
        List<Object> l = new ArrayList<>();
        for (int i = 0; i < 100; i++) l.add(Map.of("k" + i, big.toString(), "n", (long) i));
        byte[] expected = XmlRpcWriter.success(l);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        XmlRpcWriter w = new XmlRpcWriter(out, 1);
        w.writeSuccess(l);
        w.flush();
        assertArrayEquals(expected, out.toByteArray());
        Object back = XmlRpcReader.RESPONSES.readResponse(expected).contents();
        assertEquals(l.size(), ((List<?>) back).size());
    }

    @Test
    void aLargeCallGrowsItsSmallBufferAndReadsBack() throws Exception {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 5_000; i++) big.append(i % 5 == 0 ? "<&\u00e9\ud834\udd1e\"" : "metadata");
        List<Object> params = List.of("dbg", big.toString(), Map.of("k", "v"));
        byte[] call = XmlRpcWriter.call("VM.import_metadata", params);
        assertTrue(call.length > 40_000, "larger than the writer's first buffer several times over");
        RpcCall back = XmlRpcReader.REQUESTS.readCall(call);
        assertEquals("VM.import_metadata", back.method());
        assertTrue(params.equals(back.params()), "the same parameters read back"); // no 60 KB failure text
    }

    @Test
    void refusesNonRpcValues() {
        assertThrows(IllegalArgumentException.class, () -> v(new Object()));
        assertThrows(IllegalArgumentException.class, () -> v(Map.of(1L, "x")));
    }

    /**
     * Records of every class, complete (written with the class's cached member heads) or with an option field
     * left out (written member by member), encode exactly as the same fields in an ordinary map.
     */
    @Test
    void recordsEncodeAsTheSameFieldsInAPlainMap() {
        org.xapijava.model.Datamodel dm = org.xapijava.model.Datamodel.get();
        int complete = 0;
        for (org.xapijava.model.ClassDef cls : dm.classes()) {
            Map<String, Object> rec = org.xapijava.model.rpc.Marshal.record(dm, cls, Map.of());
            if (rec instanceof org.xapijava.model.rpc.RecordMap r && r.completeKeys() != null) complete++;
            assertEquals(XmlRpcWriter.toString(new LinkedHashMap<>(rec)), XmlRpcWriter.toString(rec), cls.name());
            // twice: the second time from the cache
            assertEquals(XmlRpcWriter.toString(new LinkedHashMap<>(rec)), XmlRpcWriter.toString(rec), cls.name());
        }
        org.junit.jupiter.api.Assertions.assertTrue(complete > 50, "complete records: " + complete);
    }

    /**
     * A record with a version is kept once encoded twice and then reused while the version is the same object; a new version
     * (a database write makes a new row) is encoded afresh, so a kept encoding is never stale.
     */
    @Test
    void recordsOfTheSameVersionReuseTheirEncodingAndANewVersionIsEncodedAfresh() {
        org.xapijava.model.Datamodel dm = org.xapijava.model.Datamodel.get();
        org.xapijava.model.ClassDef vm = dm.cls("VM");
        VersionedRecord first = new VersionedRecord(vm, "first <name>");
        Map<String, Object> plain = org.xapijava.model.rpc.Marshal.record(dm, vm, new LinkedHashMap<>(first));
        String expected = XmlRpcWriter.toString(new LinkedHashMap<>(plain));
        // twice: the first leaves a mark, the second keeps the encoding
        assertEquals(expected, XmlRpcWriter.toString(org.xapijava.model.rpc.Marshal.record(dm, vm, first)));
        assertEquals(expected, XmlRpcWriter.toString(org.xapijava.model.rpc.Marshal.record(dm, vm, first)));
        org.junit.jupiter.api.Assertions.assertTrue(expected.contains("first &lt;name&gt;"), expected);
        // the same version again, its values changed behind the cache's back (which a database row never does):
        // the kept encoding is what is written, which shows it is reused
        first.changeInPlace("name_label", "changed in place");
        assertEquals(expected, XmlRpcWriter.toString(org.xapijava.model.rpc.Marshal.record(dm, vm, first)));
        // a new version with new values: encoded afresh, inside a larger answer too
        VersionedRecord second = new VersionedRecord(vm, "second");
        String again = XmlRpcWriter.toString(List.of(org.xapijava.model.rpc.Marshal.record(dm, vm, second)));
        org.junit.jupiter.api.Assertions.assertTrue(again.contains("second") && !again.contains("first"), again);
        assertEquals(
                XmlRpcWriter.toString(List.of(new LinkedHashMap<>(
                        org.xapijava.model.rpc.Marshal.record(dm, vm, new LinkedHashMap<>(second))))),
                again);
    }
    /**
     * One lazily marshalled record encoded by many threads at once (an {@code event.from} answer shared by the
     * waiters it wakes) comes out whole in every one of them: filling it on first read is done once.
     */
    @Test
    void aLazyRecordReadByManyThreadsAtOnceIsFilledOnce() throws Exception {
        org.xapijava.model.Datamodel dm = org.xapijava.model.Datamodel.get();
        org.xapijava.model.ClassDef vm = dm.cls("VM");
        int threads = 16;
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            for (int round = 0; round < 200; round++) {
                VersionedRecord row = new VersionedRecord(vm, "round " + round);
                String expected = XmlRpcWriter.toString(
                        new LinkedHashMap<>(org.xapijava.model.rpc.Marshal.record(dm, vm, new LinkedHashMap<>(row))));
                Map<String, Object> shared = org.xapijava.model.rpc.Marshal.record(dm, vm, row);
                var start = new java.util.concurrent.CyclicBarrier(threads);
                List<java.util.concurrent.Future<String>> outs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    outs.add(pool.submit(() -> {
                        start.await();
                        return XmlRpcWriter.toString(new LinkedHashMap<>(shared));
                    }));
                }
                for (var f : outs) assertEquals(expected, f.get(), "round " + round);
            }
        }
    }
}
