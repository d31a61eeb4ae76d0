package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.VM;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Xen Orchestra's own client (npm {@code xen-api}, as in {@code XenOrchestraClientTest}) connected to the master of
 * a pool of two hosts that reach each other only over the wire, over JSON-RPC and XML-RPC: it sees both hosts live,
 * and its object cache, which only {@code event.from} on the master fills, follows a VM that a member starts
 * ({@code VM.start_on}), that is migrated live from the member to the master and shut down.
 */
class PoolXenOrchestraTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static PoolHost a;
    static PoolHost b;
    static Connection master;
    static final Path XO = Path.of("..", ".test-deps", "xo").toAbsolutePath().normalize();

    @BeforeAll
    static void start() throws Exception {
        if (!Files.exists(XO.resolve("node_modules/xen-api/package.json"))) {
            throw new IllegalStateException(
                    "Xen Orchestra's client is missing in " + XO + ": run scripts/setup-test-system");
        }
        try (InputStream in = PoolXenOrchestraTest.class.getResourceAsStream("/xo/xo-pool.mjs")) {
            Files.copy(in, XO.resolve("xo-pool.mjs"), StandardCopyOption.REPLACE_EXISTING);
        }
        int port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        master = login(a);
        Pool.join(login(b), "127.0.0.2", "root", a.password());
        PoolHost.await("B restarted as a member", Duration.ofSeconds(60), () -> b.starts() >= 2);
        PoolHost.await("B enabled and live", Duration.ofSeconds(60), () -> {
            try {
                Host hb = hostAt("127.0.0.3");
                return hb.getEnabled(master) && hb.getMetrics(master).getLive(master);
            } catch (Exception e) {
                return false;
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        for (PoolHost h : new PoolHost[] {b, a}) {
            try {
                if (h != null) h.close();
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }

    static Connection login(PoolHost h) throws Exception {
        Connection conn = new Connection(h.url());
        Session.loginWithPassword(
                conn, "root", h.password(), APIVersion.latest().toString());
        return conn;
    }

    static Host hostAt(String address) throws Exception {
        for (var e : Host.getAllRecords(master).entrySet())
            if (e.getValue().address.equals(address)) return e.getKey();
        throw new AssertionError("no host at " + address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"json-rpc", "xml-rpc"})
    void xenOrchestraOnTheMasterFollowsWhatMembersDo(String transport) throws Exception {
        VM vm = LifecycleSupport.newVm(a.server(), master, "watched-by-xo-" + transport);
        String member = hostAt("127.0.0.3").toWireString();
        String masterRef = hostAt("127.0.0.2").toWireString();
        Process p = new ProcessBuilder(List.of(
                        "node",
                        "xo-pool.mjs",
                        a.url().toString(),
                        "root",
                        a.password(),
                        transport,
                        vm.toWireString(),
                        member,
                        masterRef))
                .directory(XO.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "client did not stop");
        String last = out.strip().lines().reduce((x, y) -> y).orElse("");
        System.out.println("xo-pool " + transport + ": " + last);
        JsonNode r = new ObjectMapper().readTree(last);
        assertEquals(0, p.exitValue(), out);
        assertEquals("connected", r.path("connected").asText(), out);
        assertEquals("[\"127.0.0.2\",\"127.0.0.3\"]", r.path("hosts").toString(), out);
        assertEquals(2, r.path("liveHosts").asInt(), out);
        JsonNode seen = r.path("seen");
        assertEquals(3, seen.size(), out);
        assertEquals("Running", seen.get(0).path("power_state").asText());
        assertEquals(member, seen.get(0).path("resident_on").asText());
        assertEquals("Running", seen.get(1).path("power_state").asText());
        assertEquals(masterRef, seen.get(1).path("resident_on").asText());
        assertEquals("Halted", seen.get(2).path("power_state").asText());
        assertEquals(com.xensource.xenapi.Types.VmPowerState.HALTED, vm.getPowerState(master));
    }
}
