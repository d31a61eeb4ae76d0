package org.xapijava.model.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.Qualifier;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;
import org.xapijava.model.xmlrpc.XmlRpcReader;

class UnmarshalTest {
    private static final Datamodel DM = Datamodel.get();

    private static Object un(String type, Object v) {
        return Unmarshal.fromRpc(XType.parse(type), v);
    }

    private static void internal(String expectedText, String type, Object v) {
        ApiError e = assertThrows(ApiError.class, () -> un(type, v));
        assertEquals("INTERNAL_ERROR", e.code());
        assertEquals(List.of(expectedText), e.params());
    }

    @Test
    void ints() {
        assertEquals(5L, un("int", 5L));
        assertEquals(5L, un("int", 5));
        assertEquals(67108864L, un("int", "67108864"));
        assertEquals(-3L, un("int", "-3"));
        assertEquals(16L, un("int", "0x10"));
        internal("Failure(\"Int64.of_string\")", "int", "12a");
        internal("Failure(\"Int64.of_string\")", "int", "");
        internal("Failure(\"Expected int64, got 'B(true)'\")", "int", true);
        internal("Failure(\"Expected int64, got 'F(1.5)'\")", "int", 1.5);
    }

    @Test
    void floats() {
        assertEquals(1.5, un("float", 1.5));
        assertEquals(2.0, un("float", 2L));
        assertEquals(60.1, un("float", "60.1"));
        internal("Failure(\"float_of_string\")", "float", "fast");
        internal("Failure(\"Expected float, got 'B(false)'\")", "float", false);
    }

    @Test
    void boolsOnlyFromBooleans() {
        assertEquals(true, un("bool", true));
        internal("Failure(\"Expected bool, got 'S(true)'\")", "bool", "true");
        internal("Failure(\"Expected bool, got 'I(1)'\")", "bool", 1L);
        internal("Failure(\"Expected bool, got 'N'\")", "bool", null);
    }

    @Test
    void stringsAndRefs() {
        assertEquals("x", un("string", "x"));
        assertEquals("", un("string", ""));
        internal("Failure(\"Expected string, got 'I(5)'\")", "string", 5L);
        internal("Failure(\"Expected string, got 'B64(hi)'\")", "string", "hi".getBytes(StandardCharsets.UTF_8));
        assertEquals("not-a-ref", un("VM ref", "not-a-ref"));
        assertEquals("OpaqueRef:NULL", un("VM ref", "OpaqueRef:NULL"));
        internal("Failure(\"Expected string, got '[]'\")", "VM ref", List.of());
    }

    @Test
    void enumsCaseInsensitive() {
        assertEquals("Halted", un("enum vm_power_state", "halted"));
        assertEquals("Halted", un("enum vm_power_state", "HALTED"));
        assertEquals("Running", un("enum vm_power_state", "Running"));
        internal("Failure(\"Unknown tag/contents\")", "enum vm_power_state", "Sleeping");
        internal("Failure(\"Unknown tag/contents\")", "enum vm_power_state", 1L);
        // Xapi's hand-written overrides match exactly.
        assertEquals("balance-slb", un("enum bond_mode", "balance-slb"));
        internal("Failure(\"Unmarshalling error in bond-mode\")", "enum bond_mode", "Balance-SLB");
        assertEquals("mod", un("enum event_operation", "mod"));
        internal("Failure(\"Unmarshalling error\")", "enum event_operation", "MOD");
    }

    @Test
    void datetimes() {
        DateTime t = new DateTime(LocalDateTime.of(2024, 3, 19, 4, 16, 24), ZoneOffset.UTC);
        assertEquals(t, un("datetime", t));
        assertEquals(t, un("datetime", "20240319T04:16:24Z"));
        assertEquals(t, un("datetime", "2024-03-19T04:16:24Z"));
        internal("Invalid argument: Clock__Date.of_iso8601: soon", "datetime", "soon");
        internal("Failure(\"Date.t_of_rpc\")", "datetime", 5L);
    }

    @Test
    void setsAndMaps() {
        assertEquals(List.of(1L, 2L), un("int set", List.of("1", 2L)));
        internal("Failure(\"Expecting Rpc.Enum, but found 'S(x)'\")", "string set", "x");
        assertEquals(Map.of("a", "b"), un("(string -> string) map", Map.of("a", "b")));
        internal("Failure(\"Expecting Rpc.Dict, but found '[]'\")", "(string -> string) map", List.of());
        Map<Object, Object> ints = new LinkedHashMap<>();
        ints.put(1L, 2.5);
        assertEquals(ints, un("(int -> float) map", Map.of("1", 2.5)));
        internal("Failure(\"Int64.of_string\")", "(int -> float) map", Map.of("one", 2.5));
        internal("Failure(\"Unmarshalling error\")", "(int -> int) map", List.of());
        assertEquals(
                Map.of("clean_shutdown", "reason"),
                un("(enum vm_operations -> string) map", Map.of("Clean_Shutdown", "reason")));
        assertEquals(
                Map.of("OpaqueRef:a", List.of("x")),
                un("(VM ref -> string set) map", Map.of("OpaqueRef:a", List.of("x"))));
    }

    @Test
    void options() {
        XType opt = new XType.OptionType(XType.STRING);
        assertNull(Unmarshal.fromRpc(opt, null));
        assertNull(Unmarshal.fromRpc(opt, List.of()));
        assertEquals("x", Unmarshal.fromRpc(opt, List.of("x")));
    }

    @Test
    void constructorRecordDefaultsAndMissingField() {
        ClassDef vm = DM.cls("VM");
        FieldDef firstWithoutDefault = vm.wireFields().stream()
                .filter(f -> (f.qualifier() == Qualifier.RW || f.qualifier() == Qualifier.STATIC_RO) && !f.hasDefault())
                .findFirst()
                .orElseThrow();
        ApiError e = assertThrows(ApiError.class, () -> Unmarshal.constructorRecord(vm, Map.of()));
        assertEquals(
                List.of("Server_helpers.Dispatcher_FieldNotFound(\"" + firstWithoutDefault.name() + "\")"), e.params());
        assertEquals("INTERNAL_ERROR", e.code());
        ApiError notStruct = assertThrows(ApiError.class, () -> Unmarshal.constructorRecord(vm, "x"));
        assertEquals(List.of("Failure(\"bad __structure\")"), notStruct.params());

        // A full struct as the Java SDK sends it: every field, ints as strings, junk in DynamicRO enums.
        Map<String, Object> struct = new HashMap<>();
        for (FieldDef f : vm.wireFields()) {
            Object empty = Marshal.toRpc(f.type(), DM.emptyValue(f.type()));
            struct.put(f.name(), empty instanceof Long l ? Long.toString(l) : empty);
        }
        FieldDef dynamicRo = vm.wireFields().stream()
                .filter(f -> f.qualifier() == Qualifier.DYNAMIC_RO)
                .findFirst()
                .orElseThrow();
        struct.put(dynamicRo.name(), List.of("junk")); // DynamicRO: never read by the constructor
        struct.put("name_label", "vm1");
        struct.put("memory_static_max", "67108864");
        struct.put("is_a_template", false);
        Map<String, Object> rec = Unmarshal.constructorRecord(vm, struct);
        assertEquals("vm1", rec.get("name_label"));
        assertEquals(67108864L, rec.get("memory_static_max"));
        assertEquals(false, rec.containsKey(dynamicRo.name()));
        List<String> order = new ArrayList<>(rec.keySet());
        List<String> expected = vm.wireFields().stream()
                .filter(f -> f.qualifier() != Qualifier.DYNAMIC_RO)
                .map(FieldDef::name)
                .toList();
        assertEquals(expected, order);
        // A wrong type inside the struct is the field's type error.
        struct.put("is_a_template", "false");
        ApiError typeErr = assertThrows(ApiError.class, () -> Unmarshal.constructorRecord(vm, struct));
        assertEquals(List.of("Failure(\"Expected bool, got 'S(false)'\")"), typeErr.params());
    }

    @Test
    void recordFromWireAndBack() throws Exception {
        ClassDef pool = DM.cls("pool");
        Map<String, Object> javaRec = new LinkedHashMap<>();
        for (FieldDef f : pool.wireFields())
            javaRec.put(f.name(), f.hasDefault() ? f.defaultValue() : DM.emptyValue(f.type()));
        javaRec.put("name_label", "my pool");
        Object rpc = Marshal.toRpc(new XType.RecordType("pool"), javaRec);
        // Through the wire: ints become strings, then parse back.
        Object wire = XmlRpcReader.RESPONSES
                .readResponse(org.xapijava.model.xmlrpc.XmlRpcWriter.success(rpc))
                .contents();
        @SuppressWarnings("unchecked")
        Map<String, Object> back = (Map<String, Object>) Unmarshal.fromRpc(new XType.RecordType("pool"), wire);
        assertEquals(javaRec, back);
        internal("Failure(\"Expected Dictionary\")", "pool record", "x");
        ApiError missing =
                assertThrows(ApiError.class, () -> Unmarshal.fromRpc(new XType.RecordType("pool"), Map.of()));
        assertEquals("INTERNAL_ERROR", missing.code());
        assertEquals(
                true,
                missing.params().get(0).startsWith("Failure(\"Field "),
                missing.params().get(0));
    }
}
