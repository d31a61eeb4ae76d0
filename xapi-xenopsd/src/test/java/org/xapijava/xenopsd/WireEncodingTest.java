package org.xapijava.xenopsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.xenopsd.internal.Wire;
import org.xapijava.xenopsd.internal.Wire.Arg;

/**
 * Calls and answers as ocaml-rpc's Idl client and server put them on the wire (expected texts written by hand
 * from {@code Idl.GenClient}, {@code Rpcmarshal} and {@code Xmlrpc} with strict=false).
 */
class WireEncodingTest {

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void vmStartCallHasOneStructParamWithArgumentsInReverseOrder() {
        String xml = s(Wire.encodeCall("VM.start", "dbg", List.of(Arg.of("id", "vm1"), Arg.of("paused", false))));
        assertEquals(
                "<?xml version=\"1.0\"?><methodCall><methodName>VM.start</methodName><params><param><value>"
                        + "<struct><member><name>paused</name><value><boolean>0</boolean></value></member>"
                        + "<member><name>id</name><value>vm1</value></member>"
                        + "<member><name>debug_info</name><value>dbg</value></member></struct></value></param></params>"
                        + "</methodCall>",
                xml);
    }

    @Test
    void noneOptionIsLeftOutAndSomeIsTheBareValue() {
        String hard = s(Wire.encodeCall("VM.shutdown", "d", List.of(Arg.of("id", "v"), Arg.opt("delay", null))));
        assertFalse(hard.contains("delay"));
        String clean = s(Wire.encodeCall("VM.shutdown", "d", List.of(Arg.of("id", "v"), Arg.opt("delay", 30.0))));
        assertTrue(clean.contains("<member><name>delay</name><value><double>30</double></value></member>"), clean);
    }

    @Test
    void unitParameterIsNil() {
        String xml = s(Wire.encodeCall("query", "d", List.of(Arg.unit())));
        assertTrue(xml.contains("<member><name>unit</name><value><nil/></value></member>"), xml);
    }

    @Test
    void badPowerStateFailure() throws Exception {
        byte[] b = Wire.encodeFailure(
                XenopsError.badPowerState(PowerState.Running, PowerState.Halted).toRpc());
        assertEquals(
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
                        + "<member><name>Status</name><value>Failure</value></member>"
                        + "<member><name>ErrorDescription</name><value><array><data><value>Bad_power_state</value>"
                        + "<value><array><data><value>Running</value><value>Halted</value></data></array></value>"
                        + "</data></array></value></member></struct></value></param></params></methodResponse>",
                s(b));
        RpcResponse r = Wire.decodeResponse(b);
        XenopsError e = XenopsError.fromRpc(r.contents());
        assertEquals("Bad_power_state", e.code());
        assertEquals(List.of(PowerState.Running, PowerState.Halted), e.args());
    }
}
