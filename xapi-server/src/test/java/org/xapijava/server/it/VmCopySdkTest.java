package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.server.TestHost;
import org.xapijava.server.storage.VdiData;

/**
 * VM installation from a template and the object messages of VMs, VDIs, VBDs and VIFs through the
 * Citrix Java SDK 8.1 against an in-process host whose local SR is a directory of sparse files: what a
 * client sees, and what lands on disk.
 */
class VmCopySdkTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static SR localSr;
    static Path srDir;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = new Connection(new URL("http://127.0.0.1:" + host.port()));
        Session.loginWithPassword(
                c, "root", host.password(), APIVersion.latest().toString());
        localSr = Pool.getAll(c).iterator().next().getDefaultSR(c);
        srDir = Path.of(localSr.getPBDs(c).iterator().next().getDeviceConfig(c).get("location"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    // ------------------------------------------------------------------ helpers

    private static VM template(String name) throws Exception {
        Set<VM> vms = VM.getByNameLabel(c, name);
        assertEquals(1, vms.size(), name);
        return vms.iterator().next();
    }

    /** An ordinary VM without disks, made as clients do: clone of a template without disks, then no longer a template. */
    private static VM newVm(String name) throws Exception {
        VM vm = template("Other install media").createClone(c, name);
        vm.setIsATemplate(c, false);
        return vm;
    }

    private static VDI newVdi(String name, long size) throws Exception {
        VDI.Record r = new VDI.Record();
        r.nameLabel = name;
        r.nameDescription = "";
        r.SR = localSr;
        r.virtualSize = size;
        r.type = Types.VdiType.USER;
        r.sharable = false;
        r.readOnly = false;
        r.otherConfig = new HashMap<>();
        r.xenstoreData = new HashMap<>();
        r.smConfig = new HashMap<>();
        r.tags = new HashSet<>();
        return VDI.create(c, r);
    }

    private static VBD.Record vbdRecord(
            VM vm, VDI vdi, String device, Types.VbdType type, Types.VbdMode mode, boolean empty) {
        VBD.Record b = new VBD.Record();
        b.VM = vm;
        b.VDI = vdi;
        b.userdevice = device;
        b.bootable = true;
        b.mode = mode;
        b.type = type;
        b.empty = empty;
        b.unpluggable = true;
        b.otherConfig = new HashMap<>();
        b.qosAlgorithmType = "";
        b.qosAlgorithmParams = new HashMap<>();
        return b;
    }

    private static VDI attachDisk(VM vm, String device, long size) throws Exception {
        VDI vdi = newVdi("disk " + device, size);
        VBD.create(c, vbdRecord(vm, vdi, device, Types.VbdType.DISK, Types.VbdMode.RW, false));
        return vdi;
    }

    private static VIF.Record vifRecord(VM vm, String device, String mac) throws Exception {
        VIF.Record f = new VIF.Record();
        f.device = device;
        f.network = Network.getAll(c).iterator().next();
        f.VM = vm;
        f.MAC = mac;
        f.MTU = 1500L;
        f.otherConfig = new HashMap<>();
        f.qosAlgorithmType = "";
        f.qosAlgorithmParams = new HashMap<>();
        f.lockingMode = Types.VifLockingMode.NETWORK_DEFAULT;
        f.ipv4Allowed = new HashSet<>();
        f.ipv6Allowed = new HashSet<>();
        return f;
    }

    private static Path file(VDI vdi) throws Exception {
        return VdiData.image(srDir, vdi.getLocation(c));
    }

    private static void write(VDI vdi, long offset, String text) throws Exception {
        VdiData.write(host.server, vdi.toWireString(), offset, text);
    }

    private static String read(VDI vdi, long offset, int len) throws Exception {
        return VdiData.read(host.server, vdi.toWireString(), offset, len);
    }

    /** The VDIs of a VM's disk VBDs, by userdevice. */
    private static Map<String, VDI> disks(VM vm) throws Exception {
        Map<String, VDI> out = new HashMap<>();
        for (VBD b : vm.getVBDs(c)) {
            if (b.getType(c) == Types.VbdType.DISK) out.put(b.getUserdevice(c), b.getVDI(c));
        }
        return out;
    }

    /**
     * The full {@code ErrorDescription} of {@code method(session, params...)}, read from the raw reply
     * through the SDK's transport (the SDK's typed exceptions drop most parameters).
     */
    private static List<String> failure(String method, Object... params) throws Exception {
        Object[] all = new Object[params.length + 1];
        all[0] = c.getSessionReference();
        System.arraycopy(params, 0, all, 1, params.length);
        return new RawConnection(new URL("http://127.0.0.1:" + host.port())).failure(method, all);
    }

    private static Database db() {
        return host.server.services().db();
    }

    // ------------------------------------------------------------------ tests

    @Test
    void installFromATemplate() throws Exception {
        VM tmpl = template("Debian Bookworm 12");
        VM vm = tmpl.createClone(c, "debian");
        assertTrue(vm.getIsATemplate(c));
        // xe vm-install (and XenCenter) put the SR's uuid into the provisioning XML before provisioning
        String xml = vm.getOtherConfig(c).get("disks");
        assertTrue(xml.contains("sr=\"\""), xml);
        vm.removeFromOtherConfig(c, "disks");
        vm.addToOtherConfig(c, "disks", xml.replace("sr=\"\"", "sr=\"" + localSr.getUuid(c) + "\""));
        vm.provision(c);

        VM.Record r = vm.getRecord(c);
        assertFalse(r.isATemplate);
        assertFalse(r.otherConfig.containsKey("disks"));
        assertEquals("Debian Bookworm 12", r.otherConfig.get("base_template_name"));
        assertEquals(1, r.VBDs.size());
        VBD vbd = r.VBDs.iterator().next();
        VBD.Record b = vbd.getRecord(c);
        assertEquals("0", b.userdevice);
        assertTrue(b.bootable);
        assertEquals(Types.VbdMode.RW, b.mode);
        assertEquals("", b.otherConfig.get("owner"));
        VDI.Record d = b.VDI.getRecord(c);
        assertEquals("0", d.nameLabel);
        assertEquals(Types.VdiType.SYSTEM, d.type);
        assertEquals(10L << 30, d.virtualSize);
        assertEquals(localSr, d.SR);
        Path f = VdiData.image(srDir, d.location);
        assertTrue(Files.isRegularFile(f));
        assertTrue(Files.size(f) < MIB, "thin: " + Files.size(f));
        assertTrue(d.physicalUtilisation < MIB, "sparse: " + d.physicalUtilisation);
        assertTrue(localSr.getVirtualAllocation(c) >= 10L << 30);
    }

    @Test
    void provisionWithoutAnSrIsUuidInvalid() throws Exception {
        VM vm = template("Debian Bullseye 11").createClone(c, "no sr");
        assertInstanceOf(Types.UuidInvalid.class, assertThrows(Types.XenAPIException.class, () -> vm.provision(c)));
        vm.setIsATemplate(c, true);
        assertEquals(List.of("UUID_INVALID", "sr", ""), failure("VM.provision", vm.toWireString()));
    }

    @Test
    void cloneCopyAndSnapshotCopyTheDisksContent() throws Exception {
        VM vm = newVm("source");
        VDI d0 = attachDisk(vm, "0", 8 * MIB);
        VDI d1 = attachDisk(vm, "1", 2 * MIB);
        VBD.create(c, vbdRecord(vm, Types.toVDI("OpaqueRef:NULL"), "3", Types.VbdType.CD, Types.VbdMode.RO, true));
        VIF vif = VIF.create(c, vifRecord(vm, "0", ""));
        write(d0, 0, "MBR of d0");
        write(d0, 7 * MIB, "tail of d0");
        write(d1, 12345, "d1 data");

        VM clone = vm.createClone(c, "clone");
        VM copy = vm.copy(c, "copy", localSr);
        VM snap = vm.snapshot(c, "snap");
        for (VM v : List.of(clone, copy, snap)) {
            Map<String, VDI> ds = disks(v);
            assertEquals(Set.of("0", "1"), ds.keySet(), v.getNameLabel(c));
            assertNotEquals(d0, ds.get("0"));
            assertNotEquals(d1, ds.get("1"));
            assertEquals("MBR of d0", read(ds.get("0"), 0, 9));
            assertEquals("tail of d0", read(ds.get("0"), 7 * MIB, 10));
            assertEquals("d1 data", read(ds.get("1"), 12345, 7));
            assertEquals(3, v.getVBDs(c).size(), "the empty CD drive comes along");
        }
        // the copies are independent of the source
        write(d0, 0, "CHANGED!!");
        assertEquals("MBR of d0", read(disks(snap).get("0"), 0, 9));

        VIF cv = clone.getVIFs(c).iterator().next();
        VIF sv = snap.getVIFs(c).iterator().next();
        assertNotEquals(vif.getMAC(c), cv.getMAC(c), "a clone gets fresh MACs");
        assertEquals(vif.getMAC(c), sv.getMAC(c), "a snapshot keeps its MACs");
        assertNotEquals(
                vm.getOtherConfig(c).get("mac_seed"), clone.getOtherConfig(c).get("mac_seed"));

        VM.Record s = snap.getRecord(c);
        assertTrue(s.isASnapshot);
        assertTrue(s.isATemplate);
        assertEquals(vm, s.snapshotOf);
        assertEquals("Halted", s.snapshotInfo.get("power-state-at-snapshot"));
        assertTrue(vm.getSnapshots(c).contains(snap));
        assertEquals(snap, vm.getParent(c));
        assertEquals(d0, disks(snap).get("0").getSnapshotOf(c));
        assertFalse(clone.getIsASnapshot(c));
        assertFalse(clone.getIsATemplate(c));
        assertEquals("clone", clone.getNameLabel(c));
        assertEquals(Types.VmPowerState.HALTED, clone.getPowerState(c));
    }

    @Test
    void revertRestoresContentAndFields() throws Exception {
        VM vm = newVm("to revert");
        VDI d0 = attachDisk(vm, "0", 4 * MIB);
        write(d0, MIB, "version 1");
        VM snap = vm.snapshot(c, "v1");
        write(d0, MIB, "version 2");
        vm.setNameLabel(c, "renamed");
        vm.addToOtherConfig(c, "after", "snapshot");

        snap.revert(c);
        assertEquals("to revert", vm.getNameLabel(c));
        assertFalse(vm.getOtherConfig(c).containsKey("after"));
        VDI now = disks(vm).get("0");
        assertNotEquals(d0, now);
        assertEquals("version 1", read(now, MIB, 9));
        Types.XenAPIException gone = assertThrows(Types.XenAPIException.class, () -> d0.getUuid(c));
        assertInstanceOf(Types.HandleInvalid.class, gone);
        assertEquals(snap, vm.getParent(c));
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        assertEquals(now, disks(snap).get("0").getSnapshotOf(c));
    }

    @Test
    void destroyKeepsTheVdis() throws Exception {
        VM vm = newVm("to destroy");
        VDI d0 = attachDisk(vm, "0", MIB);
        VBD vbd = vm.getVBDs(c).iterator().next();
        VIF vif = VIF.create(c, vifRecord(vm, "0", ""));
        vm.destroy(c);
        assertInstanceOf(Types.HandleInvalid.class, assertThrows(Types.XenAPIException.class, () -> vm.getUuid(c)));
        assertInstanceOf(Types.HandleInvalid.class, assertThrows(Types.XenAPIException.class, () -> vbd.getUuid(c)));
        assertInstanceOf(Types.HandleInvalid.class, assertThrows(Types.XenAPIException.class, () -> vif.getUuid(c)));
        assertTrue(d0.getVBDs(c).isEmpty());
        assertTrue(Files.exists(file(d0)));
        d0.destroy(c);
        assertFalse(Files.exists(srDir.resolve(d0.toWireString())));
    }

    @Test
    void setIsATemplateBothWays() throws Exception {
        VM vm = newVm("templatable");
        vm.setIsATemplate(c, true);
        assertTrue(vm.getIsATemplate(c));
        assertFalse(vm.getIsDefaultTemplate(c));
        assertEquals("OpaqueRef:NULL", vm.getMetrics(c).toWireString());
        vm.setIsATemplate(c, false);
        assertFalse(vm.getIsATemplate(c));
    }

    @Test
    void vbdAndVifCreateAndDestroy() throws Exception {
        VM vm = newVm("devices");
        VDI d0 = attachDisk(vm, "0", MIB);
        Types.XenAPIException dup = assertThrows(
                Types.XenAPIException.class,
                () -> VBD.create(c, vbdRecord(vm, d0, "xvda", Types.VbdType.DISK, Types.VbdMode.RW, false)));
        assertEquals("xvda", assertInstanceOf(Types.DeviceAlreadyExists.class, dup).device);
        assertInstanceOf(
                Types.VbdNotRemovableMedia.class,
                assertThrows(
                        Types.XenAPIException.class,
                        () -> VBD.create(c, vbdRecord(vm, d0, "4", Types.VbdType.DISK, Types.VbdMode.RW, true))));
        VBD auto = VBD.create(c, vbdRecord(vm, d0, "autodetect", Types.VbdType.DISK, Types.VbdMode.RO, false));
        assertEquals("1", auto.getUserdevice(c));
        assertFalse(vm.getAllowedVBDDevices(c).contains("1"));

        VIF v0 = VIF.create(c, vifRecord(vm, "0", ""));
        assertTrue(v0.getMAC(c).matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"));
        assertTrue(v0.getMACAutogenerated(c));
        assertEquals(
                "0",
                assertInstanceOf(
                                Types.DeviceAlreadyExists.class,
                                assertThrows(Types.XenAPIException.class, () -> VIF.create(c, vifRecord(vm, "0", ""))))
                        .device);
        assertEquals(
                "nope",
                assertInstanceOf(
                                Types.MacInvalid.class,
                                assertThrows(
                                        Types.XenAPIException.class, () -> VIF.create(c, vifRecord(vm, "1", "nope"))))
                        .MAC);
        assertFalse(vm.getAllowedVIFDevices(c).contains("0"));

        // an attached VBD cannot go
        db().set("VBD", auto.toWireString(), "currently_attached", true);
        assertEquals(
                List.of(
                        "OPERATION_NOT_ALLOWED",
                        "VBD '" + auto.getUuid(c) + "' still attached to '" + vm.getUuid(c) + "'"),
                failure("VBD.destroy", auto.toWireString()));
        db().set("VBD", auto.toWireString(), "currently_attached", false);
        auto.destroy(c);
        v0.destroy(c);
        assertTrue(vm.getVIFs(c).isEmpty());
        assertEquals(1, vm.getVBDs(c).size());
    }

    @Test
    void badInput() throws Exception {
        VM vm = newVm("short lived");
        VDI vdi = newVdi("short lived", MIB);
        vm.destroy(c);
        vdi.destroy(c);
        Types.HandleInvalid h = assertInstanceOf(
                Types.HandleInvalid.class, assertThrows(Types.XenAPIException.class, () -> vm.createClone(c, "x")));
        assertEquals("VM", h.clazz);
        assertEquals(
                List.of("HANDLE_INVALID", "VDI", vdi.toWireString()),
                failure("VDI.clone", vdi.toWireString(), new HashMap<>()));
        VDI orphan = newVdi("orphan", MIB);
        Types.HandleInvalid hv = assertInstanceOf(
                Types.HandleInvalid.class,
                assertThrows(
                        Types.XenAPIException.class,
                        () -> VBD.create(c, vbdRecord(vm, orphan, "0", Types.VbdType.DISK, Types.VbdMode.RW, false))));
        assertEquals("VM", hv.clazz);
        assertEquals(vm.toWireString(), hv.handle);

        SR udev = null;
        SR iso = null;
        for (SR sr : SR.getAll(c)) {
            if (sr.getType(c).equals("udev") && udev == null) udev = sr;
            if (sr.getContentType(c).equals("iso")) iso = sr;
        }
        SR u = udev;
        VDI.Record r = new VDI.Record();
        r.nameLabel = "on udev";
        r.SR = u;
        r.virtualSize = MIB;
        r.type = Types.VdiType.USER;
        r.sharable = false;
        r.readOnly = false;
        r.otherConfig = new HashMap<>();
        assertInstanceOf(
                Types.SrOperationNotSupported.class, assertThrows(Types.XenAPIException.class, () -> VDI.create(c, r)));
        SR i = iso;
        VM other = newVm("copy me");
        assertInstanceOf(
                Types.OperationNotAllowed.class,
                assertThrows(Types.XenAPIException.class, () -> other.copy(c, "x", i)));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "Cannot copy a VM's disks to an ISO SR"),
                failure("VM.copy", other.toWireString(), "x", i.toWireString()));

        // Xapi finds (or remakes) the snapshot's VM before checking the operation: a VM that is no
        // snapshot has no VM to remake
        assertEquals(
                List.of("VM_REVERT_FAILED", other.toWireString(), "OpaqueRef:NULL"),
                failure("VM.revert", other.toWireString()));

        // a default template can be cloned (that is how VMs are made) but its clone is no default template
        VM t = template("Debian Bookworm 12");
        VM fromT = t.createClone(c, "from default");
        assertFalse(fromT.getIsDefaultTemplate(c));
        assertFalse(fromT.getOtherConfig(c).containsKey("default_template"));
    }

    /** Errors that come from Xapi's operation checker, which wraps these messages once ops.Locks is real. */
    @Test
    void operationCheckerErrors() throws Exception {
        VM vm = newVm("running");
        attachDisk(vm, "0", MIB);
        String ref = vm.toWireString();
        db().set("VM", ref, "power_state", "Running");
        try {
            for (List<Object> call : List.<List<Object>>of(
                    List.of("VM.clone", ref, "x"),
                    List.of("VM.copy", ref, "x", localSr.toWireString()),
                    List.of("VM.destroy", ref),
                    List.of("VM.set_is_a_template", ref, true))) {
                List<String> e = failure(
                        (String) call.get(0), call.subList(1, call.size()).toArray());
                assertEquals(
                        List.of("VM_BAD_POWER_STATE", ref, "running"),
                        List.of(e.get(0), e.get(1), e.get(3)),
                        call.toString());
            }
        } finally {
            db().set("VM", ref, "power_state", "Halted");
        }
        assertEquals(List.of("PROVISION_ONLY_ALLOWED_ON_TEMPLATE"), failure("VM.provision", ref));
        VM t = template("Debian Bookworm 12");
        assertEquals(List.of("VM_IS_TEMPLATE", t.toWireString(), "destroy"), failure("VM.destroy", t.toWireString()));
        VM snap = vm.snapshot(c, "s");
        assertEquals(
                List.of("VM_IS_SNAPSHOT", snap.toWireString(), "provision"),
                failure("VM.provision", snap.toWireString()));
    }
}
