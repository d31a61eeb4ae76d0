package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.server.TestHost;

/**
 * The five repros of issue 9, exactly as reported, each a regression test: none may be accepted, break a
 * response, or keep the host from starting again.
 */
class PoisonValuesTest {
    @TempDir
    Path dir;

    private Wire wire;
    private TestHost host;

    private String login() throws Exception {
        return (String) wire.xmlValue("session.login_with_password", "root", host.password());
    }

    /** A VM other than the control domain (whose affinity is its host): the first template. */
    private String aVm(String session) throws Exception {
        @SuppressWarnings("unchecked")
        List<String> vms = (List<String>) wire.xmlValue("VM.get_all", session);
        for (String vm : vms) {
            if (!(Boolean) wire.xmlValue("VM.get_is_control_domain", session, vm)) return vm;
        }
        throw new AssertionError("no VM but the control domain");
    }

    private List<String> jsonError(String method, Object... params) throws Exception {
        JsonNode r = wire.json(Wire.v2(method, params));
        JsonNode e = r.get("error");
        assertTrue(e != null && !e.isNull(), method + " was accepted: " + r);
        List<String> d = new ArrayList<>();
        d.add(e.get("message").asText());
        e.get("data").forEach(x -> d.add(x.asText()));
        return d;
    }

    private void everythingStillParsesOverXmlRpc(String session) throws Exception {
        wire.xmlValue("VM.get_all_records", session);
        wire.xmlValue("message.get_all_records", session);
        wire.xmlValue("event.from", session, List.of("*"), "", 0.0);
    }

    @Test
    void noneOfTheFiveReprosMisbehavesAndTheHostRestarts() throws Exception {
        host = TestHost.start(dir);
        String vm;
        String vmUuid;
        try {
            wire = new Wire(host);
            String s = login();
            vm = aVm(s);
            vmUuid = (String) wire.xmlValue("VM.get_uuid", s, vm);
            List<String> invalid = List.of("INTERNAL_ERROR", "Db_exn.Invalid_value");

            // 1. ref-typed fields (setters of refs) holding U+FFFE/U+FFFF or a control character
            assertEquals(invalid, jsonError("VM.set_affinity", s, vm, "x\uffffy"));
            assertEquals(invalid, jsonError("VM.set_suspend_SR", s, vm, "x\ufffey"));
            assertEquals(invalid, jsonError("VM.set_affinity", s, vm, "x\u0001y"));
            assertEquals("OpaqueRef:NULL", wire.xmlValue("VM.get_affinity", s, vm));

            // 2. message.create with bodies Xapi refuses
            for (String body : List.of("a\ufffeb", "a\uffffb", "a\u0001b", "\u001f")) {
                assertEquals(
                        List.of("INVALID_VALUE", "UTF8 expected"),
                        jsonError("message.create", s, "NAME", 3, "VM", vmUuid, body));
            }

            // 4. the same long key through both doors
            Map<String, String> longKey = Map.of("k".repeat(50_001), "v");
            RpcResponse x = wire.xml("VM.set_other_config", s, vm, longKey);
            assertTrue(x.success(), String.valueOf(x.contents()));
            JsonNode j = wire.json(Wire.v2("VM.set_other_config", s, vm, Map.of("j".repeat(50_001), "v")));
            assertTrue(j.get("error") == null || j.get("error").isNull(), j.toString());

            // 5. noncharacters, which XML carries but the database refuses, on both doors
            for (String nc : List.of("\ufdd0", "\ufdef", "\ud83f\udffe", "\udbff\udfff")) {
                RpcResponse r = wire.xml("VM.set_name_label", s, vm, "a" + nc);
                assertEquals(false, r.success());
                assertEquals(invalid, r.contents());
                assertEquals(invalid, jsonError("VM.set_name_label", s, vm, "a" + nc));
            }
            everythingStillParsesOverXmlRpc(s);
        } finally {
            host.close(); // SIGTERM's path: final flush of state.db
        }
        host = TestHost.start(dir);
        try {
            wire = new Wire(host);
            String s = login();
            assertEquals("OpaqueRef:NULL", wire.xmlValue("VM.get_affinity", s, vm));
            @SuppressWarnings("unchecked")
            Map<String, String> oc = (Map<String, String>) wire.xmlValue("VM.get_other_config", s, vm);
            assertTrue(oc.containsKey("j".repeat(50_001)), "the long key survives a restart");
            everythingStillParsesOverXmlRpc(s);
        } finally {
            host.close();
        }
    }
}
