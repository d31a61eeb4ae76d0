package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Message;
import com.xensource.xenapi.PBD;
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
 * xapi restarted while a VM runs with its disk activated (Xapi's start-up resync, {@code dbsync_slave.ml}): the
 * datapath state that survived the restart says what is attached, so the SR's PBD stays plugged, the running disk
 * keeps its activation tag ({@code host_<ref>} = {@code RW} in {@code sm_config}, put back when it was lost) and
 * its datapath as the storage socket reports it, while the tags a crash left on disks nothing holds, and tags of
 * hosts that do not exist, are removed; a second VM cannot take the disk, and the shutdown releases it.
 */
class StorageRestartSdkTest {
    @TempDir
    Path dir;

    private static Map<String, Object> dps(TestHost host, Connection c, VDI vdi) throws Exception {
        StorageSocketCalls s =
                new StorageSocketCalls(host.server.storageSocket().path());
        return new TreeMap<>(s.dps(vdi.getSR(c).getUuid(c), vdi.getLocation(c)));
    }

    @Test
    void aRestartKeepsActivatedDisksLockedAndClearsWhatACrashLeft() throws Exception {
        String vmRef;
        String diskRef;
        String crashedRef;
        String foreignRef;
        String tag;
        String dp;
        String lostRef;
        try (TestHost host = TestHost.start(dir)) {
            tag = "host_" + host.server.services().hostRef();
            Connection c = LifecycleSupport.login(host);
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VM vm = LifecycleSupport.newVm(host, c, "runner");
            VBD vbd = LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
            VM idle = LifecycleSupport.newVm(host, c, "idle");
            VDI crashed =
                    LifecycleSupport.attachDisk(c, idle, sr, "0", 1L << 20).getVDI(c);
            VDI foreign =
                    LifecycleSupport.attachDisk(c, idle, sr, "1", 1L << 20).getVDI(c);
            vm.start(c, false, false);
            VDI disk = vbd.getVDI(c);
            assertEquals("RW", disk.getSmConfig(c).get(tag), "the driver tags the activated disk");
            dp = "vbd/" + vm.getDomid(c) + "/" + vbd.getDevice(c);
            assertEquals(Map.of(dp, List.of("Activated", "RW")), dps(host, c, disk));

            // what a crash or a restored database leaves: the running disk's tag lost, a tag of this host on a disk
            // nothing holds, a tag of a host that does not exist
            disk.removeFromSmConfig(c, tag);
            crashed.addToSmConfig(c, tag, "RW");
            foreign.addToSmConfig(c, "host_OpaqueRef:00000000-0000-0000-0000-00000000dead", "RO");
            // an SR whose PBD is unplugged and whose directory is gone by the next start
            java.nio.file.Path gone = dir.resolve("gone-sr");
            SR lost = SR.create(
                    c,
                    Host.getAll(c).iterator().next(),
                    Map.of("location", gone.toString()),
                    0L,
                    "lost",
                    "",
                    "file",
                    "user",
                    false,
                    Map.of());
            lostRef = lost.toWireString();
            for (PBD pbd : lost.getPBDs(c)) pbd.unplug(c);
            java.nio.file.Files.delete(gone);
            vmRef = vm.toWireString();
            diskRef = disk.toWireString();
            crashedRef = crashed.toWireString();
            foreignRef = foreign.toWireString();
        }
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = Types.toVM(vmRef);
            VDI disk = Types.toVDI(diskRef);
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            for (PBD pbd : disk.getSR(c).getPBDs(c)) assertTrue(pbd.getCurrentlyAttached(c));
            // the start-up plug of the lost SR failed: its PBD stays unplugged and the host has an alert
            for (PBD pbd : Types.toSR(lostRef).getPBDs(c)) assertFalse(pbd.getCurrentlyAttached(c));
            String hostUuid = Host.getAll(c).iterator().next().getUuid(c);
            assertEquals(
                    1L,
                    Message.getAllRecords(c).values().stream()
                            .filter(m -> m.name.equals("PBD_PLUG_FAILED_ON_SERVER_START")
                                    && m.objUuid.equals(hostUuid)
                                    && m.priority == 3L)
                            .count());
            assertEquals("RW", disk.getSmConfig(c).get(tag), "the running disk's tag is put back");
            assertNull(Types.toVDI(crashedRef).getSmConfig(c).get(tag), "a tag nothing holds is removed");
            assertFalse(
                    Types.toVDI(foreignRef).getSmConfig(c).keySet().stream().anyMatch(k -> k.startsWith("host_")),
                    "a tag of an unknown host is removed");
            assertEquals(
                    Map.of(dp, List.of("Activated", "RW")), dps(host, c, disk), "the datapath as before the restart");

            VM second = LifecycleSupport.newVm(host, c, "second");
            LifecycleSupport.diskVbd(c, second, disk, "0");
            assertThrows(Types.VdiInUse.class, () -> second.start(c, false, false));

            vm.cleanShutdown(c);
            assertNull(disk.getSmConfig(c).get(tag), "the shutdown releases the disk");
            assertEquals(Map.of(), dps(host, c, disk));
            second.start(c, false, false);
            assertEquals("RW", disk.getSmConfig(c).get(tag));
            second.hardShutdown(c);
            assertNull(disk.getSmConfig(c).get(tag));
        }
    }
}
