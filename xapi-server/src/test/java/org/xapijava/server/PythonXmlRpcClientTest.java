package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python's xmlrpc.client used the way XenAPI.py uses it (4-parameter login, every class's
 * get_all_records from system.listMethods, event.from, an Async call followed through task events,
 * a Failure with Xapi's error description).
 */
class PythonXmlRpcClientTest {
    @TempDir
    Path dir;

    @Test
    void xenApiPyStyleClient() throws Exception {
        Path script = dir.resolve("xenapi_client.py");
        try (InputStream in = getClass().getResourceAsStream("/py/xenapi_client.py")) {
            Files.copy(in, script);
        }
        try (TestHost h = TestHost.start(dir.resolve("host"))) {
            Process p = new ProcessBuilder(List.of(
                            "python3",
                            script.toString(),
                            "http://127.0.0.1:" + h.server.httpPort() + "/",
                            "root",
                            h.server.rootPassword()))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            JsonNode r = new ObjectMapper()
                    .readTree(out.strip().lines().reduce((a, b) -> b).orElse(""));
            assertTrue(r.path("classes").asInt() > 50, out);
            assertTrue(r.path("vms").asInt() >= 19, out); // templates + control domain
            assertEquals(1, r.path("pools").asInt());
            assertEquals(
                    h.server.services().dm().apiVersionMajor() + "."
                            + h.server.services().dm().apiVersionMinor(),
                    r.path("api").asText());
            assertEquals(1, r.path("eventsFromEmptyToken").asInt());
            assertEquals(2, r.path("tokenParts").asInt());
            assertEquals("success", r.path("taskStatus").asText());
            assertTrue(r.path("taskResult").asText().matches("<value>OpaqueRef:[0-9a-f-]+</value>"), out);
            assertEquals(
                    "[\"HANDLE_INVALID\",\"VM\",\"OpaqueRef:nope\"]",
                    r.path("error").toString());
        }
    }
}
