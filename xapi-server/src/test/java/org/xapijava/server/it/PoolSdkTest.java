package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.HostMetrics;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.PIF;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
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
 * replica of it and their writes to it), heartbeat and write their backups of the pool's database; a member designated
 * master takes the pool over (two-phase commit) and the old master follows it; an ejected member comes back as a pool
 * of its own and joins again; a dead master leaves its members in emergency mode until one of them is made master on
 * its copy of the pool's database and recovers the others; a dead member goes offline. The tests run in order: each
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
    /** The pool's master: A, then B once designated, then A again once B died. */
    static PoolHost masterHost;

    @BeforeAll
    static void start() throws Exception {
        int port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        c = PoolHost.start(dirC, "127.0.0.4", port);
        master = login(a);
        masterHost = a;
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(c, b, a);
    }

    /** A root session on {@code h}, with the pool's password (A's: every host took it when it joined A's pool). */
    static Connection login(PoolHost h) throws Exception {
        return PoolHost.login(h, a.password());
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        PoolHost.await(what, Duration.ofSeconds(60), done);
    }

    static Set<String> addresses(Connection conn) throws Exception {
        return Host.getAllRecords(conn).values().stream().map(r -> r.address).collect(Collectors.toSet());
    }

    static boolean allEnabledAndLive(Connection conn, int n) {
        return PoolHost.allEnabledAndLive(conn, n);
    }

    @Test
    @Order(1)
    void joinWithAWrongPasswordIsRefusedAndChangesNothing() throws Exception {
        Connection cb = PoolHost.login(b); // B alone still: its own password
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
        Pool.join(PoolHost.login(b), "127.0.0.2", "root", a.password());
        Pool.join(PoolHost.login(c), "127.0.0.2", "root", a.password());
        await("the members restarted as members", () -> b.starts() >= 2 && c.starts() >= 2);
        await("three hosts enabled and live", () -> allEnabledAndLive(master, 3));
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), addresses(master));
        Pool pool = Pool.getAll(master).iterator().next();
        assertEquals("127.0.0.2", pool.getMaster(master).getAddress(master));
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
    void membersWriteTheirBackupEveryIntervalAndAtOnceOnSyncDatabase() throws Exception {
        Path backupB = dirB.resolve("state.db.backup");
        Path backupC = dirC.resolve("state.db.backup");
        await(
                "the master's periodic push wrote the members' backups",
                () -> Files.exists(backupB) && Files.exists(backupC));
        FileTime before = Files.getLastModifiedTime(backupC);
        await("the push runs again", () -> modifiedAfter(backupC, before));
        VM written = newVm("seen-in-the-backup");
        String uuid = written.getUuid(master);
        await(
                "the member's replica holds the write",
                () -> b.server().services().db().generation()
                        >= a.server().services().db().generation());
        Files.delete(backupB);
        Pool.syncDatabase(master);
        assertTrue(Files.readString(backupB).contains(uuid), "the backup holds the pool's last write");
        written.destroy(master);
    }

    @Test
    @Order(6)
    void aHostRefusesASecondProposalUntilTheFirstIsAborted() throws Exception {
        Connection cb = new Connection(b.url());
        Session.slaveLocalLoginWithPassword(cb, "root", a.password()); // the pool's, synced to B
        try (var t = org.xapijava.server.client.XmlRpcTransport.tcp(b.url().toURI(), null, Duration.ofSeconds(10))) {
            var api = new org.xapijava.model.client.XenApi(t, cb.getSessionReference());
            api.host().proposeNewMaster("192.0.2.1", true);
            api.host().proposeNewMaster("192.0.2.1", true); // the same proposal again: agreed
            org.xapijava.model.errors.ApiError e = assertThrows(
                    org.xapijava.model.errors.ApiError.class, () -> api.host().proposeNewMaster("192.0.2.2", true));
            assertEquals("HA_ABORT_NEW_MASTER", e.code());
            assertTrue(e.getMessage().contains("192.0.2.1"), e.getMessage());
            org.xapijava.model.errors.ApiError commit = assertThrows(
                    org.xapijava.model.errors.ApiError.class, () -> api.host().commitNewMaster("192.0.2.2"));
            assertEquals("HA_ABORT_NEW_MASTER", commit.code());
            api.host().abortNewMaster("192.0.2.1");
            api.host().proposeNewMaster("192.0.2.2", true);
            api.host().abortNewMaster("192.0.2.2");
        }
        assertTrue(b.server().role().isSlave(), "nothing committed");
    }

    @Test
    @Order(7)
    void aMemberDesignatedMasterTakesThePoolOverAndTheOthersFollowIt() throws Exception {
        VM kept = newVm("written-before-the-master-changed");
        String keptUuid = kept.getUuid(master);
        // a blob's data, on the old master only: Xapi's forwarding layer copies the blobs to the new master first
        com.xensource.xenapi.Blob notes = kept.createNewBlob(master, "notes", "text/plain", true);
        java.net.http.HttpResponse<String> put = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(a.url()
                                        .toURI()
                                        .resolve("/blob?ref=" + notes.toWireString() + "&session_id="
                                                + master.getSessionReference()))
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("kept across the change"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
        String notesUuid = notes.getUuid(master);
        int aStarts = a.starts(), bStarts = b.starts(), cStarts = c.starts();
        // C already agreed to another master: the proposal is aborted where it was accepted, nothing changes
        onLocalSession(c, api -> api.host().proposeNewMaster("192.0.2.9", true));
        Types.HaAbortNewMaster refused = assertThrows(
                Types.HaAbortNewMaster.class, () -> Pool.designateNewMaster(master, hostAt(master, "127.0.0.3")));
        assertTrue(refused.reason.contains("192.0.2.9"), refused.reason);
        onLocalSession(a, api -> api.host().proposeNewMaster("192.0.2.7", true)); // A's agreement was aborted
        onLocalSession(a, api -> api.host().abortNewMaster("192.0.2.7"));
        onLocalSession(c, api -> api.host().abortNewMaster("192.0.2.9"));
        assertEquals(List.of(aStarts, bStarts, cStarts), List.of(a.starts(), b.starts(), c.starts()), "no restart");
        assertTrue(a.server().role().isMaster() && b.server().role().isSlave());
        assertTrue(Pool.getAll(master)
                .iterator()
                .next()
                .getCurrentOperations(master)
                .isEmpty());

        Pool.designateNewMaster(master, hostAt(master, "127.0.0.3"));
        await(
                "B restarted as master, A and C as its members",
                () -> b.starts() > bStarts
                        && a.starts() > aStarts
                        && c.starts() > cStarts
                        && b.server().role().isMaster()
                        && a.server().role().equals(org.xapijava.server.pool.PoolRole.slave("127.0.0.3"))
                        && c.server().role().equals(org.xapijava.server.pool.PoolRole.slave("127.0.0.3")));
        masterHost = b;
        master = login(b);
        await("three hosts enabled and live on the new master", () -> allEnabledAndLive(master, 3));
        assertFalse(a.server().inEmergencyMode() || c.server().inEmergencyMode());
        Pool pool = Pool.getAll(master).iterator().next();
        assertEquals("127.0.0.3", pool.getMaster(master).getAddress(master));
        assertTrue(pool.getCurrentOperations(master).isEmpty(), "the old master's marking is not in the new database");
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), addresses(master));
        assertEquals(
                "written-before-the-master-changed",
                VM.getByUuid(master, keptUuid).getNameLabel(master));
        java.net.http.HttpResponse<String> read = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(b.url().toURI().resolve("/blob?uuid=" + notesUuid))
                                .GET()
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, read.statusCode(), "the public blob's data is on the new master");
        assertEquals("kept across the change", read.body());
        assertTrue(hostAt(master, "127.0.0.3").getOtherConfig(master).containsKey("last_blob_sync_time"));
        Types.HostIsSlave e = assertThrows(Types.HostIsSlave.class, () -> login(a));
        assertEquals("127.0.0.3", e.masterIPAddress);
        // the old master runs what the new one forwards
        VM vm = newVm("on-the-old-master");
        Host ha = hostAt(master, "127.0.0.2");
        vm.startOn(master, ha, false, false);
        assertTrue(a.server().xenops().xenops().vmExists("test", vm.getUuid(master)));
        vm.hardShutdown(master);
    }

    @Test
    @Order(8)
    void anEjectedHostComesBackAsAFreshPoolOfItsOwnAndCanJoinAgain() throws Exception {
        Types.InternalError self =
                assertThrows(Types.InternalError.class, () -> Pool.eject(master, hostAt(master, "127.0.0.3")));
        assertTrue(String.valueOf(self.message).contains("Cannot_eject_master"), self.message);
        Host hc = hostAt(master, "127.0.0.4");
        VM running = newVm("running-on-c");
        running.startOn(master, hc, false, false);
        Types.OperationNotAllowed busy = assertThrows(Types.OperationNotAllowed.class, () -> Pool.eject(master, hc));
        assertEquals("VM resident on host", busy.reason);
        assertEquals(3, Host.getAll(master).size(), "a refused eject changes nothing");
        running.hardShutdown(master);

        String uuid = hc.getUuid(master);
        String poolUuid = Pool.getAll(master).iterator().next().getUuid(master);
        int cStarts = c.starts();
        Pool.eject(master, hc);
        assertEquals(Set.of("127.0.0.2", "127.0.0.3"), addresses(master));
        for (PBD.Record r : PBD.getAllRecords(master).values()) assertFalse(r.host.equals(hc), "no PBD of C left");
        for (PIF.Record r : PIF.getAllRecords(master).values()) assertFalse(r.host.equals(hc), "no PIF of C left");
        for (VM.Record r : VM.getAllRecords(master).values())
            assertFalse(r.isControlDomain && r.residentOn.equals(hc), "no control domain of C left");
        await(
                "C restarted as a standalone host",
                () -> c.starts() > cStarts
                        && c.server().role().isMaster()
                        && c.server().services() != null);
        assertFalse(Files.exists(dirC.resolve("state.db.backup")), "no backup of the pool's database left");
        assertFalse(
                Files.readString(dirC.resolve("ptoken")).equals(Files.readString(dirB.resolve("ptoken"))),
                "a pool secret of its own");
        Connection cc = login(c);
        var hosts = Host.getAllRecords(cc);
        assertEquals(1, hosts.size(), "a pool of one");
        Host.Record me = hosts.values().iterator().next();
        assertEquals(uuid, me.uuid, "the inventory's host uuid is kept, as Xapi's");
        assertEquals("127.0.0.4", me.address);
        Pool own = Pool.getAll(cc).iterator().next();
        assertFalse(own.getUuid(cc).equals(poolUuid), "a new pool");
        assertEquals(hosts.keySet().iterator().next(), own.getMaster(cc));

        Pool.join(cc, "127.0.0.3", "root", a.password()); // B's, the pool's
        await("C is a member again", () -> allEnabledAndLive(master, 3));
        assertEquals(uuid, hostAt(master, "127.0.0.4").getUuid(master));
    }

    @Test
    @Order(9)
    void whenTheMasterDiesAMemberMadeMasterRecoversTheOthers() throws Exception {
        VM kept = newVm("written-before-the-master-died");
        String keptUuid = kept.getUuid(master);
        long generation = b.server().services().db().generation();
        await(
                "the members hold the last write",
                () -> a.server().services() != null
                        && a.server().services().db().generation() >= generation
                        && c.server().services() != null
                        && c.server().services().db().generation() >= generation);
        b.kill();
        await(
                "the members are in emergency mode",
                () -> a.server().inEmergencyMode() && c.server().inEmergencyMode());
        Connection ca = new Connection(a.url());
        assertThrows(
                Types.HostStillBooting.class,
                () -> Session.loginWithPassword(
                        ca, "root", a.password(), APIVersion.latest().toString()));
        Session.slaveLocalLoginWithPassword(ca, "root", a.password());
        try (var t = org.xapijava.server.client.XmlRpcTransport.tcp(a.url().toURI(), null, Duration.ofSeconds(10))) {
            var api = new org.xapijava.model.client.XenApi(t, ca.getSessionReference());
            assertTrue(api.host().isInEmergencyMode(), "host.is_in_emergency_mode");
        }
        int aStarts = a.starts(), cStarts = c.starts();
        Pool.emergencyTransitionToMaster(ca);
        await("A restarted as master", () -> a.starts() > aStarts && !a.server().inEmergencyMode());
        masterHost = a;
        master = login(a);
        assertEquals(Set.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), addresses(master), "the pool's database");
        assertEquals(
                "written-before-the-master-died", VM.getByUuid(master, keptUuid).getNameLabel(master));

        Host hc = hostAt(master, "127.0.0.4");
        assertEquals(Set.of(hc), Pool.recoverSlaves(master), "the hosts that answered: C, not the dead B");
        await(
                "C restarted as A's member",
                () -> c.starts() > cStarts
                        && !c.server().inEmergencyMode()
                        && c.server().role().equals(org.xapijava.server.pool.PoolRole.slave("127.0.0.2")));
        await("C enabled and live on A", () -> {
            try {
                return hc.getEnabled(master) && hc.getMetrics(master).getLive(master);
            } catch (Exception e) {
                return false;
            }
        });
        VM vm = newVm("on-c-after-recovery");
        vm.startOn(master, hc, false, false);
        assertTrue(c.server().xenops().xenops().vmExists("test", vm.getUuid(master)));
        vm.hardShutdown(master);
    }

    @Test
    @Order(10)
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
        // a start there is refused by the master's boot check before any reservation (Xapi's reserve_memory_for_vm)
        assertThrows(Types.HostNotLive.class, () -> vm.startOn(master, hc, false, false));
        assertTrue(vm.getCurrentOperations(master).isEmpty(), "nothing left marked");
        assertTrue(hc.getCurrentOperations(master).isEmpty(), "nothing reserved on it");
        // a call the master forwards to it fails HOST_OFFLINE
        assertEquals(hc.toWireString(), assertThrows(Types.HostOffline.class, () -> hc.dmesg(master)).host);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(master));
        // neither ejected nor made master while it is offline
        assertEquals(hc.toWireString(), assertThrows(Types.HostOffline.class, () -> Pool.eject(master, hc)).host);
        assertThrows(Types.HostOffline.class, () -> Pool.designateNewMaster(master, hc));
        assertEquals(3, Host.getAll(master).size());
        assertTrue(Pool.getAll(master)
                .iterator()
                .next()
                .getCurrentOperations(master)
                .isEmpty());
    }

    /**
     * Runs {@code calls} on {@code h} under a local session (slave_local_login_with_password, with the pool's root
     * password: A's, which every host took when it joined).
     */
    private static void onLocalSession(PoolHost h, java.util.function.Consumer<org.xapijava.model.client.XenApi> calls)
            throws Exception {
        Connection conn = new Connection(h.url());
        Session.slaveLocalLoginWithPassword(conn, "root", a.password());
        try (var t = org.xapijava.server.client.XmlRpcTransport.tcp(h.url().toURI(), null, Duration.ofSeconds(10))) {
            calls.accept(new org.xapijava.model.client.XenApi(t, conn.getSessionReference()));
        }
    }

    private static boolean modifiedAfter(Path p, FileTime t) {
        try {
            return Files.getLastModifiedTime(p).compareTo(t) > 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static Host hostAt(Connection conn, String address) throws Exception {
        return PoolHost.hostAt(conn, address);
    }

    private static VM newVm(String name) throws Exception {
        return LifecycleSupport.newVm(masterHost.server(), master, name);
    }
}
