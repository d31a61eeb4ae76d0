package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.server.storage.VdiData;

/**
 * The bundled {@code file} and {@code ext} drivers end to end through the Citrix SDK: SR create, a disk written
 * through its datapath, snapshot, clone, resize, revert of a VM, a VM started and shut down with the disk, the
 * snapshot deleted and the chain coalesced by the driver's garbage collector with every byte still there, scan,
 * and SR destroy. The {@code ext} SR lives on a loop device.
 */
class SrDataSdkTest {
    private static final long MIB = 1L << 20;
    private static final String A = "first content, written before the snapshot";
    private static final String B = "second content, written after the snapshot";

    @TempDir
    Path dir;

    @Test
    void fileSr() throws Exception {
        Path location = dir.resolve("file-sr");
        scenario(Map.of("location", location.toString()), "file", location);
    }

    @Test
    void extSrOnALoopDevice() throws Exception {
        Path image = dir.resolve("ext.img");
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(256 * MIB);
        }
        String device = run("losetup", "-f", "--show", image.toString()).strip();
        try {
            scenario(Map.of("device", device), "ext", null);
        } finally {
            run("losetup", "-d", device);
        }
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
        return out;
    }

    private static long hiddenNodes(Path srDir) throws IOException {
        try (Stream<Path> s = Files.list(srDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".hidden.qcow2"))
                    .count();
        }
    }

    /** {@code srDir}: where the driver keeps the files (null: the ext driver's mount point, from the SR uuid). */
    private void scenario(Map<String, String> deviceConfig, String type, Path srDir) throws Exception {
        try (TestHost host = TestHost.start(dir.resolve("host"))) {
            Connection c = LifecycleSupport.login(host);
            Host me = Host.getAll(c).iterator().next();
            SR sr = SR.create(c, me, deviceConfig, 0L, type + " SR", "", type, "user", false, Map.of());
            if (srDir == null) srDir = Path.of("/run/sr-mount", sr.getUuid(c));
            assertTrue(Files.isDirectory(srDir), srDir.toString());
            for (PBD pbd : sr.getPBDs(c)) assertTrue(pbd.getCurrentlyAttached(c));

            VDI vdi = VDI.create(c, LifecycleSupport.vdiRecord(sr, "data", 16 * MIB));
            String v = vdi.toWireString();
            VdiData.write(host.server, v, 0, A);
            VDI snap = vdi.snapshot(c, Map.of());
            VdiData.write(host.server, v, MIB, B);
            VDI clone = snap.createClone(c, Map.of());
            assertEquals(A, VdiData.read(host.server, snap.toWireString(), 0, A.length()));
            assertEquals(A, VdiData.read(host.server, clone.toWireString(), 0, A.length()));
            assertEquals("\0".repeat(B.length()), VdiData.read(host.server, clone.toWireString(), MIB, B.length()));
            assertTrue(hiddenNodes(srDir) >= 1, "a snapshot is a chain, not a copy");

            vdi.resize(c, 32 * MIB);
            assertEquals(32 * MIB, vdi.getVirtualSize(c));
            assertEquals(B, VdiData.read(host.server, v, MIB, B.length()));

            // a VM with the disk on this SR: started (the simulator attaches it through the driver), shut down
            VM vm = LifecycleSupport.newVm(host, c, "on " + type);
            LifecycleSupport.attachDisk(c, vm, sr, "1", 4 * MIB);
            LifecycleSupport.diskVbd(c, vm, vdi, "0");
            vm.start(c, false, false);
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            vm.cleanShutdown(c);

            // the snapshot and the clone go: the garbage collector coalesces the chain, no byte is lost
            clone.destroy(c);
            snap.destroy(c);
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (hiddenNodes(srDir) > 0 && System.nanoTime() < deadline) Thread.sleep(200);
            assertEquals(0, hiddenNodes(srDir), "the chain is coalesced");
            assertEquals(A, VdiData.read(host.server, v, 0, A.length()));
            assertEquals(B, VdiData.read(host.server, v, MIB, B.length()));

            // a scan keeps what is there
            sr.scan(c);
            assertTrue(sr.getVDIs(c).contains(vdi));
            assertTrue(sr.getVirtualAllocation(c) >= 32 * MIB);

            vm.destroy(c);
            for (VDI x : sr.getVDIs(c)) x.destroy(c);
            for (PBD pbd : sr.getPBDs(c)) pbd.unplug(c);
            sr.destroy(c);
            assertFalse(SR.getAll(c).contains(sr));
            if (type.equals("ext")) assertFalse(Files.exists(srDir), "unmounted");
            List<String> left;
            try (Stream<Path> s = type.equals("file") && Files.exists(srDir) ? Files.list(srDir) : Stream.empty()) {
                left = s.map(p -> p.getFileName().toString()).toList();
            }
            assertEquals(List.of(), left);
        }
    }
}
