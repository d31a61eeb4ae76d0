package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SM;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.sim.Simulator;

/**
 * {@code VDI.pool_migrate} through the Citrix SDK, with {@code file} SRs and the simulator's guest writing its disk
 * through its datapath (the qemu-storage-daemon FUSE export of the file driver): the disk moves to the other SR while
 * the VM runs, with every byte written before and during the move, and Xapi's errors for what it refuses.
 */
class VdiPoolMigrateSdkTest {
    private static final int MIB = 1 << 20;
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private static List<String> error(Types.XenAPIException e) {
        return e.errorDescription == null ? List.of(e.shortDescription) : List.of(e.errorDescription);
    }

    /** The file driver's sm.conf: the mirror's copy limited to {@code bytesPerSecond} (0: no limit). */
    private static void mirrorSpeed(Connection c, long bytesPerSecond) throws Exception {
        for (SM.Record sm : SM.getAllRecords(c).values()) {
            if (sm.type.equals("file")) {
                Path conf = Path.of(sm.driverFilename).resolveSibling("sm.conf");
                Files.writeString(conf, "mirror-speed = " + bytesPerSecond + "\n");
                return;
            }
        }
        fail("no file driver");
    }

    private static SR fileSr(Connection c, Path location, String name) throws Exception {
        Host me = Host.getAll(c).iterator().next();
        Files.createDirectories(location);
        return SR.create(c, me, Map.of("location", location.toString()), 0L, name, "", "file", "user", false, Map.of());
    }

    private static Simulator sim(TestHost host) {
        return host.server.embeddedXenopsd().simulator();
    }

    /** The guest's whole disk, read through its datapath. */
    private static byte[] guestDisk(TestHost host, Connection c, VM vm, VBD vbd, int size) throws Exception {
        return sim(host).guestDiskRead(vm.getUuid(c), vbd.getDevice(c), 0, size);
    }

    @Test
    void aRunningDiskMovesWithEveryByteWrittenBeforeAndDuringTheMove() throws Exception {
        int size = 8 * MIB;
        try (TestHost host = TestHost.start(dir.resolve("host"))) {
            Connection c = LifecycleSupport.login(host);
            SR a = Pool.getAll(c).iterator().next().getDefaultSR(c);
            SR b = fileSr(c, dir.resolve("sr-b"), "B");
            VM vm = LifecycleSupport.newVm(host, c, "mover");
            VBD disk = LifecycleSupport.attachDisk(c, vm, a, "0", size);
            VBD stays = LifecycleSupport.attachDisk(c, vm, a, "1", MIB);
            VDI old = disk.getVDI(c);
            old.setNameDescription(c, "the data disk");
            old.addTags(c, "blue");
            old.setOtherConfig(c, Map.of("config-drive", "true", "other", "x"));
            String oldUuid = old.getUuid(c);
            vm.start(c, false, false);
            String guestVm = vm.getUuid(c);
            String dev = disk.getDevice(c);

            // before: the first half written with a pattern
            byte[] model = new byte[size];
            Random rnd = new Random(42);
            byte[] half = new byte[size / 2];
            rnd.nextBytes(half);
            sim(host).guestDiskWrite(guestVm, dev, 0, half);
            System.arraycopy(half, 0, model, 0, half.length);

            // during: the guest keeps writing blocks while the copy runs (2 MiB/s: about 4 s)
            mirrorSpeed(c, 2L * MIB);
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger writes = new AtomicInteger();
            AtomicReference<Throwable> writerFailed = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                Random r = new Random(7);
                byte[] block = new byte[BLOCK];
                try {
                    while (!done.get()) {
                        int at = r.nextInt(size / BLOCK) * BLOCK;
                        r.nextBytes(block);
                        sim(host).guestDiskWrite(guestVm, dev, at, block);
                        synchronized (model) {
                            System.arraycopy(block, 0, model, at, BLOCK);
                        }
                        writes.incrementAndGet();
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    writerFailed.set(t);
                }
            });
            Task task = old.poolMigrateAsync(c, b, Map.of());
            // marked while it runs: the VM migrate_send, the VDI mirror
            LifecycleSupport.await(
                    host,
                    "the marks",
                    () -> vm.getCurrentOperations(c).containsValue(Types.VmOperations.MIGRATE_SEND)
                            || task.getStatus(c) != Types.TaskStatusType.PENDING);
            if (task.getStatus(c) == Types.TaskStatusType.PENDING) {
                assertTrue(old.getCurrentOperations(c).containsValue(Types.VdiOperations.MIRROR));
                assertTrue(task.getAllowedOperations(c).contains(Types.TaskAllowedOperations.CANCEL));
            }
            Task.Record tr = LifecycleSupport.awaitTask(host, c, task, Duration.ofMinutes(2));
            done.set(true);
            writer.join();
            if (writerFailed.get() != null) throw new AssertionError("the guest's writes", writerFailed.get());
            assertEquals(Types.TaskStatusType.SUCCESS, tr.status, () -> String.join(" ", tr.errorInfo));
            assertTrue(writes.get() > 20, "the guest wrote during the move: " + writes.get());
            VDI moved = Types.toVDI(tr.result.replace("<value>", "").replace("</value>", ""));

            // the VBD points to the new VDI in B; the old one is gone; the VM runs on
            assertEquals(moved, disk.getVDI(c));
            assertEquals(b, moved.getSR(c));
            assertNotEquals(oldUuid, moved.getUuid(c));
            assertThrows(Types.HandleInvalid.class, () -> old.getUuid(c));
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            assertEquals(a, stays.getVDI(c).getSR(c));
            // what Xapi carries over: names, size, type, tags, the config-drive key of other_config
            VDI.Record m = moved.getRecord(c);
            assertEquals("mover disk 0", m.nameLabel);
            assertEquals("the data disk", m.nameDescription);
            assertEquals((long) size, m.virtualSize);
            assertEquals(Types.VdiType.USER, m.type);
            assertEquals(Set.of("blue"), m.tags);
            assertEquals(Map.of("config-drive", "true"), m.otherConfig);
            // the marks are gone
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            assertTrue(m.currentOperations.isEmpty());
            assertTrue(disk.getCurrentlyAttached(c));

            // byte for byte: through the guest's datapath, then after a shutdown and a new start
            assertArrayEquals(model, guestDisk(host, c, vm, disk, size));
            vm.cleanShutdown(c);
            assertArrayEquals(model, LifecycleSupport.vdiBytes(host.server, moved, size));
            vm.start(c, false, false);
            assertArrayEquals(model, guestDisk(host, c, vm, disk, size));
            vm.hardShutdown(c);
            // no datapath holds either disk any more (the mirror's went after the switch)
            assertEquals(List.of(), host.server.storageBackends().storage().dpsOf(b.getUuid(c), moved.getLocation(c)));
        }
    }

    @Test
    void whatXapiRefusesChangesNothing() throws Exception {
        try (TestHost host = TestHost.start(dir.resolve("host"))) {
            Connection c = LifecycleSupport.login(host);
            SR a = Pool.getAll(c).iterator().next().getDefaultSR(c);
            SR b = fileSr(c, dir.resolve("sr-b"), "B");
            // a VDI in no VM
            VDI loose = VDI.create(c, LifecycleSupport.vdiRecord(a, "loose", MIB));
            assertEquals(
                    loose.toWireString(),
                    assertThrows(Types.VdiNeedsVmForMigrate.class, () -> loose.poolMigrate(c, b, Map.of())).vdi);
            // a disk of a halted VM: no running datapath to mirror
            VM vm = LifecycleSupport.newVm(host, c, "refused");
            VBD disk = LifecycleSupport.attachDisk(c, vm, a, "0", MIB);
            VDI vdi = disk.getVDI(c);
            assertEquals(
                    vdi.toWireString(),
                    assertThrows(Types.VdiNeedsVmForMigrate.class, () -> vdi.poolMigrate(c, b, Map.of())).vdi);
            vm.start(c, false, false);
            // the same SR: nothing to move, the same VDI back
            assertEquals(vdi, vdi.poolMigrate(c, a, Map.of()));
            assertEquals(vdi, disk.getVDI(c));
            // an SR this host does not see (its PBD unplugged)
            SR unplugged = fileSr(c, dir.resolve("sr-c"), "C");
            for (PBD p : unplugged.getPBDs(c)) p.unplug(c);
            assertThrows(Types.NoHostsAvailable.class, () -> vdi.poolMigrate(c, unplugged, Map.of()));
            // an SR whose driver cannot receive a mirror
            SR dummy = SR.create(
                    c, Host.getAll(c).iterator().next(), Map.of(), 0L, "D", "", "dummy", "user", false, Map.of());
            assertEquals(
                    dummy.toWireString(),
                    assertThrows(Types.SrDoesNotSupportMigration.class, () -> vdi.poolMigrate(c, dummy, Map.of())).sr);
            // a CD: the ISO SR cannot mirror
            VBD cd = VbdCdSdkTest.cd(c, vm);
            VDI iso = VbdCdSdkTest.iso(host, "tools.iso");
            cd.insert(c, iso);
            assertEquals(
                    iso.getSR(c).toWireString(),
                    assertThrows(Types.SrOperationNotSupported.class, () -> iso.poolMigrate(c, b, Map.of())).sr);
            // a snapshot's disk: its VM is a snapshot
            VM snap = vm.snapshot(c, "snap");
            VDI snapDisk = null;
            for (VBD v : snap.getVBDs(c)) if (v.getType(c) == Types.VbdType.DISK) snapDisk = v.getVDI(c);
            VDI sd = snapDisk;
            Types.XenAPIException e = assertThrows(Types.XenAPIException.class, () -> sd.poolMigrate(c, b, Map.of()));
            assertEquals(List.of("VM_IS_SNAPSHOT", snap.toWireString(), "migrate_send"), error(e));
            // on_boot=reset
            // (the file driver has no VDI_RESET_ON_BOOT: the field is set in the database, as another SR's VDI has it)
            host.server.services().data().set(vdi.toWireString(), org.xapijava.model.api.VDI.ON_BOOT, "reset");
            assertThrows(Types.VdiOnBootModeIncompatibleWithOperation.class, () -> vdi.poolMigrate(c, b, Map.of()));

            // nothing changed: the disk where it was, nothing in B, no marks
            assertEquals(vdi, disk.getVDI(c));
            assertEquals(a, vdi.getSR(c));
            assertTrue(b.getVDIs(c).isEmpty(), "B holds nothing");
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            assertTrue(vdi.getCurrentOperations(c).isEmpty());
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            host.server.services().data().set(vdi.toWireString(), org.xapijava.model.api.VDI.ON_BOOT, "persist");
            vm.hardShutdown(c);
        }
    }

    @Test
    void aCancelledMoveLeavesTheVmOnItsDiskAndNothingInTheDestination() throws Exception {
        int size = 16 * MIB;
        try (TestHost host = TestHost.start(dir.resolve("host"))) {
            Connection c = LifecycleSupport.login(host);
            SR a = Pool.getAll(c).iterator().next().getDefaultSR(c);
            SR b = fileSr(c, dir.resolve("sr-b"), "B");
            VM vm = LifecycleSupport.newVm(host, c, "cancelled");
            VBD disk = LifecycleSupport.attachDisk(c, vm, a, "0", size);
            VDI vdi = disk.getVDI(c);
            vm.start(c, false, false);
            byte[] data = new byte[size];
            new Random(1).nextBytes(data);
            sim(host).guestDiskWrite(vm.getUuid(c), disk.getDevice(c), 0, data);
            mirrorSpeed(c, MIB); // 16 s of copy: cancelled long before its end
            Task task = vdi.poolMigrateAsync(c, b, Map.of());
            LifecycleSupport.await(
                    host,
                    "the copy under way",
                    () -> task.getProgress(c) > 0.05 || task.getStatus(c) != Types.TaskStatusType.PENDING,
                    Duration.ofSeconds(30));
            task.cancel(c);
            Task.Record tr = LifecycleSupport.awaitTask(host, c, task, Duration.ofMinutes(1));
            assertEquals(Types.TaskStatusType.CANCELLED, tr.status, () -> String.join(" ", tr.errorInfo));
            assertEquals(vdi, disk.getVDI(c));
            assertTrue(b.getVDIs(c).isEmpty(), "B holds nothing");
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            assertTrue(vdi.getCurrentOperations(c).isEmpty());
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            assertArrayEquals(data, guestDisk(host, c, vm, disk, size));
            // and a second try, unhindered, goes through
            mirrorSpeed(c, 0);
            VDI moved = vdi.poolMigrate(c, b, Map.of());
            assertEquals(b, moved.getSR(c));
            assertArrayEquals(data, guestDisk(host, c, vm, disk, size));
            vm.hardShutdown(c);
            List<String> left = new ArrayList<>();
            for (VDI v : b.getVDIs(c)) left.add(v.getUuid(c));
            assertEquals(List.of(moved.getUuid(c)), left);
            assertFalse(new HashMap<>(moved.getSmConfig(c)).containsKey("activating"));
        }
    }
}
