package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.HostMetrics;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool of three hosts, each a host of its own in this JVM (own data directory, own xenopsd simulator, own address
 * on the pool's port) that reaches its master only over the wire, driven by the Citrix SDK: members join with
 * {@code pool.join}, answer clients {@code HOST_IS_SLAVE}, run what the master forwards on the master's database (their
 * replica of it and their writes to it), heartbeat; a dead member goes offline; a dead master leaves its members in
 * emergency mode until one of them is made master on its copy of the pool's database. The tests run in order: each
 * builds on the pool the previous one left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path dirC;

    static PoolHost a;
    static PoolHost b;
    static PoolHost c;
    static Connection master;

    @BeforeAll
    static void start() throws Exception {
        int port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        c = PoolHost.start(dirC, "127.0.0.4", port);
        master = login(a);
    }

    @AfterAll
    static void stop() throws Exception {
        for (PoolHost h : new PoolHost[] {c, b, a}) {
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

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting: " + what);
            Thread.sleep(100);
        }
    }

    static Set<String> addresses(Connection conn) throws Exception {
        return Host.getAllRecords(conn).values().stream().map(r -> r.address).collect(Collectors.toSet());
    }

    static boolean allEnabledAndLive(Connection conn, int n) {
        try {
            var hosts = Host.getAllRecords(conn);
            if (hosts.size() != n) return false;
            for (Host.Record r : hosts.values()) {
                if (!r.enabled || !r.metrics.getLive(conn)) return false;
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    @Order(1)
    void joinWithAWrongPasswordIsRefusedAndChangesNothing() throws Exception {
        Connection cb = login(b);
        Types.SessionAuthenticationFailed e = assertThrows(
                Types.SessionAuthenticationFailed.class, () -> Pool.join(cb, "127.0.0.2", "root", "wrong"));
        assertEquals(1, Host.getAll(master).size());
        assertEquals(1, Host.getAll(cb).size(), "the joiner is still its own pool");
        Types.OperationNotAllowed self =
                assertThrows(Types.OperationNotAllowed.class, () -> Pool.join(cb, "127.0.0.3", "root", b.password()));
        assertEquals("Host cannot become slave of itself", self.reason);
    }

    @Test
    @Order(2)
    void twoHostsJoinTheFirst() throws Exception {
        Pool.join(login(b), "127.0.0.2", "root", a.password());
        Pool.join(login(c), "127.0.0.2", "root", a.password());
        await("three hosts enabled and live", () -> allEnabledAndLive(master, 3));
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), addresses(master));
        Pool pool = Pool.getAll(master).iterator().next();
        assertEquals("127.0.0.2", pool.getMaster(master).getAddress(master));
        await("the members restarted as members", () -> b.starts() >= 2 && c.starts() >= 2);
        assertTrue(b.server().role().isSlave() && c.server().role().isSlave());
    }

    @Test
    @Order(3)
    void membersAnswerOrdinaryClientsHostIsSlave() throws Exception {
        Connection cb = new Connection(b.url());
        Types.HostIsSlave e = assertThrows(
                Types.HostIsSlave.class,
                () -> Session.loginWithPassword(
                        cb, "root", a.password(), APIVersion.latest().toString()));
        assertEquals("127.0.0.2", e.masterIPAddress);
        String json = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(b.url().toURI().resolve("/jsonrpc"))
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                        "{\"jsonrpc\":\"2.0\",\"method\":\"session.login_with_password\","
                                                + "\"params\":[\"root\",\"x\"],\"id\":1}"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        assertTrue(json.contains("HOST_IS_SLAVE") && json.contains("127.0.0.2"), json);
    }

    @Test
    @Order(4)
    void aVmStartedOnAMemberRunsThereAndTheMasterSeesItsState() throws Exception {
        VM vm = newVm("on-b");
        Host hb = hostAt(master, "127.0.0.3");
        vm.startOn(master, hb, false, false);
        VM.Record r = vm.getRecord(master);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hb, r.residentOn);
        assertTrue(r.currentOperations.isEmpty());
        String uuid = r.uuid;
        assertTrue(b.server().xenops().xenops().vmExists("test", uuid), "the member's simulator runs it");
        assertFalse(a.server().xenops().xenops().vmExists("test", uuid));
        vm.hardShutdown(master);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(master));
        assertFalse(b.server().xenops().xenops().vmExists("test", uuid));
    }

    @Test
    @Order(5)
    void aMemberThatDiesGoesOfflineAndCallsForItFailHostOffline() throws Exception {
        Host hc = hostAt(master, "127.0.0.4");
        HostMetrics m = hc.getMetrics(master);
        c.kill();
        await("the dead member is not live", () -> {
            try {
                return !m.getLive(master);
            } catch (Exception e) {
                return false;
            }
        });
        VM vm = newVm("on-c");
        Types.HostOffline e = assertThrows(Types.HostOffline.class, () -> vm.startOn(master, hc, false, false));
        assertEquals(hc.toWireString(), e.host);
        assertTrue(vm.getCurrentOperations(master).isEmpty(), "nothing left marked");
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(master));
    }

    @Test
    @Order(6)
    void whenTheMasterDiesAMemberIsInEmergencyModeUntilItIsMadeMaster() throws Exception {
        VM kept = newVm("written-before-the-master-died");
        String keptUuid = kept.getUuid(master);
        long generation = a.server().services().db().generation();
        await(
                "the member holds the last write",
                () -> b.server().services() != null
                        && b.server().services().db().generation() >= generation);
        a.kill();
        await("the member is in emergency mode", () -> b.server().inEmergencyMode());
        Connection cb = new Connection(b.url());
        Types.HostStillBooting booting = assertThrows(
                Types.HostStillBooting.class,
                () -> Session.loginWithPassword(
                        cb, "root", a.password(), APIVersion.latest().toString()));
        Session.slaveLocalLoginWithPassword(cb, "root", b.password());
        try (var t = org.xapijava.server.client.XmlRpcTransport.tcp(b.url().toURI(), null, Duration.ofSeconds(10))) {
            var api = new org.xapijava.model.client.XenApi(t, cb.getSessionReference());
            assertTrue(api.host().isInEmergencyMode(), "host.is_in_emergency_mode");
        }
        int startsBefore = b.starts();
        Pool.emergencyTransitionToMaster(cb);
        await(
                "the member restarted as master",
                () -> b.starts() > startsBefore && !b.server().inEmergencyMode());
        Connection nb = login(b);
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), addresses(nb), "the pool's database");
        assertEquals(
                "written-before-the-master-died", VM.getByUuid(nb, keptUuid).getNameLabel(nb));
    }

    private static Host hostAt(Connection conn, String address) throws Exception {
        for (var e : Host.getAllRecords(conn).entrySet())
            if (e.getValue().address.equals(address)) return e.getKey();
        throw new AssertionError("no host at " + address);
    }

    private static VM newVm(String name) throws Exception {
        return LifecycleSupport.newVm(a.server(), master, name);
    }
}
