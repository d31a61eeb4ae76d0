package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.PIF;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.sim.Simulator;

/**
 * {@code host.migrate_receive}, {@code VM.assert_can_migrate} and {@code VM.migrate_send} within a pool of two
 * in-process hosts (see {@link TwoHostPool}), through the Citrix SDK on the master: a VM whose disk is on host A's
 * local file SR moves to host B's local file SR, running (the simulated guest's data read back on B) or halted (the
 * disk's bytes read through a datapath on B); refusals change nothing; a cancelled move leaves the VM on A and
 * nothing on B.
 */
class MigrateSendSdkTest {
    private static final int MIB = 1 << 20;

    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path srDirs;

    static TwoHostPool pool;
    static TestHost master;
    static TestHost member;
    static Connection c;
    static SR srA;
    static SR srB;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(dirA, dirB);
        master = pool.master();
        member = pool.member();
        c = LifecycleSupport.login(master);
        srA = localSr(hostA(), "local-A");
        srB = localSr(hostB(), "local-B");
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    private static SR localSr(Host h, String name) throws Exception {
        Path location = srDirs.resolve(name);
        Files.createDirectories(location);
        return SR.create(c, h, Map.of("location", location.toString()), 0L, name, "", "file", "user", false, Map.of());
    }

    /** The VM's scheduled_to_be_resident_on (the SDK's record lacks it). */
    private static String scheduledOn(VM vm) {
        return master.server
                .services()
                .db()
                .snapshot()
                .get(vm.toWireString(), org.xapijava.model.api.VM.SCHEDULED_TO_BE_RESIDENT_ON);
    }

    private static Host hostA() {
        return Types.toHost(master.server.services().hostRef());
    }

    private static Host hostB() {
        return Types.toHost(member.server.services().hostRef());
    }

    private static Simulator sim(TestHost h) {
        return h.server.embeddedXenopsd().simulator();
    }

    /** {@code host.migrate_receive} of host B on its management network. */
    private static Map<String, String> destB() throws Exception {
        return hostB().migrateReceive(c, managementNetwork(hostB()), Map.of());
    }

    private static Network managementNetwork(Host h) throws Exception {
        for (PIF p : h.getPIFs(c)) if (p.getManagement(c)) return p.getNetwork(c);
        throw new AssertionError("no management PIF");
    }

    private static Set<String> vdisOf(SR sr) throws Exception {
        return sr.getVDIs(c).stream().map(VDI::toWireString).collect(Collectors.toSet());
    }

    @Test
    void migrateReceiveAnswersXapisKeys() throws Exception {
        Map<String, String> dest = destB();
        assertEquals(Set.of("SM", "host", "xenops", "session_id", "master"), dest.keySet());
        assertEquals(hostB().toWireString(), dest.get("host"));
        String ip = hostB().getAddress(c);
        assertTrue(dest.get("xenops").startsWith("http://" + ip + ":"), dest.get("xenops"));
        assertTrue(dest.get("xenops").contains("/services/xenops?session_id="), dest.get("xenops"));
        assertTrue(dest.get("SM").contains("/services/SM?session_id="), dest.get("SM"));
        assertTrue(dest.get("master").startsWith("http://" + hostA().getAddress(c)), dest.get("master"));
        // the session is a real one
        assertTrue(master.server
                .services()
                .db()
                .snapshot()
                .exists(org.xapijava.model.api.Session.XAPI_CLASS, dest.get("session_id")));
        // a network host B has no PIF on
        Network.Record nr = new Network.Record();
        nr.nameLabel = "no PIFs";
        nr.nameDescription = "";
        nr.MTU = 1500L;
        nr.otherConfig = new HashMap<>();
        nr.tags = new java.util.HashSet<>();
        Network bare = Network.create(c, nr);
        Types.HostCannotAttachNetwork e =
                assertThrows(Types.HostCannotAttachNetwork.class, () -> hostB().migrateReceive(c, bare, Map.of()));
        assertEquals(hostB().toWireString(), e.host);
        bare.destroy(c);
    }

    @Test
    void aRunningVmMovesToTheOtherHostWithItsDiskByteForByte() throws Exception {
        int size = 32 * MIB;
        VM vm = LifecycleSupport.newVm(master, c, "sxm-running");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        VDI old = disk.getVDI(c);
        old.setOtherConfig(c, Map.of("config-drive", "true"));
        vm.startOn(c, hostA(), false, false);
        String uuid = vm.getUuid(c);
        String dev = disk.getDevice(c);
        byte[] model = new byte[size];
        new Random(11).nextBytes(model);
        sim(master).guestDiskWrite(uuid, dev, 0, model);
        Set<String> before = vdisOf(srB);
        Map<String, String> dest = destB();

        // the guest keeps writing blocks during the move; a write it made is one that returned (a write issued once
        // the VM is paused waits, and fails once the VM has left this host)
        GuestWriter writer = GuestWriter.start(sim(master), uuid, dev, model, 12);
        assertTrue(writer.writes() > 0, "the guest writes");
        VM result;
        try {
            result = vm.migrateSend(c, dest, true, Map.of(old, srB), Map.of(), Map.of(), Map.of());
        } finally {
            writer.close();
        }
        assertEquals(vm.toWireString(), result.toWireString());

        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostB().toWireString(), r.residentOn.toWireString(), "resident_on");
        assertTrue(sim(member).vmExists("t", uuid), "B's xenopsd runs it");
        assertFalse(sim(master).vmExists("t", uuid), "A's no longer has it");
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(member).vmStat("t", uuid).state().powerState(),
                "unpaused on B");
        assertTrue(r.currentOperations.isEmpty(), "nothing left marked: " + r.currentOperations);
        assertEquals("OpaqueRef:NULL", scheduledOn(vm), "no reservation left");
        assertTrue(hostB().getCurrentOperations(c).isEmpty(), "the destination unmarked");
        VDI now = disk.getVDI(c);
        assertNotEquals(old.toWireString(), now.toWireString());
        assertEquals(srB.toWireString(), now.getSR(c).toWireString());
        assertEquals("true", now.getOtherConfig(c).get("config-drive"));
        assertFalse(vdisOf(srA).contains(old.toWireString()), "the old VDI is destroyed");
        Set<String> after = vdisOf(srB);
        after.removeAll(before);
        assertEquals(Set.of(now.toWireString()), after, "one new VDI on B");
        // the guest reads on B what it wrote on A
        assertArrayEquals(model, sim(member).guestDiskRead(uuid, dev, 0, size));
        vm.hardShutdown(c);
    }

    @Test
    void vdiPoolMigrateToAnSrOfTheOtherHostMovesTheVmThere() throws Exception {
        int size = 4 * MIB;
        VM vm = LifecycleSupport.newVm(master, c, "sxm-vdi-pool-migrate");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        VDI old = disk.getVDI(c);
        vm.startOn(c, hostA(), false, false);
        String uuid = vm.getUuid(c);
        byte[] model = new byte[size];
        new Random(31).nextBytes(model);
        sim(master).guestDiskWrite(uuid, disk.getDevice(c), 0, model);

        VDI moved = old.poolMigrate(c, srB, Map.of());

        assertEquals(disk.getVDI(c).toWireString(), moved.toWireString());
        assertEquals(srB.toWireString(), moved.getSR(c).toWireString());
        assertEquals(hostB().toWireString(), vm.getResidentOn(c).toWireString());
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        assertFalse(vdisOf(srA).contains(old.toWireString()));
        assertArrayEquals(model, sim(member).guestDiskRead(uuid, disk.getDevice(c), 0, size));
        vm.hardShutdown(c);
    }

    /**
     * An ISO file in host A's tools SR (its PBD's directory) and its VDI, as a scan would record it (ISO SRs are not
     * scanned yet).
     */
    private static VDI isoOnHostA(String name) throws Exception {
        for (SR sr : SR.getAll(c)) {
            if (!sr.getIsToolsSr(c)) continue;
            for (com.xensource.xenapi.PBD pbd : sr.getPBDs(c)) {
                if (!pbd.getHost(c).toWireString().equals(hostA().toWireString())) continue;
                String location = pbd.getDeviceConfig(c).get("location");
                Files.write(Path.of(location).resolve(name), new byte[1 << 20]);
                org.xapijava.db.Db data = master.server.services().data();
                String ref = data.create(org.xapijava.db.FieldValues.of(org.xapijava.model.api.VDI.XAPI_CLASS)
                        .with(
                                org.xapijava.model.api.VDI.UUID,
                                java.util.UUID.randomUUID().toString())
                        .with(org.xapijava.model.api.VDI.NAME_LABEL, name)
                        .with(org.xapijava.model.api.VDI.SR, sr.toWireString())
                        .with(org.xapijava.model.api.VDI.LOCATION, name)
                        .with(org.xapijava.model.api.VDI.TYPE, "user")
                        .with(org.xapijava.model.api.VDI.READ_ONLY, true)
                        .with(org.xapijava.model.api.VDI.MANAGED, true)
                        .with(org.xapijava.model.api.VDI.VIRTUAL_SIZE, 1L << 20));
                return Types.toVDI(ref);
            }
        }
        throw new AssertionError("no tools SR on host A");
    }

    @Test
    void aCdInTheDriveIsEjectedBeforeTheMove() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "sxm-cd");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", MIB);
        VBD cd = vm.getVBDs(c).stream()
                .filter(b -> {
                    try {
                        return b.getType(c) == Types.VbdType.CD;
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                })
                .findFirst()
                .orElseThrow();
        VDI isoVdi = isoOnHostA("sxm.iso");
        vm.startOn(c, hostA(), false, false);
        cd.insert(c, isoVdi);
        assertFalse(cd.getEmpty(c));

        vm.migrateSend(c, destB(), true, Map.of(disk.getVDI(c), srB), Map.of(), Map.of(), Map.of());

        assertEquals(hostB().toWireString(), vm.getResidentOn(c).toWireString());
        assertTrue(cd.getEmpty(c), "the CD was ejected (find_cds_to_eject)");
        vm.hardShutdown(c);
    }

    @Test
    void aHaltedVmsDiskIsCopiedAndReassigned() throws Exception {
        int size = 4 * MIB;
        VM vm = LifecycleSupport.newVm(master, c, "sxm-halted");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        VDI old = disk.getVDI(c);
        byte[] model = new byte[size];
        new Random(5).nextBytes(model);
        LifecycleSupport.writeVdi(master.server, old, model);
        Map<VDI, SR> map = Map.of(old, srB);
        vm.assertCanMigrate(c, destB(), false, map, Map.of(), Map.of(), Map.of());

        vm.migrateSend(c, destB(), false, map, Map.of(), Map.of(), Map.of());

        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertTrue(r.currentOperations.isEmpty());
        VDI now = disk.getVDI(c);
        assertEquals(srB.toWireString(), now.getSR(c).toWireString());
        assertFalse(vdisOf(srA).contains(old.toWireString()), "the old VDI is destroyed");
        assertArrayEquals(model, LifecycleSupport.vdiBytes(member.server, now, size));
        // and it starts on B with that disk
        vm.startOn(c, hostB(), false, false);
        assertArrayEquals(model, sim(member).guestDiskRead(vm.getUuid(c), disk.getDevice(c), 0, size));
        vm.hardShutdown(c);

        // back to A: the move runs on the member, which sees the disk, and the new VDI is made on A
        Map<String, String> destA = hostA().migrateReceive(c, managementNetwork(hostA()), Map.of());
        vm.migrateSend(c, destA, false, Map.of(now, srA), Map.of(), Map.of(), Map.of());
        VDI back = disk.getVDI(c);
        assertEquals(srA.toWireString(), back.getSR(c).toWireString());
        assertFalse(vdisOf(srB).contains(now.toWireString()));
        assertArrayEquals(model, LifecycleSupport.vdiBytes(master.server, back, size));
    }

    @Test
    void aSnapshotsDiskMovesWithTheVmAndStaysItsSnapshot() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(master, c, "sxm-snapshots");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        VDI leaf = disk.getVDI(c);
        byte[] then = new byte[size];
        new Random(21).nextBytes(then);
        LifecycleSupport.writeVdi(master.server, leaf, then);
        VM snap = vm.snapshot(c, "before");
        byte[] now = new byte[size];
        new Random(22).nextBytes(now);
        LifecycleSupport.writeVdi(master.server, leaf, now);
        VBD snapDisk = snap.getVBDs(c).stream()
                .filter(b -> {
                    try {
                        return b.getType(c) == Types.VbdType.DISK;
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                })
                .findFirst()
                .orElseThrow();
        VDI oldSnapVdi = snapDisk.getVDI(c);
        vm.startOn(c, hostA(), false, false);

        // only the VM's disk is in the map: the snapshot's follows it (snapshot_of)
        vm.migrateSend(c, destB(), true, Map.of(leaf, srB), Map.of(), Map.of(), Map.of());

        VDI newLeaf = disk.getVDI(c);
        VDI newSnap = snapDisk.getVDI(c);
        assertEquals(srB.toWireString(), newLeaf.getSR(c).toWireString());
        assertEquals(srB.toWireString(), newSnap.getSR(c).toWireString());
        assertTrue(newSnap.getIsASnapshot(c));
        assertEquals(newLeaf.toWireString(), newSnap.getSnapshotOf(c).toWireString());
        assertFalse(vdisOf(srA).contains(oldSnapVdi.toWireString()), "the snapshot's old VDI is destroyed");
        assertArrayEquals(now, sim(member).guestDiskRead(vm.getUuid(c), disk.getDevice(c), 0, size));
        assertArrayEquals(then, LifecycleSupport.vdiBytes(member.server, newSnap, size));
        vm.hardShutdown(c);
    }

    @Test
    void aSuspendedVmMovesWithItsSuspendImageAndResumesThere() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(master, c, "sxm-suspended");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        vm.startOn(c, hostA(), false, false);
        String uuid = vm.getUuid(c);
        byte[] model = new byte[size];
        new Random(41).nextBytes(model);
        sim(master).guestDiskWrite(uuid, disk.getDevice(c), 0, model);
        vm.suspend(c);
        VDI image = vm.getSuspendVDI(c);
        boolean imageSeenByB = false;
        for (com.xensource.xenapi.PBD pbd : image.getSR(c).getPBDs(c)) {
            imageSeenByB |= pbd.getHost(c).toWireString().equals(hostB().toWireString());
        }
        hostB().setSuspendImageSr(c, srB);
        try {
            vm.migrateSend(c, destB(), false, Map.of(disk.getVDI(c), srB), Map.of(), Map.of(), Map.of());
        } finally {
            hostB().setSuspendImageSr(c, Types.toSR("OpaqueRef:NULL"));
        }
        assertEquals(Types.VmPowerState.SUSPENDED, vm.getPowerState(c));
        VDI now = vm.getSuspendVDI(c);
        if (imageSeenByB) {
            assertEquals(image.toWireString(), now.toWireString(), "an image B sees stays");
        } else {
            assertEquals(srB.toWireString(), now.getSR(c).toWireString(), "the image moved to B's suspend SR");
        }
        vm.resumeOn(c, hostB(), false, false);
        assertEquals(hostB().toWireString(), vm.getResidentOn(c).toWireString());
        assertArrayEquals(model, sim(member).guestDiskRead(uuid, disk.getDevice(c), 0, size));
        vm.hardShutdown(c);
    }

    @Test
    void refusalsGetXapisErrorsAndChangeNothing() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "sxm-refused");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", MIB);
        VDI vdi = disk.getVDI(c);
        vm.startOn(c, hostA(), false, false);
        Set<String> onB = vdisOf(srB);
        Map<String, String> dest = destB();

        // a disk not in the map
        Types.VdiNotInMap notInMap = assertThrows(
                Types.VdiNotInMap.class,
                () -> vm.assertCanMigrate(c, dest, true, Map.of(), Map.of(), Map.of(), Map.of()));
        assertEquals(vdi.toWireString(), notInMap.vdi);
        assertThrows(
                Types.VdiNotInMap.class, () -> vm.migrateSend(c, dest, true, Map.of(), Map.of(), Map.of(), Map.of()));
        // a VIF map within a pool
        VIF vif = vm.getVIFs(c).stream().findFirst().orElse(null);
        if (vif != null) {
            Types.OperationNotAllowed e = assertThrows(
                    Types.OperationNotAllowed.class,
                    () -> vm.assertCanMigrate(
                            c,
                            dest,
                            true,
                            Map.of(vdi, srB),
                            Map.of(vif, managementNetwork(hostB())),
                            Map.of(),
                            Map.of()));
            assertTrue(e.reason.contains("VIF mapping is not allowed"), e.reason);
        }
        // the destination disabled
        hostB().disable(c);
        try {
            Types.HostDisabled d = assertThrows(
                    Types.HostDisabled.class,
                    () -> vm.migrateSend(c, dest, true, Map.of(vdi, srB), Map.of(), Map.of(), Map.of()));
            assertEquals(hostB().toWireString(), d.host);
        } finally {
            hostB().enable(c);
        }
        // a host unknown here is one of another pool (CrossPoolMigrateSdkTest), which its master does not know either
        Map<String, String> foreign = new HashMap<>(dest);
        foreign.put("host", "OpaqueRef:00000000-0000-0000-0000-00000000abcd");
        Types.HandleInvalid x = assertThrows(
                Types.HandleInvalid.class,
                () -> vm.migrateSend(c, foreign, true, Map.of(vdi, srB), Map.of(), Map.of(), Map.of()));
        assertEquals("host", x.clazz);
        assertThrows(
                Types.HandleInvalid.class,
                () -> vm.assertCanMigrate(c, foreign, true, Map.of(vdi, srB), Map.of(), Map.of(), Map.of()));
        // a dest map without its keys
        assertThrows(
                Types.InternalError.class,
                () -> vm.assertCanMigrate(c, Map.of(), true, Map.of(vdi, srB), Map.of(), Map.of(), Map.of()));

        VM.Record r = vm.getRecord(c);
        assertEquals(hostA().toWireString(), r.residentOn.toWireString());
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertTrue(r.currentOperations.isEmpty());
        assertEquals(vdi.toWireString(), disk.getVDI(c).toWireString());
        assertEquals(onB, vdisOf(srB), "nothing made on B");
        vm.hardShutdown(c);

        // not enough memory on the destination for a VM of that size
        long huge = 1L << 50;
        vm.setMemoryLimits(c, huge, huge, huge, huge);
        assertThrows(
                Types.HostNotEnoughFreeMemory.class,
                () -> vm.assertCanMigrate(c, dest, false, Map.of(vdi, srB), Map.of(), Map.of(), Map.of()));
        assertEquals(vdi.toWireString(), disk.getVDI(c).toWireString());
    }

    @Test
    void aDestinationThatRefusesTheVmLeavesItRunningOnItsDiskAndNothingOnTheOther() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(master, c, "sxm-refused-by-b");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        VDI old = disk.getVDI(c);
        vm.startOn(c, hostA(), false, false);
        String uuid = vm.getUuid(c);
        byte[] model = new byte[size];
        new Random(9).nextBytes(model);
        sim(master).guestDiskWrite(uuid, disk.getDevice(c), 0, model);
        Set<String> onB = vdisOf(srB);
        Map<String, String> dest = destB();
        member.server.xenops().xenops().debugTrigger("t", "refuse-migration", List.of("on"));
        try {
            assertThrows(
                    Types.XenAPIException.class,
                    () -> vm.migrateSend(c, dest, true, Map.of(old, srB), Map.of(), Map.of(), Map.of()));
        } finally {
            member.server.xenops().xenops().debugTrigger("t", "refuse-migration", List.of("off"));
        }
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostA().toWireString(), r.residentOn.toWireString());
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(master).vmStat("t", uuid).state().powerState(),
                "unpaused again");
        assertFalse(sim(member).vmExists("t", uuid));
        assertEquals(old.toWireString(), disk.getVDI(c).toWireString());
        assertEquals(onB, vdisOf(srB), "no VDI left on B");
        assertArrayEquals(model, sim(master).guestDiskRead(uuid, disk.getDevice(c), 0, size));
        // and it moves once the destination takes it
        vm.migrateSend(c, destB(), true, Map.of(old, srB), Map.of(), Map.of(), Map.of());
        assertEquals(hostB().toWireString(), vm.getResidentOn(c).toWireString());
        assertArrayEquals(model, sim(member).guestDiskRead(uuid, disk.getDevice(c), 0, size));
        vm.hardShutdown(c);
    }

    @Test
    void aCancelledMoveLeavesTheVmOnItsHostAndNothingOnTheOther() throws Exception {
        long size = 2048L * MIB; // sparse: a copy long enough to be cancelled while it runs
        VM vm = LifecycleSupport.newVm(master, c, "sxm-cancelled");
        VBD disk = LifecycleSupport.attachDisk(c, vm, srA, "0", size);
        VDI old = disk.getVDI(c);
        vm.startOn(c, hostA(), false, false);
        String uuid = vm.getUuid(c);
        byte[] model = new byte[MIB];
        new Random(3).nextBytes(model);
        sim(master).guestDiskWrite(uuid, disk.getDevice(c), 0, model);
        Set<String> onB = vdisOf(srB);

        Task task = vm.migrateSendAsync(c, destB(), true, Map.of(old, srB), Map.of(), Map.of(), Map.of());
        // cancelled once the copy has begun (its progress moved)
        LifecycleSupport.await(master, "the copy under way", () -> {
            Task.Record t = task.getRecord(c);
            return t.progress > 0 || t.status != Types.TaskStatusType.PENDING;
        });
        // the destination is reserved meanwhile (Xapi's allocate_vm_to_host ~host_op:vm_migrate)
        assertEquals(hostB().toWireString(), scheduledOn(vm));
        assertTrue(hostB().getCurrentOperations(c).containsValue(Types.HostAllowedOperations.VM_MIGRATE));
        task.cancel(c);
        Task.Record end = LifecycleSupport.awaitTask(master, c, task);
        assertEquals(Types.TaskStatusType.CANCELLED, end.status, String.valueOf(List.of(end.errorInfo)));

        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostA().toWireString(), r.residentOn.toWireString());
        assertTrue(sim(master).vmExists("t", uuid));
        assertFalse(sim(member).vmExists("t", uuid));
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(master).vmStat("t", uuid).state().powerState(),
                "unpaused again");
        LifecycleSupport.await(
                master, "the VM unmarked", () -> vm.getCurrentOperations(c).isEmpty());
        assertEquals(old.toWireString(), disk.getVDI(c).toWireString());
        assertEquals(onB, vdisOf(srB), "no VDI left on B");
        assertEquals("OpaqueRef:NULL", scheduledOn(vm), "no reservation left");
        assertTrue(hostB().getCurrentOperations(c).isEmpty(), "the destination unmarked");
        // the guest still reads and writes its disk here
        assertArrayEquals(model, sim(master).guestDiskRead(uuid, disk.getDevice(c), 0, MIB));
        vm.hardShutdown(c);
    }
}
