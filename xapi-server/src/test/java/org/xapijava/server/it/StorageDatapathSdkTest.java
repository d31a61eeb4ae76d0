package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The disks of a VM go through storage as in Xapi: the xenopsd simulator, not xapi, attaches and activates each
 * VBD's VDI through xapi's storage socket (datapath {@code vbd/<domid>/<device>}, read-write for a disk, read-only
 * for a CD) when it plugs the VBD, and destroys the datapath when it unplugs it, ejects it or destroys the domain.
 * Checked from both sides: the socket's {@code DP.stat_vdi} and the server's {@code Smapiv2.dpsOf}.
 */
class StorageDatapathSdkTest {
    @TempDir
    Path dir;

    /**
     * The datapaths holding {@code vdi}, with their states, as the storage socket reports them; the server's Smapiv2
     * holds the same datapaths (every SR here has its driver: file, and iso for the tools SR).
     */
    private static Map<String, Object> dps(TestHost host, StorageSocketCalls s, Connection c, VDI vdi)
            throws Exception {
        Map<String, Object> r = new TreeMap<>(s.dps(vdi.getSR(c).getUuid(c), vdi.getLocation(c)));
        assertEquals(
                List.copyOf(r.keySet()),
                StorageSocketWireTest.storageDps(host, vdi.getSR(c), vdi.getLocation(c)).stream()
                        .sorted()
                        .toList(),
                "the server's Smapiv2 holds the same datapaths");
        return r;
    }

    private static String dp(Connection c, VM vm, VBD vbd) throws Exception {
        return "vbd/" + vm.getDomid(c) + "/" + vbd.getDevice(c);
    }

    @Test
    void startSuspendResumeShutdownAndHotplugAttachThroughStorage() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            StorageSocketCalls s =
                    new StorageSocketCalls(host.server.storageSocket().path());
            Connection c = LifecycleSupport.login(host);
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VM vm = LifecycleSupport.newVm(host, c, "two disks");
            VBD a = LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
            VBD b = LifecycleSupport.attachDisk(c, vm, sr, "1", 1L << 20);
            VDI va = a.getVDI(c);
            VDI vb = b.getVDI(c);
            VBD cd = VbdCdSdkTest.cd(c, vm);
            VDI iso = VbdCdSdkTest.iso(host, "tools.iso");
            assertEquals(Map.of(), dps(host, s, c, va));

            vm.start(c, false, false);
            assertEquals(Map.of(dp(c, vm, a), List.of("Activated", "RW")), dps(host, s, c, va));
            assertEquals(Map.of(dp(c, vm, b), List.of("Activated", "RW")), dps(host, s, c, vb));
            assertTrue(host.server.embeddedXenopsd().simulator().attachedDisks().containsKey(dp(c, vm, a)));
            // a CD inserted into the running guest: read-only
            cd.insert(c, iso);
            assertEquals(Map.of(dp(c, vm, cd), List.of("Activated", "RO")), dps(host, s, c, iso));
            cd.eject(c);
            assertEquals(Map.of(), dps(host, s, c, iso));
            cd.insert(c, iso);

            // hot-unplug frees the datapath, plug takes it again
            a.unplug(c);
            assertEquals(Map.of(), dps(host, s, c, va));
            a.plug(c);
            assertEquals(Map.of(dp(c, vm, a), List.of("Activated", "RW")), dps(host, s, c, va));

            // suspend leaves nothing attached; resume attaches again, in the new domain
            long before = vm.getDomid(c);
            vm.suspend(c);
            assertEquals(Map.of(), dps(host, s, c, va));
            assertEquals(Map.of(), dps(host, s, c, vb));
            assertEquals(Map.of(), dps(host, s, c, iso));
            // xenopsd wrote the image into the suspend VDI through a datapath of its own, now gone
            VDI image = vm.getSuspendVDI(c);
            assertEquals(Map.of(), dps(host, s, c, image));
            String head = org.xapijava.server.storage.VdiData.read(host.server, image.toWireString(), 0, 128);
            assertTrue(
                    head.startsWith("xapi-java simulated suspend image v1\nvm=" + vm.getUuid(c) + "\n"),
                    "the suspend image: " + head);
            vm.resume(c, false, false);
            assertTrue(vm.getDomid(c) != before);
            assertEquals(Map.of(dp(c, vm, a), List.of("Activated", "RW")), dps(host, s, c, va));
            assertEquals(Map.of(dp(c, vm, b), List.of("Activated", "RW")), dps(host, s, c, vb));
            assertEquals(Map.of(dp(c, vm, cd), List.of("Activated", "RO")), dps(host, s, c, iso));

            // reboot: unplugged and plugged again, in the new domain
            vm.cleanReboot(c);
            assertEquals(Map.of(dp(c, vm, a), List.of("Activated", "RW")), dps(host, s, c, va));

            vm.cleanShutdown(c);
            assertEquals(Map.of(), dps(host, s, c, va));
            assertEquals(Map.of(), dps(host, s, c, vb));
            assertEquals(Map.of(), dps(host, s, c, iso));
            assertEquals(Map.of(), host.server.embeddedXenopsd().simulator().attachedDisks());
        }
    }

    @Test
    void aDiskInUseReadWriteIsRefusedToASecondVm() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            StorageSocketCalls s =
                    new StorageSocketCalls(host.server.storageSocket().path());
            Connection c = LifecycleSupport.login(host);
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VM first = LifecycleSupport.newVm(host, c, "first");
            VBD disk = LifecycleSupport.attachDisk(c, first, sr, "0", 1L << 20);
            VDI shared = disk.getVDI(c);
            VM second = LifecycleSupport.newVm(host, c, "second");
            VBD.Record r = disk.getRecord(c);
            r.VM = second;
            r.otherConfig = new java.util.HashMap<>();
            VBD.create(c, r);
            first.start(c, false, false);
            // Xapi's own VBD checks answer first (VDI_IN_USE), before any storage call
            assertThrows(Types.VdiInUse.class, () -> second.start(c, false, false));
            assertEquals(Types.VmPowerState.HALTED, second.getPowerState(c));
            assertEquals(Map.of(dp(c, first, disk), List.of("Activated", "RW")), dps(host, s, c, shared));
            first.hardShutdown(c);
            assertEquals(Map.of(), dps(host, s, c, shared));
            second.start(c, false, false);
            assertEquals(1, dps(host, s, c, shared).size());
            second.hardShutdown(c);
            assertEquals(Map.of(), dps(host, s, c, shared));
        }
    }

    @Test
    void aStorageFailureFailsTheStartWithNothingLeftAttached() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            StorageSocketCalls s =
                    new StorageSocketCalls(host.server.storageSocket().path());
            Connection c = LifecycleSupport.login(host);
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VM vm = LifecycleSupport.newVm(host, c, "broken disk");
            VBD a = LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
            VBD b = LifecycleSupport.attachDisk(c, vm, sr, "1", 1L << 20);
            VDI va = a.getVDI(c);
            VDI vb = b.getVDI(c);
            // the second disk's file disappears behind the SR's back: its attach fails in the driver (VDIUnavailable)
            // the file driver's image of the disk, in the SR's directory
            org.xapijava.db.Db data = host.server.services().data();
            String srRef = data.byUuid("SR", sr.getUuid(c));
            String pbd = data.get(srRef, org.xapijava.model.api.SR.PBDS).getFirst();
            java.nio.file.Path file = java.nio.file.Path.of(data.get(pbd, org.xapijava.model.api.PBD.DEVICE_CONFIG)
                            .get("location"))
                    .resolve(vb.getLocation(c) + ".qcow2");
            java.nio.file.Files.delete(file);
            // xenopsd's Storage_backend_error (code, params) is the XenAPI error (code, params): the driver's
            // VDIMissing (144) is Xapi's VDI_MISSING
            Types.XenAPIException e = assertThrows(Types.XenAPIException.class, () -> vm.start(c, false, false));
            assertTrue(e instanceof Types.VdiMissing, e.getClass() + " " + e);
            assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
            assertEquals(Map.of(), dps(host, s, c, va));
            assertEquals(Map.of(), dps(host, s, c, vb));
            assertEquals(Map.of(), host.server.embeddedXenopsd().simulator().attachedDisks());
        }
    }
}
