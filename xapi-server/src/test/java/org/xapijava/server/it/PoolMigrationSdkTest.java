package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Event;
import com.xensource.xenapi.EventBatch;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Xenops;

/**
 * Live migration, host disable/enable and evacuation on a pool of two in-process hosts (master on 127.0.0.2, member
 * on 127.0.0.3, each with its own xenopsd simulator), driven with the Citrix SDK through the master only. After
 * each move the database is checked against both simulators: the VM runs in exactly one, and {@code resident_on}
 * and {@code domid} name that one.
 */
class PoolMigrationSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static TwoHostPool pool;
    static TestHost master;
    static TestHost member;
    static Connection c;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(dirA, dirB);
        master = pool.master();
        member = pool.member();
        c = LifecycleSupport.login(master);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    /** Every test leaves both hosts enabled and every VM it started shut down. */
    @AfterEach
    void tidy() throws Exception {
        hostA().enable(c);
        hostB().enable(c);
        for (VM vm : VM.getAll(c)) {
            VM.Record r = vm.getRecord(c);
            if (!r.isControlDomain && !r.isATemplate && r.powerState == Types.VmPowerState.RUNNING) vm.hardShutdown(c);
        }
    }

    private static Host hostA() {
        return Types.toHost(master.server.services().hostRef());
    }

    private static Host hostB() {
        return Types.toHost(member.server.services().hostRef());
    }

    private static Xenops xenops(TestHost h) {
        return h.server.xenops().xenops();
    }

    /** The VM runs on {@code on} only, and the database says so (resident_on, domid, power state, no marks). */
    private static void assertRunsOn(VM vm, TestHost on, TestHost off) throws Exception {
        VM.Record r = vm.getRecord(c);
        String uuid = r.uuid;
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(on.server.services().hostRef(), r.residentOn.toWireString(), "resident_on");
        assertTrue(xenops(on).vmExists("test", uuid), "the destination's xenopsd runs it");
        assertFalse(xenops(off).vmExists("test", uuid), "the other xenopsd no longer has it");
        var st = xenops(on).vmStat("test", uuid).state();
        assertEquals(PowerState.Running, st.powerState(), "running, not left paused");
        assertEquals(st.domids().getFirst().longValue(), r.domid, "domid is the destination's");
        assertTrue(r.currentOperations.isEmpty(), "nothing left marked: " + r.currentOperations);
        assertEquals(
                "OpaqueRef:NULL",
                master.server
                        .services()
                        .db()
                        .snapshot()
                        .get(vm.toWireString(), org.xapijava.model.api.VM.SCHEDULED_TO_BE_RESIDENT_ON),
                "no reservation left");
        assertTrue(hostA().getCurrentOperations(c).isEmpty(), "master host unmarked");
        assertTrue(hostB().getCurrentOperations(c).isEmpty(), "member host unmarked");
    }

    /** The project's typed client on the master, with the SDK's session (for the parameters SDK 8.1 lacks). */
    private static org.xapijava.model.client.XenApi api() throws Exception {
        return new org.xapijava.model.client.XenApi(
                org.xapijava.server.client.XmlRpcTransport.tcp(
                        LifecycleSupport.url(master).toURI(), null, Duration.ofMinutes(1)),
                c.getSessionReference());
    }

    private static VM runningOn(String name, Host h) throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, name);
        vm.startOn(c, h, false, false);
        return vm;
    }

    @Test
    void aVmMigratesFromTheMemberToTheMasterAndBack() throws Exception {
        VM vm = runningOn("mig-a", hostB());
        assertRunsOn(vm, member, master);
        EventBatch before = Event.from(c, Set.of("vm"), "", 0.0);

        vm.poolMigrate(c, hostA(), Map.of("live", "true"));
        assertRunsOn(vm, master, member);
        // the change of host reached event clients
        EventBatch after = Event.from(c, Set.of("vm"), before.token, 0.0);
        assertTrue(
                after.events.stream().anyMatch(e -> vm.toWireString().equals(e.ref)),
                "an event for the VM after its migration");

        vm.poolMigrate(c, hostB(), Map.of());
        assertRunsOn(vm, member, master);
        String uuid = vm.getUuid(c);
        // the migration is reported as Xapi reports it
        assertTrue(
                com.xensource.xenapi.Message.getAllRecords(c).values().stream()
                        .anyMatch(m -> m.name.equals("VM_MIGRATED") && m.objUuid.equals(uuid)),
                "a VM_MIGRATED message");
        vm.cleanShutdown(c);
        assertFalse(xenops(member).vmExists("test", vm.getUuid(c)));
    }

    @Test
    void aMigrationOverANamedNetworkUsesTheDestinationsAddressThere() throws Exception {
        VM vm = runningOn("mig-net", hostA());
        com.xensource.xenapi.PIF management = null;
        for (com.xensource.xenapi.PIF p : hostB().getPIFs(c)) if (p.getManagement(c)) management = p;
        String network = management.getNetwork(c).toWireString();
        vm.poolMigrate(c, hostB(), Map.of("network", network));
        assertRunsOn(vm, member, master);
        // a network the destination has no PIF on
        com.xensource.xenapi.Network.Record nr = new com.xensource.xenapi.Network.Record();
        nr.nameLabel = "no PIFs";
        nr.nameDescription = "";
        nr.MTU = 1500L;
        nr.otherConfig = new java.util.HashMap<>();
        nr.tags = new java.util.HashSet<>();
        com.xensource.xenapi.Network bare = com.xensource.xenapi.Network.create(c, nr);
        Types.PifNotPresent e = assertThrows(
                Types.PifNotPresent.class, () -> vm.poolMigrate(c, hostA(), Map.of("network", bare.toWireString())));
        assertEquals(hostA().toWireString(), e.host);
        assertRunsOn(vm, member, master);
    }

    @Test
    void aMigrationToTheHostItIsOnMovesItToANewDomain() throws Exception {
        VM vm = runningOn("mig-local", hostA());
        long domid = vm.getDomid(c);
        vm.poolMigrate(c, hostA(), Map.of());
        assertRunsOn(vm, master, member);
        assertNotEquals(domid, vm.getDomid(c), "a new domain");
    }

    @Test
    void badInputsGetXapisErrorsAndChangeNothing() throws Exception {
        VM halted = LifecycleSupport.newVm(master, c, "mig-halted");
        Types.VmBadPowerState e =
                assertThrows(Types.VmBadPowerState.class, () -> halted.poolMigrate(c, hostB(), Map.of()));
        assertEquals("running", e.expected.toLowerCase());
        assertEquals(Types.VmPowerState.HALTED, halted.getPowerState(c));
        assertTrue(halted.getCurrentOperations(c).isEmpty());

        VM vm = runningOn("mig-bad", hostA());
        hostB().disable(c);
        Types.HostDisabled d = assertThrows(Types.HostDisabled.class, () -> vm.poolMigrate(c, hostB(), Map.of()));
        assertEquals(hostB().toWireString(), d.host);
        assertRunsOn(vm, master, member);

        // a destination that is not live: HOST_NOT_LIVE (the start checks); a source that is not: HOST_OFFLINE
        Database live = master.server.services().db();
        String metricsB = live.snapshot().get(hostB().toWireString(), org.xapijava.model.api.Host.METRICS);
        hostB().enable(c);
        live.set(metricsB, HostMetrics.LIVE, false);
        try {
            assertThrows(Types.HostNotLive.class, () -> vm.poolMigrate(c, hostB(), Map.of()));
        } finally {
            live.set(metricsB, HostMetrics.LIVE, true);
        }
        // the source (a member) is not live: HOST_OFFLINE, from the forwarding to it
        vm.poolMigrate(c, hostB(), Map.of());
        live.set(metricsB, HostMetrics.LIVE, false);
        try {
            Types.HostOffline o = assertThrows(Types.HostOffline.class, () -> vm.poolMigrate(c, hostA(), Map.of()));
            assertEquals(hostB().toWireString(), o.host);
        } finally {
            live.set(metricsB, HostMetrics.LIVE, true);
        }
        assertRunsOn(vm, member, master);
        vm.poolMigrate(c, hostA(), Map.of());
        assertRunsOn(vm, master, member);

        // a destination without the VM's storage: VM_REQUIRES_SR, from the start checks
        hostB().enable(c);
        SR local = masterLocalSr();
        VM withDisk = LifecycleSupport.newVm(master, c, "mig-disk");
        LifecycleSupport.attachDisk(c, withDisk, local, "1", 4L << 20);
        withDisk.startOn(c, hostA(), false, false);
        Types.VmRequiresSr s = assertThrows(Types.VmRequiresSr.class, () -> withDisk.poolMigrate(c, hostB(), Map.of()));
        assertEquals(local.toWireString(), s.sr);
        assertRunsOn(withDisk, master, member);

        // not enough memory on the destination: HOST_NOT_ENOUGH_FREE_MEMORY
        Database db = master.server.services().db();
        String metrics = db.snapshot().get(hostB().toWireString(), org.xapijava.model.api.Host.METRICS);
        long total = db.snapshot().get(metrics, HostMetrics.MEMORY_TOTAL);
        db.set(metrics, HostMetrics.MEMORY_TOTAL, 64L << 20);
        try {
            assertThrows(Types.HostNotEnoughFreeMemory.class, () -> vm.poolMigrate(c, hostB(), Map.of()));
        } finally {
            db.set(metrics, HostMetrics.MEMORY_TOTAL, total);
        }
        assertRunsOn(vm, master, member);
    }

    /** The master's own SR for user disks (not shared, plugged on the master only). */
    private static SR masterLocalSr() throws Exception {
        for (Map.Entry<SR, SR.Record> e : SR.getAllRecords(c).entrySet()) {
            SR.Record r = e.getValue();
            if (r.shared || r.PBDs.size() != 1 || !r.contentType.equals("user")) continue;
            if (r.PBDs.iterator().next().getHost(c).equals(hostA())) return e.getKey();
        }
        throw new AssertionError("no local SR on the master");
    }

    @Test
    void aDestinationThatRefusesLeavesTheVmRunningWhereItWas() throws Exception {
        VM vm = runningOn("mig-refused", hostA());
        xenops(member).debugTrigger("test", "refuse-migration", List.of("on"));
        try {
            assertThrows(Types.XenAPIException.class, () -> vm.poolMigrate(c, hostB(), Map.of()));
        } finally {
            xenops(member).debugTrigger("test", "refuse-migration", List.of("off"));
        }
        assertRunsOn(vm, master, member);
        // and it can go once the destination takes it
        vm.poolMigrate(c, hostB(), Map.of());
        assertRunsOn(vm, member, master);
    }

    @Test
    void aDestinationWhoseXenopsdIsDownLeavesTheVmRunningWhereItWas() throws Exception {
        VM vm = runningOn("mig-dead", hostA());
        var embedded = member.server.embeddedXenopsd();
        long connections = member.server.xenops().connections();
        embedded.stop();
        try {
            assertThrows(Types.XenAPIException.class, () -> vm.poolMigrate(c, hostB(), Map.of()));
            VM.Record r = vm.getRecord(c);
            assertEquals(Types.VmPowerState.RUNNING, r.powerState);
            assertEquals(hostA(), r.residentOn);
            assertTrue(r.currentOperations.isEmpty());
            assertTrue(xenops(master).vmExists("test", r.uuid));
            assertEquals(
                    PowerState.Running,
                    xenops(master).vmStat("test", r.uuid).state().powerState());
        } finally {
            embedded.start();
            assertTrue(member.server.xenops().awaitConnections(connections, Duration.ofSeconds(30)));
        }
        assertRunsOn(vm, master, member);
    }

    @Test
    void aDestinationXenopsdThatDiesWhileReceivingLeavesTheVmRunningWhereItWas() throws Exception {
        VM vm = runningOn("mig-dies", hostA());
        String uuid = vm.getUuid(c);
        var embedded = member.server.embeddedXenopsd();
        long connections = member.server.xenops().connections();
        xenops(member).debugTrigger("test", "set-delay", List.of("VM_build", "3000"));
        com.xensource.xenapi.Task task = vm.poolMigrateAsync(c, hostB(), Map.of());
        try {
            // the member's xenopsd has the VM's metadata and is building its domain: it dies now
            LifecycleSupport.await(
                    master, "the member receives the VM", () -> xenops(member).vmExists("test", uuid));
            embedded.stop();
            var done = LifecycleSupport.awaitTask(master, c, task, Duration.ofSeconds(60));
            assertEquals(Types.TaskStatusType.FAILURE, done.status, "" + done.errorInfo);
            VM.Record r = vm.getRecord(c);
            assertEquals(Types.VmPowerState.RUNNING, r.powerState);
            assertEquals(hostA(), r.residentOn);
            assertTrue(r.currentOperations.isEmpty(), "" + r.currentOperations);
            assertEquals(
                    PowerState.Running,
                    xenops(master).vmStat("test", uuid).state().powerState());
        } finally {
            embedded.start();
            assertTrue(member.server.xenops().awaitConnections(connections, Duration.ofSeconds(30)));
            xenops(member).debugTrigger("test", "set-delay", List.of("VM_build", "0"));
        }
        // the member's xenopsd, back, drops the half-received VM (it is resident elsewhere)
        assertRunsOn(vm, master, member);
        vm.poolMigrate(c, hostB(), Map.of());
        assertRunsOn(vm, member, master);
    }

    @Test
    void aDisabledHostTakesNoNewVmAndMayBeRebooted() throws Exception {
        hostB().disable(c);
        assertFalse(hostB().getEnabled(c));
        Set<Types.HostAllowedOperations> ops = hostB().getAllowedOperations(c);
        assertTrue(ops.contains(Types.HostAllowedOperations.REBOOT), "a disabled host may be rebooted: " + ops);
        VM vm = LifecycleSupport.newVm(master, c, "on-disabled");
        Types.HostDisabled e = assertThrows(Types.HostDisabled.class, () -> vm.startOn(c, hostB(), false, false));
        assertEquals(hostB().toWireString(), e.host);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        hostB().disable(c); // again: nothing changes
        assertFalse(hostB().getEnabled(c));
        hostB().enable(c);
        assertTrue(hostB().getEnabled(c));
        assertFalse(hostB().getAllowedOperations(c).contains(Types.HostAllowedOperations.REBOOT));
        vm.startOn(c, hostB(), false, false);
        assertRunsOn(vm, member, master);
    }

    @Test
    void evacuationMovesEveryVmOffTheHostInBatches() throws Exception {
        List<VM> vms = new ArrayList<>();
        for (int i = 0; i < 3; i++) vms.add(runningOn("evac-" + i, hostB()));
        assertTrue(hostB().getVmsWhichPreventEvacuation(c).isEmpty());
        hostB().assertCanEvacuate(c);
        api().host().evacuate(hostB().toWireString(), "OpaqueRef:NULL", 2L);
        for (VM vm : vms) assertRunsOn(vm, master, member);
        assertTrue(xenops(member).vmList("test").isEmpty(), "the member's xenopsd runs nothing");
    }

    @Test
    void whatPreventsAnEvacuationIsReportedAndNothingMoves() throws Exception {
        VM movable = runningOn("evac-ok", hostA());
        VM blocked = runningOn("evac-blocked", hostA());
        blocked.setBlockedOperations(c, Map.of(Types.VmOperations.POOL_MIGRATE, "kept here"));
        SR local = masterLocalSr();
        VM withDisk = LifecycleSupport.newVm(master, c, "evac-disk");
        LifecycleSupport.attachDisk(c, withDisk, local, "1", 4L << 20);
        withDisk.startOn(c, hostA(), false, false);

        Map<VM, Set<String>> why = hostA().getVmsWhichPreventEvacuation(c);
        assertEquals(Set.of(blocked, withDisk), why.keySet());
        assertTrue(why.get(blocked).contains("OPERATION_BLOCKED"), "" + why.get(blocked));
        assertTrue(why.get(withDisk).contains("VM_REQUIRES_SR"), "" + why.get(withDisk));
        Types.CannotEvacuateHost e = assertThrows(Types.CannotEvacuateHost.class, () -> hostA().assertCanEvacuate(c));
        assertTrue(e.errors.contains("VM_REQUIRES_SR," + withDisk.toWireString()), e.errors);
        assertThrows(Types.XenAPIException.class, () -> hostA().evacuate(c));
        for (VM vm : List.of(movable, blocked, withDisk)) assertRunsOn(vm, master, member);
        blocked.setBlockedOperations(c, Map.of());
        withDisk.hardShutdown(c);

        // no other enabled host: NO_HOSTS_AVAILABLE for each VM
        hostB().disable(c);
        why = hostA().getVmsWhichPreventEvacuation(c);
        assertEquals(List.of("NO_HOSTS_AVAILABLE", movable.toWireString()), List.copyOf(why.get(movable)));
        assertThrows(Types.NoHostsAvailable.class, () -> hostA().evacuate(c));
        hostB().enable(c);

        // no room: HOST_NOT_ENOUGH_FREE_MEMORY
        Database db = master.server.services().db();
        String metrics = db.snapshot().get(hostB().toWireString(), org.xapijava.model.api.Host.METRICS);
        long total = db.snapshot().get(metrics, HostMetrics.MEMORY_TOTAL);
        db.set(metrics, HostMetrics.MEMORY_TOTAL, 64L << 20);
        try {
            why = hostA().getVmsWhichPreventEvacuation(c);
            assertTrue(why.get(movable).contains("HOST_NOT_ENOUGH_FREE_MEMORY"), "" + why);
            // Xapi's evacuation error names the VM only (no needed/available): read it with our client
            org.xapijava.model.errors.ApiError err = assertThrows(
                    org.xapijava.model.errors.ApiError.class,
                    () -> api().host().evacuate(hostA().toWireString(), "OpaqueRef:NULL", 0L));
            assertEquals("HOST_NOT_ENOUGH_FREE_MEMORY", err.code());
            assertEquals(1, err.params().size());
        } finally {
            db.set(metrics, HostMetrics.MEMORY_TOTAL, total);
        }
        for (VM vm : List.of(movable, blocked)) assertRunsOn(vm, master, member);
    }
}
