package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.api.SM;
import org.xapijava.server.TestHost;

/**
 * {@code VM.checkpoint} and {@code VM.restart_device_models} through the Citrix SDK against a host with the embedded
 * xenopsd simulator: a running VM's memory goes into a suspend image kept with a Suspended snapshot while the VM runs
 * on in a new domain; a revert makes the VM Suspended from that memory and a resume runs it; paused and suspended
 * VMs; and Xapi's errors, each leaving everything as it was.
 */
class VmCheckpointSdkTest {
    private static final long MIB = 1L << 20;

    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static SR sr;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = LifecycleSupport.login(host);
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static List<String> fails(String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static VM vmWithDisk(String name) throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, name);
        LifecycleSupport.attachDisk(c, vm, sr, "0", 8 * MIB);
        return vm;
    }

    /** Every VM and VDI uuid: what a refused call must leave as it was. */
    private static Set<String> objects() throws Exception {
        Set<String> s = new LinkedHashSet<>();
        for (VM.Record r : VM.getAllRecords(c).values()) s.add("VM " + r.uuid);
        for (VDI.Record r : VDI.getAllRecords(c).values()) s.add("VDI " + r.uuid);
        return s;
    }

    private static long messages(String name, VM vm) throws Exception {
        String uuid = vm.getUuid(c);
        return com.xensource.xenapi.Message.getAllRecords(c).values().stream()
                .filter(m -> m.name.equals(name) && m.objUuid.equals(uuid))
                .count();
    }

    @Test
    void checkpointOfARunningVmKeepsItsMemoryAndTheVmRuns() throws Exception {
        VM vm = vmWithDisk("cp-running");
        vm.start(c, false, false);
        long domid = vm.getDomid(c);
        Host here = vm.getResidentOn(c);

        VM cp = vm.checkpoint(c, "cp1");

        VM.Record v = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, v.powerState, "the VM runs on");
        assertEquals(here, v.residentOn);
        assertNotEquals(domid, v.domid, "resumed into a new domain, as Xapi's slow resume");
        assertEquals("OpaqueRef:NULL", v.suspendVDI.toWireString(), "its own image is destroyed after the resume");
        assertTrue(v.currentOperations.isEmpty());
        assertEquals(cp, v.parent);
        assertTrue(v.snapshots.contains(cp));

        VM.Record s = cp.getRecord(c);
        assertTrue(s.isASnapshot);
        assertTrue(s.isATemplate);
        assertEquals(vm, s.snapshotOf);
        assertEquals("cp1", s.nameLabel);
        assertEquals(Types.VmPowerState.SUSPENDED, s.powerState);
        assertEquals(
                Map.of("disk-snapshot-type", "crash_consistent", "power-state-at-snapshot", "Running"), s.snapshotInfo);
        assertEquals("OpaqueRef:NULL", s.residentOn.toWireString());
        VDI.Record image = s.suspendVDI.getRecord(c);
        assertEquals(Types.VdiType.SUSPEND, image.type);
        assertTrue(image.isASnapshot, "the memory image is a snapshot of the VM's suspend image");
        int disks = 0;
        for (VBD vbd : s.VBDs) {
            if (vbd.getType(c) != Types.VbdType.DISK) continue;
            disks++;
            assertTrue(vbd.getVDI(c).getIsASnapshot(c));
        }
        assertEquals(1, disks);
        assertTrue(cp.getCurrentOperations(c).isEmpty());
        assertEquals(1, messages("VM_CHECKPOINTED", vm));
        assertEquals(0, messages("VM_SUSPENDED", vm), "the checkpoint's suspend is not a VM.suspend");

        // reverting to a checkpoint gives a Suspended VM with that memory, which resumes
        vm.addToOtherConfig(c, "after", "checkpoint");
        cp.revert(c);
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.SUSPENDED, r.powerState);
        assertTrue(!r.otherConfig.containsKey("after"), "the fields come back");
        VDI memory = r.suspendVDI;
        assertEquals(Types.VdiType.SUSPEND, memory.getType(c));
        assertNotEquals(s.suspendVDI, memory, "a clone: the checkpoint keeps its own image");
        vm.resume(c, false, false);
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        assertEquals(Types.VdiType.SUSPEND, s.suspendVDI.getType(c), "the checkpoint can be reverted to again");

        // a checkpoint of a checkpoint-reverted VM works again, and both go with the VM
        LifecycleSupport.await(
                host,
                "the resumed guest's agent reports it can suspend",
                () -> vm.getAllowedOperations(c).contains(Types.VmOperations.CHECKPOINT));
        VM cp2 = vm.checkpoint(c, "cp2");
        assertEquals(Types.VmPowerState.SUSPENDED, cp2.getPowerState(c));
        vm.hardShutdown(c);
        for (VM snap : List.of(cp, cp2)) { // as clients uninstall a snapshot: the VM, then its disks and memory
            List<VDI> vdis = new java.util.ArrayList<>();
            for (VBD vbd : snap.getVBDs(c)) {
                if (vbd.getType(c) == Types.VbdType.DISK) vdis.add(vbd.getVDI(c));
            }
            vdis.add(snap.getSuspendVDI(c));
            snap.destroy(c);
            for (VDI vdi : vdis) vdi.destroy(c);
        }
    }

    @Test
    void checkpointOfSuspendedAndPausedVms() throws Exception {
        VM vm = vmWithDisk("cp-suspended");
        vm.start(c, false, false);
        vm.suspend(c);
        VDI image = vm.getSuspendVDI(c);
        VM cp = vm.checkpoint(c, "of suspended");
        assertEquals(Types.VmPowerState.SUSPENDED, vm.getPowerState(c), "not resumed");
        assertEquals(image, vm.getSuspendVDI(c));
        VM.Record s = cp.getRecord(c);
        assertEquals(Types.VmPowerState.SUSPENDED, s.powerState);
        assertEquals(Map.of(), s.snapshotInfo, "Xapi gives no snapshot_info when it does not suspend");
        assertNotEquals(image, s.suspendVDI);
        assertEquals(Types.VdiType.SUSPEND, s.suspendVDI.getType(c));

        VM paused = vmWithDisk("cp-paused");
        paused.start(c, true, false);
        long domid = paused.getDomid(c);
        VM pcp = paused.checkpoint(c, "of paused");
        assertEquals(Types.VmPowerState.PAUSED, paused.getPowerState(c));
        assertEquals(domid, paused.getDomid(c), "a paused VM is not suspended");
        assertEquals(Types.VmPowerState.HALTED, pcp.getPowerState(c));
        assertEquals("OpaqueRef:NULL", pcp.getSuspendVDI(c).toWireString());
        assertEquals(Map.of(), pcp.getSnapshotInfo(c));
        paused.hardShutdown(c);
        vm.hardShutdown(c);
    }

    @Test
    void aRevertToACheckpointWhoseMemoryImageNoLiveHostSeesChangesNothing() throws Exception {
        VM vm = vmWithDisk("cp-unreachable");
        vm.start(c, false, false);
        VM cp = vm.checkpoint(c, "cp-u");
        vm.hardShutdown(c);
        vm.addToOtherConfig(c, "after", "checkpoint");
        // Xapi's check before a revert clears the VM's disks: the memory image's SR is plugged on a live host
        var db = host.server.services().db();
        String me = host.server.services().hostRef();
        String metrics = db.snapshot().get(me, org.xapijava.model.api.Host.METRICS);
        Set<String> before = objects();
        db.set(metrics, org.xapijava.model.api.HostMetrics.LIVE, false);
        try {
            assertEquals(List.of("HOST_NOT_LIVE", me), fails("VM.revert", cp.toWireString()));
        } finally {
            db.set(metrics, org.xapijava.model.api.HostMetrics.LIVE, true);
        }
        assertEquals(before, objects(), "no disk destroyed or cloned");
        assertEquals("checkpoint", vm.getOtherConfig(c).get("after"), "the VM's fields as they were");
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        cp.revert(c);
        assertEquals(Types.VmPowerState.SUSPENDED, vm.getPowerState(c));
        vm.hardShutdown(c);
    }

    @Test
    void refusedCheckpointsChangeNothing() throws Exception {
        VM vm = vmWithDisk("cp-refused");
        String ref = vm.toWireString();

        // halted: the lock plan's power-state check
        Set<String> before = objects();
        assertThrows(Types.VmBadPowerState.class, () -> vm.checkpoint(c, "x"));
        List<String> halted = fails("VM.checkpoint", ref, "x");
        assertEquals(List.of("VM_BAD_POWER_STATE", ref, "paused, suspended, running", "halted"), halted);
        assertEquals(before, objects());

        vm.start(c, false, false);
        long domid = vm.getDomid(c);
        Db data = host.server.services().data();

        // not licensed
        String pool = host.server.services().poolRef();
        Map<String, String> restrictions = new HashMap<>(data.get(pool, org.xapijava.model.api.Pool.RESTRICTIONS));
        Map<String, String> saved = new HashMap<>(restrictions);
        restrictions.put("restrict_checkpoint", "true");
        data.set(pool, org.xapijava.model.api.Pool.RESTRICTIONS, restrictions);
        try {
            before = objects();
            assertThrows(Types.LicenceRestriction.class, () -> vm.checkpoint(c, "x"));
            assertEquals(List.of("LICENCE_RESTRICTION", "Checkpoint"), fails("VM.checkpoint", ref, "x"));
            assertEquals(before, objects());
        } finally {
            data.set(pool, org.xapijava.model.api.Pool.RESTRICTIONS, saved);
        }

        // a disk in an SR whose driver cannot snapshot
        String type = sr.getType(c);
        String sm = data.where(SM.TYPE, type).getFirst();
        Map<String, Long> features = data.get(sm, SM.FEATURES);
        Map<String, Long> without = new HashMap<>(features);
        without.remove("VDI_SNAPSHOT");
        data.set(sm, SM.FEATURES, without);
        try {
            before = objects();
            assertEquals(List.of("SR_OPERATION_NOT_SUPPORTED", ref), fails("VM.checkpoint", ref, "x"));
            assertEquals(before, objects());
        } finally {
            data.set(sm, SM.FEATURES, features);
        }
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(domid, r.domid, "never suspended");
        assertEquals("OpaqueRef:NULL", r.suspendVDI.toWireString());
        assertTrue(r.currentOperations.isEmpty());
        assertEquals(0, messages("VM_CHECKPOINTED", vm));
        vm.hardShutdown(c);
    }

    @Test
    void restartDeviceModelsNeedsARunningVmAndIsALocalMigration() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "rdm");
        String ref = vm.toWireString();
        assertEquals(List.of("VM_BAD_POWER_STATE", ref, "running", "halted"), fails("VM.restart_device_models", ref));
        vm.start(c, false, false);
        vm.suspend(c);
        assertEquals(
                List.of("VM_BAD_POWER_STATE", ref, "running", "suspended"), fails("VM.restart_device_models", ref));
        vm.resume(c, false, false);
        // Xapi migrates the VM to its own host (VM.pool_migrate): a new domain, on the same host
        long domid = vm.getDomid(c);
        String residentOn = vm.getResidentOn(c).toWireString();
        new RawConnection(LifecycleSupport.url(host)).call("VM.restart_device_models", c.getSessionReference(), ref);
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        assertEquals(residentOn, vm.getResidentOn(c).toWireString());
        org.junit.jupiter.api.Assertions.assertNotEquals(domid, vm.getDomid(c));
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        vm.hardShutdown(c);
    }
}
