package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.xmlrpc.XmlRpcReader;

class Smapiv1CallTest {

    private static String m(String name, String value) {
        return "<member><name>" + name + "</name>" + value + "</member>";
    }

    private static String v(String s) {
        return s.isEmpty() ? "<value/>" : "<value>" + s + "</value>";
    }

    @Test
    void driverInfoHasNoSessionAndNoSr() {
        String xml = Smapiv1Call.builder("OpaqueRef:h", "sr_get_driver_info", List.of())
                .build()
                .toXml();
        assertEquals(
                "<methodCall><methodName>sr_get_driver_info</methodName><params><param><value><struct>"
                        + m("host_ref", v("OpaqueRef:h"))
                        + m("command", v("sr_get_driver_info"))
                        + m("args", "<value><array><data/></array></value>")
                        + m("device_config", "<value><struct/></value>")
                        + "</struct></value></param></params></methodCall>",
                xml);
    }

    @Test
    void vdiCreateMembersInXapisOrder() {
        Map<String, String> dc = new LinkedHashMap<>();
        dc.put("location", "/srv/a&b");
        dc.put("SRmaster", "true");
        String xml = Smapiv1Call.builder(
                        "OpaqueRef:h", "vdi_create", List.of("1048576", "disk <1>", "", "", "false", "", "", "false"))
                .deviceConfig(dc)
                .sessionRef("OpaqueRef:s")
                .sr("OpaqueRef:sr", "sr-uuid")
                .vdiType("user")
                .vdiSmConfig(Map.of())
                .vdiUuid("wanted")
                .subtaskOf("OpaqueRef:t")
                .build()
                .toXml();
        assertEquals(
                "<methodCall><methodName>vdi_create</methodName><params><param><value><struct>"
                        + m("host_ref", v("OpaqueRef:h"))
                        + m("command", v("vdi_create"))
                        + m(
                                "args",
                                "<value><array><data>" + v("1048576") + v("disk &lt;1&gt;") + v("") + v("") + v("false")
                                        + v("") + v("") + v("false") + "</data></array></value>")
                        + m(
                                "device_config",
                                "<value><struct>" + m("location", v("/srv/a&amp;b")) + m("SRmaster", v("true"))
                                        + "</struct></value>")
                        + m("session_ref", v("OpaqueRef:s"))
                        + m("sr_ref", v("OpaqueRef:sr"))
                        + m("vdi_type", v("user"))
                        + m("sr_uuid", v("sr-uuid"))
                        + m("vdi_uuid", v("wanted"))
                        + m("vdi_sm_config", "<value><struct/></value>")
                        + m("subtask_of", v("OpaqueRef:t"))
                        + "</struct></value></param></params></methodCall>",
                xml);
    }

    @Test
    void everyMemberInOrder() {
        String xml = Smapiv1Call.builder("H", "vdi_snapshot", List.of("x"))
                .localCacheSr("lc")
                .subtaskOf("T")
                .newUuid("N")
                .vdiSmConfig(Map.of("a", "1"))
                .driverParams(Map.of("d", "2"))
                .vdi("VR", "VL", "VU", "persist", true)
                .vdiType("user")
                .sr("SR", "SU")
                .srSmConfig(Map.of("s", "3"))
                .sessionRef("S")
                .deviceConfig(Map.of("k", "\"q\"\r\u0001"))
                .build()
                .toXml();
        List<String> names = new java.util.ArrayList<>();
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile("<member><name>([a-z_]+)</name><value>")
                .matcher(xml);
        while (mm.find()) names.add(mm.group(1));
        assertEquals(
                List.of(
                        "host_ref",
                        "command",
                        "args",
                        "device_config",
                        "k",
                        "session_ref",
                        "sr_sm_config",
                        "s",
                        "sr_ref",
                        "vdi_type",
                        "sr_uuid",
                        "vdi_ref",
                        "vdi_location",
                        "vdi_uuid",
                        "driver_params",
                        "d",
                        "vdi_sm_config",
                        "a",
                        "new_uuid",
                        "subtask_of",
                        "vdi_on_boot",
                        "vdi_allow_caching",
                        "local_cache_sr"),
                names);
        // quotes as entities, CR as a reference, other controls dropped
        assertEquals(true, xml.contains("<value>&quot;q&quot;&#13;</value>"));
        assertEquals(true, xml.contains(m("vdi_allow_caching", v("true"))));
    }

    @Test
    void readsBackAsTheSameCall() throws Exception {
        Smapiv1Call c = Smapiv1Call.builder("H", "vdi_attach", List.of("true"))
                .deviceConfig(Map.of("SRmaster", "false"))
                .sessionRef("S")
                .sr("SR", "SU")
                .vdi("VR", "loc é", "VU", "reset", false)
                .build();
        RpcCall rc = XmlRpcReader.REQUESTS.readCall(c.toXmlBytes());
        assertEquals("vdi_attach", rc.method());
        Map<?, ?> s = (Map<?, ?>) rc.params().getFirst();
        assertEquals(List.of("true"), s.get("args"));
        assertEquals("loc é", s.get("vdi_location"));
        assertEquals("reset", s.get("vdi_on_boot"));
        assertEquals("false", s.get("vdi_allow_caching"));
    }
}
