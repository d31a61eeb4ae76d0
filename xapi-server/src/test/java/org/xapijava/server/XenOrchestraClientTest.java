package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Xen Orchestra's own client (npm {@code xen-api} 4.7.6, installed by {@code scripts/setup-test-system}
 * into {@code .test-deps/xo}) connects as xo-server does, over JSON-RPC and over XML-RPC: login,
 * {@code pool.get_all_records}, {@code system.listMethods}, the event loop ({@code event.inject},
 * every class's {@code get_all_records}, {@code event.from}), a barrier through pool events, an
 * async call followed through task events, and a typed error.
 */
class XenOrchestraClientTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static final Path XO = Path.of("..", ".test-deps", "xo").toAbsolutePath().normalize();

    @BeforeAll
    static void start() throws Exception {
        if (!Files.exists(XO.resolve("node_modules/xen-api/package.json"))) {
            throw new IllegalStateException(
                    "Xen Orchestra's client is missing in " + XO + ": run scripts/setup-test-system");
        }
        host = TestHost.start(dir);
        try (InputStream in = XenOrchestraClientTest.class.getResourceAsStream("/xo/xo-client.mjs")) {
            Files.copy(in, XO.resolve("xo-client.mjs"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"json-rpc", "xml-rpc"})
    void xenOrchestraConnectsWatchesAndCalls(String transport) throws Exception {
        Process p = new ProcessBuilder(List.of(
                        "node",
                        "xo-client.mjs",
                        "http://127.0.0.1:" + host.server.httpPort(),
                        "root",
                        host.server.rootPassword(),
                        transport))
                .directory(XO.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "client did not stop");
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        JsonNode r = new ObjectMapper().readTree(last);
        assertEquals(0, p.exitValue(), out);
        assertEquals("connected", r.path("connected").asText(), out);
        assertEquals(1, r.path("pools").asInt());
        assertEquals(1, r.path("hosts").asInt());
        assertTrue(r.path("templates").asInt() >= 6, out);
        assertTrue(r.path("barrier").asBoolean(), out);
        assertTrue(r.path("asyncResult").asText().startsWith("OpaqueRef:"), out);
        assertEquals("xo-net", r.path("asyncName").asText());
        assertEquals("HANDLE_INVALID", r.path("errorCode").asText());
        assertEquals("[\"VM\",\"OpaqueRef:nope\"]", r.path("errorParams").toString());
    }
}
