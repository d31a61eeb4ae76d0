package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.time.Duration;
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

    @BeforeAll
    static void start() throws Exception {
        org.xapijava.server.XoClient.requireInstalled();
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
    static void stop() {
        PoolHost.closeAll(b, a);
    }

    static Connection login(PoolHost h) throws Exception {
        return PoolHost.login(h);
    }

    static Host hostAt(String address) throws Exception {
        return PoolHost.hostAt(master, address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"json-rpc", "xml-rpc"})
    void xenOrchestraOnTheMasterFollowsWhatMembersDo(String transport) throws Exception {
        VM vm = LifecycleSupport.newVm(a.server(), master, "watched-by-xo-" + transport);
        String member = hostAt("127.0.0.3").toWireString();
        String masterRef = hostAt("127.0.0.2").toWireString();
        JsonNode r = org.xapijava.server.XoClient.run(
                "xo-pool.mjs",
                a.url().toString(),
                "root",
                a.password(),
                transport,
                vm.toWireString(),
                member,
                masterRef);
        String out = r.toString();
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
