package org.xapijava.model.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

class MarshalTest {
    private static final Datamodel DM = Datamodel.get();

    private static Object m(String type, Object v) {
        return Marshal.toRpc(XType.parse(type), v);
    }

    @Test
    void primitives() {
        assertEquals("x", m("string", "x"));
        assertEquals(5L, m("int", 5L));
        assertEquals(5L, m("int", 5));
        assertEquals(0.5, m("float", 0.5));
        assertEquals(true, m("bool", true));
        assertEquals(DateTime.EPOCH, m("datetime", DateTime.EPOCH));
        assertEquals("Halted", m("enum vm_power_state", "Halted"));
        assertEquals("OpaqueRef:NULL", m("VM ref", "OpaqueRef:NULL"));
        assertEquals("", Marshal.toRpc(XType.VOID, null));
        assertThrows(IllegalArgumentException.class, () -> m("int", "5"));
    }

    @Test
    void mapsStringifyKeys() {
        Map<Object, Object> in = new LinkedHashMap<>();
        in.put(3L, 4L);
        in.put(1L, 2L);
        Object out = m("(int -> int) map", in);
        assertEquals(List.of("3", "1"), new ArrayList<>(((Map<?, ?>) out).keySet()));
        assertEquals(
                "<value><struct><member><name>3</name><value>4</value></member><member><name>1</name>"
                        + "<value>2</value></member></struct></value>",
                XmlRpcWriter.toString(out));
        assertEquals(Map.of("start", "why"), m("(enum vm_operations -> string) map", Map.of("start", "why")));
    }

    @Test
    void vmRecordHasWireFieldsInDatamodelOrder() {
        ClassDef vm = DM.cls("VM");
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("name_label", "vm <1>");
        rec.put("memory_static_max", 1L << 30);
        Map<?, ?> out = (Map<?, ?>) Marshal.toRpc(new XType.RecordType("VM"), rec);
        List<String> expected = vm.wireFields().stream().map(FieldDef::name).toList();
        assertEquals(expected, new ArrayList<>(out.keySet()));
        assertEquals(
                "1073741824",
                XmlRpcWriter.toString(out.get("memory_static_max")).replaceAll("</?value>", ""));
        String xml = XmlRpcWriter.toString(out);
        assertTrue(xml.contains("<member><name>name_label</name><value>vm &lt;1&gt;</value></member>"));
        assertTrue(xml.contains("<member><name>power_state</name><value>"));
        assertFalse(xml.contains("<nil/>"));
    }

    @Test
    void noneOptionsAreOmittedFromRecords() {
        ClassDef cls = DM.cls("probe_result");
        if (cls == null) return; // not a class of this datamodel build
        Map<String, Object> rec = new LinkedHashMap<>();
        for (FieldDef f : cls.wireFields()) rec.put(f.name(), DM.emptyValue(f.type()));
        Map<?, ?> out = (Map<?, ?>) Marshal.toRpc(new XType.RecordType("probe_result"), rec);
        for (FieldDef f : cls.wireFields()) {
            assertEquals(!(f.type() instanceof XType.OptionType), out.containsKey(f.name()), f.name());
        }
    }

    @Test
    void optionOutsideRecordsAndBase64() {
        XType opt = new XType.OptionType(XType.INT);
        assertEquals(List.of(), Marshal.toRpc(opt, null));
        assertEquals(List.of(3L), Marshal.toRpc(opt, 3L));
        assertEquals(
                "<value><base64>eA==</base64></value>", XmlRpcWriter.toString("x".getBytes(StandardCharsets.UTF_8)));
    }
}
