package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.Xenops;

/**
 * The forwarding stage's remote arm: a master on 127.0.0.2 and a member on 127.0.0.3 of its pool (in this JVM, the
 * member on its replica of the master's database, each with its own xenopsd simulator: {@link TwoHostPool}). A client talks to the master only; the master
 * marks, then runs the call on the host the placement names, through XML-RPC with a pool session and the task
 * passed on, and a cancel of that task reaches the member's running operation.
 */
class PoolForwardingTest {
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

    private static String hostB() {
        return member.server.services().hostRef();
    }

    private static Xenops xenopsB() {
        return member.server.xenops().xenops();
    }

    private static Xenops xenopsA() {
        return master.server.xenops().xenops();
    }

    @Test
    void theMemberJoinsTheMastersPool() {
        Database db = master.server.services().db();
        assertNotEquals(master.server.services().hostRef(), hostB());
        assertEquals(2, db.snapshot().all(Host.XAPI_CLASS).size());
        String pool = master.server.services().poolRef();
        assertEquals(master.server.services().hostRef(), db.get("pool", pool, "master"));
        assertEquals("127.0.0.3", db.snapshot().get(hostB(), Host.ADDRESS));
    }

    @Test
    void theHypervisorConsoleOfEachHostIsItsOwn() throws Exception {
        com.xensource.xenapi.Host a =
                com.xensource.xenapi.Types.toHost(master.server.services().hostRef());
        com.xensource.xenapi.Host b = com.xensource.xenapi.Types.toHost(hostB());
        b.sendDebugKeys(c, "hq");
        String dmesgB = b.dmesg(c);
        assertTrue(dmesgB.startsWith("(XEN) Xen version"), dmesgB);
        assertTrue(
                dmesgB.endsWith("(XEN) 'h' pressed -> showing installed handlers\n"
                        + "(XEN) 'q' pressed -> dump domain (and guest debug) info\n"),
                dmesgB);
        assertFalse(a.dmesg(c).contains("pressed"), "the keys went to the member's hypervisor only");
        // as Xapi, which has neither: NOT_IMPLEMENTED with its own parameter
        RawConnection raw = new RawConnection(LifecycleSupport.url(master));
        assertEquals(
                List.of("NOT_IMPLEMENTED", "dmesg_clear"),
                raw.failure("host.dmesg_clear", c.getSessionReference(), hostB()));
        assertEquals(
                List.of("NOT_IMPLEMENTED", "get_log"), raw.failure("host.get_log", c.getSessionReference(), hostB()));
    }

    @Test
    void aStartOnTheMemberRunsThereAndItsShutdownIsForwardedToo() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "on-b");
        com.xensource.xenapi.Host b = com.xensource.xenapi.Types.toHost(hostB());
        vm.startOn(c, b, false, false);
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostB(), r.residentOn.toWireString());
        assertTrue(r.currentOperations.isEmpty(), "the master unmarked: " + r.currentOperations);
        // the member's recomputations of allowed operations were made on the master before the answer
        assertTrue(r.allowedOperations.contains(Types.VmOperations.CLEAN_SHUTDOWN), "" + r.allowedOperations);
        assertFalse(r.allowedOperations.contains(Types.VmOperations.START), "" + r.allowedOperations);
        String uuid = vm.getUuid(c);
        assertTrue(xenopsB().vmExists("test", uuid), "the member's xenopsd runs it");
        assertFalse(xenopsA().vmExists("test", uuid), "the master's does not");
        // the operation's alert is made by the master once the call returned (Xapi's create_vm_message in its
        // forwarding layer), once, naming the host that runs the VM
        assertEquals(
                List.of("VM 'on-b' (uuid: " + uuid + ") started on host: " + b.getNameLabel(c) + " (uuid: "
                        + b.getUuid(c) + ")"),
                messages("VM_STARTED", uuid));
        // so is a snapshot's, whichever host took it
        VM snap = vm.snapshot(c, "snap-on-b");
        assertEquals(
                List.of("VM 'on-b' (uuid: " + uuid + ") snapshotted, snapshot name: snap-on-b"),
                messages("VM_SNAPSHOTTED", uuid));

        // so is a checkpoint of a running VM: the member suspends and resumes its domain (Xapi's forward_vm_op)
        VM cp = vm.checkpoint(c, "cp-on-b");
        assertEquals(Types.VmPowerState.SUSPENDED, cp.getPowerState(c));
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        assertEquals(hostB(), vm.getResidentOn(c).toWireString());
        assertTrue(xenopsB().vmExists("test", uuid), "running on the member again");
        assertEquals(
                List.of("VM 'on-b' (uuid: " + uuid + ") checkpointed, snapshot name: cp-on-b"),
                messages("VM_CHECKPOINTED", uuid));

        // a VM operation on a running VM goes to the host it is resident on
        vm.cleanShutdown(c);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        assertTrue(vm.getAllowedOperations(c).contains(Types.VmOperations.START));
        assertFalse(xenopsB().vmExists("test", uuid));
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        // a revert's message is on the VM, naming the snapshot
        snap.revert(c);
        assertEquals(
                List.of("VM 'on-b' (uuid: " + uuid + ") reverted to snapshot: snap-on-b (uuid " + snap.getUuid(c)
                        + ")"),
                messages("VM_SNAPSHOT_REVERTED", uuid));
    }

    @Test
    void aStartOnAHostThatIsNotLiveIsRefusedByTheMasterBeforeAnyReservation() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "not-live");
        com.xensource.xenapi.Host b = Types.toHost(hostB());
        Database db = master.server.services().db();
        String metricsB = db.snapshot().get(hostB(), Host.METRICS);
        db.set(metricsB, HostMetrics.LIVE, false);
        try {
            // Xapi's reserve_memory_for_vm: assert_can_boot_here on the master, not a forward that finds it offline
            assertThrows(Types.HostNotLive.class, () -> vm.startOn(c, b, false, false));
            VM.Record r = vm.getRecord(c);
            assertEquals(Types.VmPowerState.HALTED, r.powerState);
            assertTrue(r.currentOperations.isEmpty(), "" + r.currentOperations);
            assertEquals("OpaqueRef:NULL", db.get("VM", vm.toWireString(), "scheduled_to_be_resident_on"));
            assertTrue(b.getCurrentOperations(c).isEmpty(), "no vm_start left on the host");
        } finally {
            db.set(metricsB, HostMetrics.LIVE, true);
        }
        // this test wrote the flag behind the pool's back: let the member's replica show it live again first
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!org.xapijava.server.xenops.BootChecks.isHostLive(
                        member.server.services().db().snapshot(), hostB())
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        vm.startOn(c, b, false, false);
        assertEquals(hostB(), vm.getResidentOn(c).toWireString());
        vm.hardShutdown(c);
    }

    /** The bodies of the messages {@code name} on the object {@code uuid}. */
    private static List<String> messages(String name, String uuid) throws Exception {
        List<String> bodies = new java.util.ArrayList<>();
        for (com.xensource.xenapi.Message.Record m :
                com.xensource.xenapi.Message.getAllRecords(c).values()) {
            if (m.name.equals(name) && m.objUuid.equals(uuid)) bodies.add(m.body);
        }
        return bodies;
    }

    @Test
    void aRunningVmsCdIsChangedOnItsHost() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "cd-on-b");
        vm.startOn(c, com.xensource.xenapi.Types.toHost(hostB()), false, false);
        com.xensource.xenapi.VBD cd = VbdCdSdkTest.cd(c, vm);
        com.xensource.xenapi.VDI iso = VbdCdSdkTest.iso(master, "b.iso");
        cd.insert(c, iso);
        org.xapijava.xenopsd.DeviceId id = new org.xapijava.xenopsd.DeviceId(vm.getUuid(c), cd.getDevice(c));
        assertEquals(
                org.xapijava.xenopsd.Disk.Vdi.of(iso.getSR(c).getUuid(c), "b.iso"),
                xenopsB().vbdStat("test", id).state().backendPresent(),
                "the member's xenopsd has the medium");
        assertEquals(iso, cd.getVDI(c));
        assertTrue(cd.getCurrentOperations(c).isEmpty(), "the master unmarked");
        cd.eject(c);
        assertEquals(null, xenopsB().vbdStat("test", id).state().backendPresent());
        assertTrue(cd.getEmpty(c));
        vm.hardShutdown(c);
    }

    @Test
    void aCancelOfTheMastersTaskReachesTheMembersOperation() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "slow-on-b");
        com.xensource.xenapi.Host b = com.xensource.xenapi.Types.toHost(hostB());
        xenopsB().debugTrigger("test", "set-delay", List.of("VM_build", "10000"));
        try {
            Task task = vm.startOnAsync(c, b, false, false);
            // the member runs the start under the master's task (a cancel that reaches it before it bound its
            // xenopsd task is passed on at binding)
            String uuid = vm.getUuid(c);
            LifecycleSupport.await(
                    master,
                    "the member's xenopsd builds the VM",
                    () -> xenopsB().vmExists("test", uuid));
            var s = master.server.services().db().snapshot();
            String t = task.toWireString();
            assertTrue(s.get(t, org.xapijava.model.api.Task.FORWARDED), "the task is marked forwarded");
            assertEquals(hostB(), s.get(t, org.xapijava.model.api.Task.FORWARDED_TO));
            assertEquals(hostB(), task.getResidentOn(c).toWireString());
            task.cancel(c); // asked of the master, forwarded to the member, which cancels its xenopsd task
            Task.Record done = LifecycleSupport.awaitTask(master, c, task);
            assertEquals(Types.TaskStatusType.CANCELLED, done.status, "error_info " + done.errorInfo);
            assertEquals("TASK_CANCELLED", done.errorInfo.iterator().next());
        } finally {
            xenopsB().debugTrigger("test", "set-delay", List.of("VM_build", "0"));
        }
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertTrue(r.currentOperations.isEmpty(), "nothing left marked: " + r.currentOperations);
        assertFalse(xenopsB().vmExists("test", vm.getUuid(c)));
    }

    @Test
    void anOfflineOrUnreachableHostIsNotCalled() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "b-goes-away");
        com.xensource.xenapi.Host b = com.xensource.xenapi.Types.toHost(hostB());
        vm.startOn(c, b, false, false);
        Database db = master.server.services().db();
        String metrics = db.snapshot().get(hostB(), Host.METRICS);
        db.set(metrics, HostMetrics.LIVE, false);
        try {
            Types.HostOffline e =
                    org.junit.jupiter.api.Assertions.assertThrows(Types.HostOffline.class, () -> vm.cleanShutdown(c));
            assertEquals(hostB(), e.host);
        } finally {
            db.set(metrics, HostMetrics.LIVE, true);
        }
        db.set(hostB(), Host.ADDRESS, "127.0.0.4"); // nobody answers there
        try {
            Types.CannotContactHost e = org.junit.jupiter.api.Assertions.assertThrows(
                    Types.CannotContactHost.class, () -> vm.cleanShutdown(c));
            assertEquals(hostB(), e.host);
        } finally {
            db.set(hostB(), Host.ADDRESS, "127.0.0.3");
        }
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c), "nothing happened to the VM");
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        vm.hardShutdown(c);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
    }
}
