package org.xapijava.model.xmlrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.client.XmlRpcStreamTransport;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.junit.jupiter.api.Test;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.types.DateTime;

/**
 * Drives our codec with Apache XML-RPC 3.1.3's client (the transport of the Citrix Java SDK) through an
 * in-memory transport: Apache serialises the call, our reader parses it, our writer answers, Apache's
 * parser reads the answer back — both directions of the real client's wire path.
 */
class ApacheXmlRpcInteropTest {

    /** A client whose transport hands the request bytes to {@code server} and parses what it returns. */
    private static XmlRpcClient client(Function<RpcCall, byte[]> server) {
        XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
        config.setEncoding("UTF-8");
        XmlRpcClient c = new XmlRpcClient();
        c.setConfig(config);
        c.setTransportFactory(() -> new XmlRpcStreamTransport(c) {
            private byte[] response;

            @Override
            protected void close() {}

            @Override
            protected boolean isResponseGzipCompressed(org.apache.xmlrpc.common.XmlRpcStreamRequestConfig pConfig) {
                return false;
            }

            @Override
            protected InputStream getInputStream() {
                return new ByteArrayInputStream(response);
            }

            @Override
            protected void writeRequest(ReqWriter pWriter) throws XmlRpcException {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try {
                    pWriter.write(out);
                    response = server.apply(XmlRpcReader.REQUESTS.readCall(out.toByteArray()));
                } catch (Exception e) {
                    throw new XmlRpcClientException("in-memory transport failed: " + e, e);
                }
            }
        });
        return c;
    }

    @Test
    void apacheRequestsParseAsTheSdkSendsThem() throws Exception {
        RpcCall[] seen = new RpcCall[1];
        XmlRpcClient c = client(call -> {
            seen[0] = call;
            return XmlRpcWriter.success("");
        });
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("name_label", "a <b> & \"c\"");
        rec.put("memory", "67108864"); // the SDK sends int64 as strings
        rec.put("flag", Boolean.TRUE);
        rec.put("ratio", 5.0);
        rec.put("tags", new Object[] {"x", "y"});
        c.execute("VM.create", new Object[] {"OpaqueRef:s", rec, new Date(0)});
        assertEquals("VM.create", seen[0].method());
        assertEquals("OpaqueRef:s", seen[0].params().get(0));
        Map<?, ?> got = (Map<?, ?>) seen[0].params().get(1);
        assertEquals("a <b> & \"c\"", got.get("name_label"));
        assertEquals("67108864", got.get("memory"));
        assertEquals(Boolean.TRUE, got.get("flag"));
        assertEquals(5.0, got.get("ratio"));
        assertEquals(List.of("x", "y"), got.get("tags"));
        assertInstanceOf(DateTime.class, seen[0].params().get(2));
    }

    @Test
    void ourSuccessEnvelopeReadsBackThroughApache() throws Exception {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("uuid", "d1a6c7b0-0000-4000-8000-000000000001");
        record.put("memory_static_max", 2147483648L);
        record.put("VCPUs_max", 2L);
        record.put("is_a_template", false);
        record.put("HVM_shadow_multiplier", 1.0);
        record.put("last_booted", DateTime.parse("20240319T04:16:24Z"));
        record.put("other_config", Map.of("k <&>", "v\t\"q\""));
        record.put("tags", List.of());
        record.put("name_description", "");
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("OpaqueRef:1", record);
        XmlRpcClient c = client(call -> XmlRpcWriter.success(value));
        Map<?, ?> status = (Map<?, ?>) c.execute("VM.get_all_records", new Object[] {"OpaqueRef:s"});
        assertEquals("Success", status.get("Status"));
        Map<?, ?> back = (Map<?, ?>) ((Map<?, ?>) status.get("Value")).get("OpaqueRef:1");
        assertEquals("2147483648", back.get("memory_static_max")); // ints arrive as strings, as the SDK needs
        assertEquals(Boolean.FALSE, back.get("is_a_template"));
        assertEquals(1.0, back.get("HVM_shadow_multiplier"));
        assertEquals(
                new Date(DateTime.parse("20240319T04:16:24Z").toInstant().toEpochMilli()), back.get("last_booted"));
        assertEquals(Map.of("k <&>", "v\t\"q\""), back.get("other_config"));
        assertArrayEquals(new Object[0], (Object[]) back.get("tags"));
        assertEquals("", back.get("name_description"));
    }

    @Test
    void ourFailureEnvelopeReadsBackThroughApache() throws Exception {
        XmlRpcClient c = client(call -> XmlRpcWriter.failure(List.of("HANDLE_INVALID", "VM", "OpaqueRef:x")));
        Map<?, ?> status = (Map<?, ?>) c.execute("VM.get_record", new Object[] {"OpaqueRef:s", "OpaqueRef:x"});
        assertEquals("Failure", status.get("Status"));
        assertArrayEquals(
                new Object[] {"HANDLE_INVALID", "VM", "OpaqueRef:x"}, (Object[]) status.get("ErrorDescription"));
    }

    @Test
    void bareListMethodsAnswerReadsBack() throws Exception {
        XmlRpcClient c = client(call -> XmlRpcWriter.bare(List.of("VM.start", "VM.get_record")));
        Object r = c.execute("system.listMethods", new Object[0]);
        assertArrayEquals(new Object[] {"VM.start", "VM.get_record"}, (Object[]) r);
    }

    @Test
    void requestWithUnusualStringsRoundTrips() throws Exception {
        RpcCall[] seen = new RpcCall[1];
        XmlRpcClient c = client(call -> {
            seen[0] = call;
            return XmlRpcWriter.success(call.params().get(0));
        });
        String s = "naïve ☃ ]]> <![CDATA[ x \u00a0\uffee";
        Map<?, ?> status = (Map<?, ?>) c.execute("echo", new Object[] {s});
        assertEquals(s, seen[0].params().get(0));
        assertEquals(s, status.get("Value"));
        assertTrue(XmlRpcRequest.class.isInterface());
        assertTrue(XmlRpcTransport.class.isInterface());
    }

    /**
     * Apache XML-RPC 3.1.3 writes a character outside the BMP as two character references to its UTF-16
     * halves ({@code &#55357;&#56832;}), which is not XML; Xapi's parser refuses it and so do we.
     */
    @Test
    void apacheSurrogateReferencesAreRefusedAsXapiDoes() {
        XmlRpcClient c = client(call -> XmlRpcWriter.success(""));
        XmlRpcClientException e = org.junit.jupiter.api.Assertions.assertThrows(
                XmlRpcClientException.class, () -> c.execute("echo", new Object[] {"\uD83D\uDE00"}));
        assertInstanceOf(XmlRpcParseException.class, e.getCause());
    }
}
