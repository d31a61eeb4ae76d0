package org.xapijava.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Defaults as xenapi.json writes them (OCaml-flavoured) become typed JSON. */
class DatamodelImporterTest {
    @Test
    void convertsEveryDefaultNotation() {
        assertEquals("\"\"", DatamodelImporter.convertDefault("string", "\"\"").toString());
        assertEquals(
                "\"()\"", DatamodelImporter.convertDefault("string", "\"()\"").toString());
        assertEquals(
                "21474836480",
                DatamodelImporter.convertDefault("int", "21474836480").toString());
        assertEquals("1.0", DatamodelImporter.convertDefault("float", "1.").toString());
        assertEquals("-1.0", DatamodelImporter.convertDefault("float", "-1.").toString());
        assertEquals("true", DatamodelImporter.convertDefault("bool", "true").toString());
        assertEquals(
                "\"OpaqueRef:NULL\"",
                DatamodelImporter.convertDefault("VM ref", "Null").toString());
        assertEquals(
                "\"Halted\"",
                DatamodelImporter.convertDefault("enum vm_power_state", "Halted")
                        .toString());
        assertEquals("[]", DatamodelImporter.convertDefault("string set", "{}").toString());
        assertEquals(
                "[\"OpaqueRef:0165f154-ba3e-034e-6b27-5d271af109ba\"]",
                DatamodelImporter.convertDefault("role ref set", "{OpaqueRef:0165f154-ba3e-034e-6b27-5d271af109ba}")
                        .toString());
        assertEquals("[0]", DatamodelImporter.convertDefault("int set", "{0}").toString());
        assertEquals(
                "{\"address\":\"localhost\",\"port\":\"27000\"}",
                DatamodelImporter.convertDefault(
                                "(string -> string) map", "{\"address\" -> \"localhost\", \"port\" -> \"27000\"}")
                        .toString());
        assertEquals(
                "{}",
                DatamodelImporter.convertDefault("(string -> string) map", "{}").toString());
    }

    @Test
    void javaNames() {
        assertEquals("PoolUpdate", JavaGenerator.javaName("pool_update"));
        assertEquals("VMMetrics", JavaGenerator.javaName("VM_metrics"));
        assertEquals("Host", JavaGenerator.javaName("host"));
        assertEquals("BALANCE_SLB", JavaGenerator.constName("balance-slb"));
        assertEquals("_3DES", JavaGenerator.constName("3des"));
    }

    @Test
    void apiVersionIsCarriedAndRequired() throws Exception {
        ObjectMapper om = new ObjectMapper();
        var out = DatamodelImporter.apiVersion(om.readTree(
                "{\"major\":2,\"minor\":23,\"vendor\":\"XenSource\",\"vendorImplementation\":{},\"source\":\"x\"}"));
        assertEquals("{\"major\":2,\"minor\":23,\"vendor\":\"XenSource\",\"vendorImplementation\":{}}", out.toString());
        assertThrows(IllegalStateException.class, () -> DatamodelImporter.apiVersion(om.readTree("{}")));
    }
}
