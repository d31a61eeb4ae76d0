package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.server.storage.VdiData;

/**
 * {@code VDI.on_boot=reset} on the bundled {@code ext} driver (a loop device) with its garbage collector at work,
 * through the Citrix SDK: a clone set to reset (Xapi's {@code set_persistent false}: clone and delete the clone),
 * its base VDI and a snapshot of it (made before) destroyed, so that the GC coalesces every node it may; the
 * clone keeps its parent (the GC leaves reset-on-boot VDIs alone, as sm's does), and each of two VM boots starts
 * from the base again, byte for byte, whatever the guest wrote in the boot before.
 */
class ResetOnBootSdkTest {
    private static final long MIB = 1L << 20;
    private static final long SIZE = 8 * MIB;
    private static final String BASE = "the base content every boot returns to";

    @TempDir
    Path dir;

    @Test
    void resetOnBootSurvivesTheGarbageCollector() throws Exception {
        Path image = dir.resolve("ext.img");
        try (var f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(256 * MIB);
        }
        String device = run("losetup", "-f", "--show", image.toString()).strip();
        Path[] mounted = new Path[1]; // the SR's mount point, unmounted at the end should the test fail half way
        try (TestHost host = TestHost.start(dir.resolve("host"))) {
            Connection c = LifecycleSupport.login(host);
            Host me = Host.getAll(c).iterator().next();
            SR sr = SR.create(c, me, Map.of("device", device), 0L, "ext SR", "", "ext", "user", false, Map.of());
            Path srDir = Path.of("/run/sr-mount", sr.getUuid(c));
            mounted[0] = srDir;

            VDI base = VDI.create(c, LifecycleSupport.vdiRecord(sr, "base", SIZE));
            VdiData.write(host.server, base.toWireString(), 0, BASE);
            VDI clone = base.createClone(c, Map.of());
            VDI snap = clone.snapshot(c, Map.of()); // before: a reset-on-boot VDI cannot be snapshot
            clone.setOnBoot(c, Types.OnBoot.RESET);
            assertEquals(Types.OnBoot.RESET, clone.getOnBoot(c));
            base.destroy(c);
            snap.destroy(c);
            // the GC coalesces the hidden nodes into one and leaves the reset-on-boot leaf over it
            awaitHiddenNodes(srDir, 1);
            Thread.sleep(4000); // past the GC's leaf-coalesce delay (2 s): it still has its parent
            assertEquals(1, hiddenNodes(srDir), "the reset-on-boot VDI keeps its base");

            byte[] expected = new byte[(int) SIZE];
            byte[] baseBytes = BASE.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(baseBytes, 0, expected, 0, baseBytes.length);
            VM vm = LifecycleSupport.newVm(host, c, "reset on boot");
            LifecycleSupport.diskVbd(c, vm, clone, "0");
            Path disk = Path.of("/run/sr-datapath", sr.getUuid(c), clone.getLocation(c));
            for (int boot = 0; boot < 2; boot++) {
                vm.start(c, false, false);
                assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
                assertArrayEquals(expected, Files.readAllBytes(disk), "boot " + boot + " starts from the base");
                try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) { // the guest writes
                    raf.seek(0);
                    raf.write(("written during boot " + boot).getBytes(StandardCharsets.US_ASCII));
                    raf.seek(5 * MIB);
                    raf.write(new byte[(int) MIB]);
                    raf.seek(6 * MIB);
                    raf.write("x".repeat((int) MIB).getBytes(StandardCharsets.US_ASCII));
                    raf.getFD().sync();
                }
                vm.cleanShutdown(c);
                assertEquals(
                        "written during boot " + boot,
                        VdiData.read(
                                host.server,
                                clone.toWireString(),
                                0,
                                20 + String.valueOf(boot).length()),
                        "the writes of a boot stay until the next boot");
            }
            assertEquals(1, hiddenNodes(srDir));

            vm.destroy(c);
            for (VDI x : sr.getVDIs(c)) x.destroy(c);
            for (var pbd : sr.getPBDs(c)) pbd.unplug(c);
            sr.destroy(c);
        } finally {
            if (mounted[0] != null && Files.isDirectory(mounted[0])) {
                new ProcessBuilder("umount", "-l", mounted[0].toString())
                        .start()
                        .waitFor();
            }
            run("losetup", "-d", device);
        }
    }

    private static void awaitHiddenNodes(Path srDir, long n) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (hiddenNodes(srDir) != n && System.nanoTime() < deadline) Thread.sleep(200);
        assertEquals(n, hiddenNodes(srDir), "hidden nodes in " + srDir);
    }

    private static long hiddenNodes(Path srDir) throws IOException {
        try (Stream<Path> s = Files.list(srDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".hidden.qcow2"))
                    .count();
        }
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor() == 0, String.join(" ", argv) + ": " + out);
        return out;
    }
}
