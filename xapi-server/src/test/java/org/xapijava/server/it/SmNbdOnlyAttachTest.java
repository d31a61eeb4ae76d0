package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * A driver answering {@code vdi_attach} as xapi-project/sm's drivers do (through sm's blktap2 layer): no
 * {@code params}, only {@code params_nbd} (empty: no tapdisk wanted), {@code o_direct}, {@code o_direct_reason}
 * and {@code xenstore_data}. The real {@code DummySR} answers so, and a VM with a disk on it could not start:
 * the storage socket's backend assumed a path. As Xapi ({@code storage_smapiv1.ml} {@code attach2}), such an
 * attach is {@code [XenDisk {params = params_nbd; extra = xenstore_data; backend_type = "vbd3"}; Nbd {uri =
 * params_nbd}]}. The driver is the scripted {@code TapshapeSR} (test resources), not sm's code.
 */
class SmNbdOnlyAttachTest {
    @TempDir
    Path dir;

    @Test
    void anAttachWithoutParamsIsXapisNbdBackendAndAVmStartsOnIt() throws Exception {
        Path smDir = dir.resolve("sm");
        Files.createDirectories(smDir);
        Path driver = smDir.resolve("TapshapeSR");
        try (InputStream in = SmNbdOnlyAttachTest.class.getResourceAsStream("TapshapeSR")) {
            Files.copy(in, driver);
        }
        Files.setPosixFilePermissions(driver, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (TestHost host = TestHost.start(dir, "--sm-plugins", "file dummy iso tapshape")) {
            Connection c = LifecycleSupport.login(host);
            Host h = Host.getAll(c).iterator().next();
            SR sr = SR.create(c, h, Map.of(), 0L, "tapshape", "", "tapshape", "user", false, Map.of());
            VM vm = LifecycleSupport.newVm(host, c, "nbd-only");
            VBD vbd = LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
            VDI vdi = vbd.getVDI(c);
            String srUuid = sr.getUuid(c);
            String loc = vdi.getLocation(c);

            StorageSocketCalls s =
                    new StorageSocketCalls(host.server.storageSocket().path());
            Map<String, Object> xapis = Map.of(
                    "implementations",
                    List.of(
                            List.of(
                                    "XenDisk",
                                    Map.of(
                                            "backend_type",
                                            "vbd3",
                                            "extra",
                                            Map.of("storage-type", "tapshape"),
                                            "params",
                                            "")),
                            List.of("Nbd", Map.of("uri", ""))));
            assertEquals(
                    xapis,
                    s.ok("VDI.attach3", "dp", "vbd/7/xvda", "sr", srUuid, "vdi", loc, "vm", "7", "read_write", true));
            assertEquals(xapis, s.ok("DP.attach_info", "sr", srUuid, "vdi", loc, "dp", "vbd/7/xvda", "vm", "7"));
            s.ok("DP.destroy", "dp", "vbd/7/xvda", "allow_leak", false);

            vm.start(c, false, false);
            assertTrue(vbd.getCurrentlyAttached(c));
            vm.hardShutdown(c);
            assertFalse(vbd.getCurrentlyAttached(c));
            List<String> commands = Files.readAllLines(smDir.resolve("tapshape.log")).stream()
                    .map(l -> l.substring(0, l.indexOf(' ')))
                    .filter(l -> l.startsWith("vdi_"))
                    .toList();
            assertEquals(
                    List.of(
                            "vdi_create",
                            "vdi_attach",
                            "vdi_detach",
                            "vdi_attach",
                            "vdi_activate",
                            "vdi_deactivate",
                            "vdi_detach"),
                    commands);
        }
    }
}
