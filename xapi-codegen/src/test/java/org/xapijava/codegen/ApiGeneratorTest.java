package org.xapijava.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiGeneratorTest {
    private static final Path DATAMODEL = Path.of("../xapi-model/src/main/resources/org/xapijava/model/datamodel.json");

    @TempDir
    Path out;

    @Test
    void namesFollowJavaConventions() {
        assertEquals("vm", ApiGenerator.accessorName("VM"));
        assertEquals("vmMetrics", ApiGenerator.accessorName("VM_metrics"));
        assertEquals("hostCpu", ApiGenerator.accessorName("host_cpu"));
        assertEquals("pvsProxy", ApiGenerator.accessorName("PVS_proxy"));
        assertEquals("getNameLabel", ApiGenerator.methodName("get_name_label"));
        assertEquals("setVCPUsMax", ApiGenerator.methodName("set_VCPUs_max"));
        assertEquals("class_", ApiGenerator.methodName("class"));
        assertEquals("long", ApiGenerator.javaType("int", true));
        assertEquals("java.util.List<String>", ApiGenerator.javaType("enum vm_operations set", true));
        assertEquals("org.xapijava.model.api.enums.VmPowerState", ApiGenerator.javaType("enum vm_power_state", true));
        assertEquals(
                "java.util.Map<String, java.util.Map<String, Object>>",
                ApiGenerator.javaType("(VM ref -> VM record) map", true));
    }

    @Test
    void everyMessageOfEveryClassHasAServerMethodAndAClientMethod() throws Exception {
        ApiGenerator.main(new String[] {"server", DATAMODEL.toString(), out.toString()});
        ApiGenerator.main(new String[] {"client", DATAMODEL.toString(), out.toString()});
        JsonNode dm = new ObjectMapper().readTree(DATAMODEL.toFile());
        int checked = 0;
        for (JsonNode c : dm.path("classes")) {
            String jn = JavaGenerator.javaName(c.path("name").asText());
            Path server = out.resolve("org/xapijava/server/api/gen/" + jn + "Api.java");
            Path client = out.resolve("org/xapijava/model/client/" + jn + "Client.java");
            String s = Files.exists(server) ? Files.readString(server) : "";
            String k = Files.readString(client);
            for (JsonNode m : ApiGenerator.messagesOf(c)) {
                String wire = c.path("name").asText() + "." + m.path("name").asText();
                assertTrue(s.contains("table.bind(\"" + wire + "\""), wire + " has no server binding");
                assertTrue(k.contains("call(\"" + wire + "\""), wire + " has no client method");
                checked++;
            }
        }
        assertTrue(checked > 1900, checked + " messages");
        String vm = Files.readString(out.resolve("org/xapijava/server/api/gen/VMApi.java"));
        assertTrue(vm.contains("default void start(CallContext ctx, String vm, boolean startPaused, boolean force)"));
        assertTrue(vm.contains("default String clone(CallContext ctx, String vm, String newName)"));
        String host = Files.readString(out.resolve("org/xapijava/model/client/HostClient.java"));
        assertTrue(host.contains("public String getLog(String host)"), "host.get_log in the client");
    }
}
