package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.api.SR;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.VbdState;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;

/**
 * CD drives through the Citrix SDK against a host with the embedded xenopsd simulator: {@code VBD.insert} and
 * {@code VBD.eject} on a halted VM (the database only), a running HVM guest (xenopsd's {@code VBD.insert}/{@code
 * eject}, the medium seen in {@code VBD.stat}) and a running PV guest (a plug and an unplug); every refusal with
 * Xapi's error and parameters, and nothing changed by it; {@code set_mode}, {@code assert_attachable},
 * {@code pause}/{@code unpause} and {@code unplug_force_no_safety_check} as Xapi answers them.
 */
class VbdCdSdkTest {
    private static final String NULL = "OpaqueRef:NULL";

    @TempDir
    Path dir;

    private static List<String> fails(TestHost host, Connection c, String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static Xenops xenopsd(TestHost host) {
        return host.server.xenops().xenops();
    }

    /** An ISO in the tools SR (read-only, {@code location} its file name), as an ISO SR's scan would record it. */
    /**
     * An ISO image in the tools SR, as an administrator adds one: the file, then a scan of the SR, which makes its
     * VDI (a VDI written straight into the database could be forgotten by a scan already running). The SR is shared
     * but each host's PBD names its own directory: the file goes into every one.
     */
    static VDI iso(TestHost host, String name) {
        Db data = host.server.services().data();
        String sr = data.where(SR.IS_TOOLS_SR, true).getFirst();
        for (String pbd : data.get(sr, SR.PBDS)) {
            java.nio.file.Path dir = java.nio.file.Path.of(
                    data.get(pbd, org.xapijava.model.api.PBD.DEVICE_CONFIG).get("location"));
            try {
                java.nio.file.Files.createDirectories(dir);
                java.nio.file.Files.write(dir.resolve(name), new byte[1 << 20]);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        host.ok("SR.scan", host.login(), sr);
        for (String vdi : data.where(org.xapijava.model.api.VDI.LOCATION, name)) {
            if (data.get(vdi, org.xapijava.model.api.VDI.SR).equals(sr)) return com.xensource.xenapi.Types.toVDI(vdi);
        }
        throw new AssertionError("the scan of the tools SR made no VDI for " + name);
    }

    /** The VM's CD drive (the one {@link LifecycleSupport#newVm} gives it). */
    static VBD cd(Connection c, VM vm) throws Exception {
        for (VBD v : vm.getVBDs(c)) if (v.getType(c) == Types.VbdType.CD) return v;
        throw new AssertionError("no CD");
    }

    /** A read-write disk of {@code size} on the pool's default SR, plugged as {@code device} of {@code vm}. */
    static VBD disk(Connection c, VM vm, String device) throws Exception {
        return LifecycleSupport.attachDisk(
                c, vm, Pool.getAll(c).iterator().next().getDefaultSR(c), device, 1L << 20);
    }

    /** What a refusal must leave as it was: the drive's medium and that nothing is marked on it. */
    private static void unchanged(Connection c, VBD vbd, String vdi, boolean empty) throws Exception {
        assertEquals(vdi, vbd.getVDI(c).toWireString());
        assertEquals(empty, vbd.getEmpty(c));
        assertTrue(vbd.getCurrentOperations(c).isEmpty());
    }

    @Test
    void haltedVmsDriveChangesInTheDatabaseWithXapisRefusals() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "cd");
            VBD cd = cd(c, vm);
            String v = cd.toWireString();
            VDI a = iso(host, "a.iso");
            assertTrue(cd.getAllowedOperations(c).contains(Types.VbdOperations.INSERT));
            assertFalse(cd.getAllowedOperations(c).contains(Types.VbdOperations.EJECT));

            assertEquals(
                    List.of("VBD_IS_EMPTY", v), fails(host, c, "VBD.eject", v), "the checker's refusal, at marking");
            assertThrows(Types.VbdIsEmpty.class, () -> cd.eject(c));
            unchanged(c, cd, NULL, true);

            cd.insert(c, a);
            unchanged(c, cd, a.toWireString(), false);
            assertTrue(cd.getAllowedOperations(c).contains(Types.VbdOperations.EJECT));
            assertFalse(cd.getAllowedOperations(c).contains(Types.VbdOperations.INSERT));
            assertEquals(List.of(cd), List.copyOf(a.getVBDs(c)));

            VDI b = iso(host, "b.iso");
            assertEquals(List.of("VBD_NOT_EMPTY", v), fails(host, c, "VBD.insert", v, b.toWireString()));
            assertThrows(Types.VbdNotEmpty.class, () -> cd.insert(c, b));
            unchanged(c, cd, a.toWireString(), false);

            cd.eject(c);
            unchanged(c, cd, NULL, true);
            assertTrue(a.getVBDs(c).isEmpty());

            // the VDI: gone, or not managed, is refused after the marking and leaves the drive empty
            assertEquals(
                    List.of("HANDLE_INVALID", "VDI", "OpaqueRef:nope"),
                    fails(host, c, "VBD.insert", v, "OpaqueRef:nope"));
            assertEquals(List.of("HANDLE_INVALID", "VDI", NULL), fails(host, c, "VBD.insert", v, NULL));
            Db data = host.server.services().data();
            data.set(b.toWireString(), org.xapijava.model.api.VDI.MANAGED, false);
            assertEquals(
                    List.of("VDI_NOT_MANAGED", b.toWireString()), fails(host, c, "VBD.insert", v, b.toWireString()));
            unchanged(c, cd, NULL, true);
            assertEquals(
                    List.of("HANDLE_INVALID", "VBD", "OpaqueRef:nope"),
                    fails(host, c, "VBD.insert", "OpaqueRef:nope", a.toWireString()));

            // a disk is no removable medium
            VBD d = disk(c, vm, "1");
            String disk = d.getVDI(c).toWireString();
            assertEquals(
                    List.of("VBD_NOT_REMOVABLE_MEDIA", d.toWireString()),
                    fails(host, c, "VBD.insert", d.toWireString(), a.toWireString()));
            assertEquals(
                    List.of("VBD_NOT_REMOVABLE_MEDIA", d.toWireString()),
                    fails(host, c, "VBD.eject", d.toWireString()));
            unchanged(c, d, disk, false);

            // HA: a protected VM gets no VDI on storage that not every host sees
            String pool = host.server.services().poolRef();
            String local = d.getVDI(c).getSR(c).toWireString();
            data.set(pool, org.xapijava.model.api.Pool.HA_ENABLED, true);
            data.set(vm.toWireString(), org.xapijava.model.api.VM.HA_ALWAYS_RUN, true);
            data.set(vm.toWireString(), org.xapijava.model.api.VM.HA_RESTART_PRIORITY, "restart");
            VDI onLocal = iso(host, "local.iso");
            data.set(onLocal.toWireString(), org.xapijava.model.api.VDI.SR, local);
            assertEquals(
                    List.of("HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED", local),
                    fails(host, c, "VBD.insert", v, onLocal.toWireString()));
            unchanged(c, cd, NULL, true);
            cd.insert(c, a); // the tools SR is shared and plugged on every host
            cd.eject(c);
            data.set(pool, org.xapijava.model.api.Pool.HA_ALLOW_OVERCOMMIT, true);
            cd.insert(c, onLocal);
            cd.eject(c);
            data.set(pool, org.xapijava.model.api.Pool.HA_ENABLED, false);

            // a suspended VM's drive cannot change
            String metrics = vm.getMetrics(c).toWireString();
            data.set(metrics, org.xapijava.model.api.VMMetrics.CURRENT_DOMAIN_TYPE, "hvm");
            data.set(vm.toWireString(), org.xapijava.model.api.VM.POWER_STATE, "Suspended");
            host.server.services().allowed().update("VM", vm.toWireString());
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted, running", "suspended"),
                    fails(host, c, "VBD.insert", v, a.toWireString()));
            unchanged(c, cd, NULL, true);
            data.set(vm.toWireString(), org.xapijava.model.api.VM.POWER_STATE, "Halted");
            cd.insert(c, a);
            data.set(vm.toWireString(), org.xapijava.model.api.VM.POWER_STATE, "Suspended");
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted, running", "suspended"),
                    fails(host, c, "VBD.eject", v));
            unchanged(c, cd, a.toWireString(), false);
            data.set(vm.toWireString(), org.xapijava.model.api.VM.POWER_STATE, "Halted");
            cd.eject(c);
            data.set(metrics, org.xapijava.model.api.VMMetrics.CURRENT_DOMAIN_TYPE, "unspecified");

            // set_mode: a halted VM's VBD only, any mode (Xapi does not check a CD stays read-only)
            d.setMode(c, Types.VbdMode.RO);
            assertEquals(Types.VbdMode.RO, d.getMode(c));
            d.setMode(c, Types.VbdMode.RW);

            // assert_attachable: the attach check, sharing included
            cd.assertAttachable(c);
            d.assertAttachable(c);
            data.set(disk, org.xapijava.model.api.VDI.READ_ONLY, true);
            assertEquals(List.of("VDI_READONLY", disk), fails(host, c, "VBD.assert_attachable", d.toWireString()));
            data.set(disk, org.xapijava.model.api.VDI.READ_ONLY, false);

            // pause/unpause need a running VM
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VBD.pause", d.toWireString()));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VBD.unpause", d.toWireString(), "token"));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VBD.unplug_force_no_safety_check", d.toWireString()));
            unchanged(c, d, disk, false);
        }
    }

    @Test
    void runningHvmGuestsDriveChangesThroughXenopsd() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "cd-live");
            VBD cd = cd(c, vm);
            String v = cd.toWireString();
            VBD d = disk(c, vm, "1");
            VDI a = iso(host, "a.iso");
            vm.start(c, false, false);
            String uuid = vm.getUuid(c);
            DeviceId id = new DeviceId(uuid, cd.getDevice(c));
            VbdState s = xenopsd(host).vbdStat("t", id).state();
            assertTrue(s.plugged());
            assertNull(s.backendPresent(), "an empty drive");

            cd.insert(c, a);
            unchanged(c, cd, a.toWireString(), false);
            String sr = a.getSR(c).getUuid(c);
            assertEquals(
                    Disk.Vdi.of(sr, "a.iso"),
                    xenopsd(host).vbdStat("t", id).state().backendPresent());
            assertTrue(cd.getCurrentlyAttached(c));
            assertTrue(cd.getAllowedOperations(c).contains(Types.VbdOperations.EJECT));

            VDI b = iso(host, "b.iso");
            assertEquals(List.of("VBD_NOT_EMPTY", v), fails(host, c, "VBD.insert", v, b.toWireString()));
            unchanged(c, cd, a.toWireString(), false);
            assertEquals(
                    Disk.Vdi.of(sr, "a.iso"),
                    xenopsd(host).vbdStat("t", id).state().backendPresent());

            cd.eject(c);
            unchanged(c, cd, NULL, true);
            assertNull(xenopsd(host).vbdStat("t", id).state().backendPresent());
            assertTrue(xenopsd(host).vbdStat("t", id).state().plugged(), "the drive stays");
            assertEquals(List.of("VBD_IS_EMPTY", v), fails(host, c, "VBD.eject", v));

            // a refusal after the marking reaches nothing in xenopsd either
            host.server.services().data().set(b.toWireString(), org.xapijava.model.api.VDI.MANAGED, false);
            assertEquals(
                    List.of("VDI_NOT_MANAGED", b.toWireString()), fails(host, c, "VBD.insert", v, b.toWireString()));
            unchanged(c, cd, NULL, true);
            assertNull(xenopsd(host).vbdStat("t", id).state().backendPresent());

            cd.insert(c, b = iso(host, "c.iso"));
            assertEquals(
                    Disk.Vdi.of(sr, "c.iso"),
                    xenopsd(host).vbdStat("t", id).state().backendPresent());

            // set_mode needs a halted VM
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted", "running"),
                    fails(host, c, "VBD.set_mode", d.toWireString(), "RO"));
            assertEquals(Types.VbdMode.RW, d.getMode(c));

            // pause/unpause: Xapi has no datapath for them
            String srOfDisk = d.getVDI(c).getSR(c).toWireString();
            assertEquals(
                    List.of("SR_OPERATION_NOT_SUPPORTED", srOfDisk), fails(host, c, "VBD.pause", d.toWireString()));
            assertEquals(
                    List.of("SR_OPERATION_NOT_SUPPORTED", srOfDisk),
                    fails(host, c, "VBD.unpause", d.toWireString(), "token"));
            cd.eject(c);
            assertEquals(List.of("HANDLE_INVALID", "VDI", NULL), fails(host, c, "VBD.pause", v));
            assertTrue(d.getCurrentOperations(c).isEmpty());
            assertTrue(cd.getCurrentOperations(c).isEmpty());

            // an HVM guest's CD drive is never unplugged
            assertEquals(
                    List.of(
                            "OPERATION_NOT_ALLOWED",
                            "HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected"),
                    fails(host, c, "VBD.unplug_force_no_safety_check", v));
            assertTrue(xenopsd(host).vbdStat("t", id).state().plugged());
        }
    }

    @Test
    void runningPvGuestsDriveIsPluggedAndUnplugged() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "cd-pv");
            vm.setDomainType(c, Types.DomainType.PV);
            vm.setHVMBootPolicy(c, "");
            vm.setPVBootloader(c, "pygrub");
            VBD cd = cd(c, vm);
            String v = cd.toWireString();
            VDI a = iso(host, "a.iso");
            VBD d = disk(c, vm, "1");
            vm.start(c, false, false);
            String uuid = vm.getUuid(c);
            DeviceId id = new DeviceId(uuid, "xvdd");
            // xenopsd only manages empty drives of HVM guests
            XenopsError none =
                    assertThrows(XenopsError.class, () -> xenopsd(host).vbdStat("t", id));
            assertEquals("Does_not_exist", none.code());
            assertFalse(cd.getCurrentlyAttached(c));

            cd.insert(c, a);
            unchanged(c, cd, a.toWireString(), false);
            VbdState s = xenopsd(host).vbdStat("t", id).state();
            assertTrue(s.plugged());
            assertEquals(Disk.Vdi.of(a.getSR(c).getUuid(c), "a.iso"), s.backendPresent());
            assertTrue(cd.getCurrentlyAttached(c));

            cd.eject(c);
            unchanged(c, cd, NULL, true);
            assertFalse(cd.getCurrentlyAttached(c), "unplugged");
            XenopsError gone = assertThrows(
                    XenopsError.class, () -> xenopsd(host).vbdStat("t", id).state());
            assertEquals("Does_not_exist", gone.code(), "xapi removed the unplugged drive from xenopsd");
            assertEquals(List.of("VBD_IS_EMPTY", v), fails(host, c, "VBD.eject", v));

            cd.insert(c, a);
            assertTrue(cd.getCurrentlyAttached(c));
            assertTrue(xenopsd(host).vbdStat("t", id).state().plugged());
            assertEquals(Map.of(), cd.getCurrentOperations(c));

            // unplug_force_no_safety_check is Xapi's unplug_force
            DeviceId disk = new DeviceId(uuid, d.getDevice(c));
            assertTrue(xenopsd(host).vbdStat("t", disk).state().plugged());
            new RawConnection(LifecycleSupport.url(host))
                    .call("VBD.unplug_force_no_safety_check", c.getSessionReference(), d.toWireString());
            assertFalse(d.getCurrentlyAttached(c));
            assertTrue(d.getCurrentOperations(c).isEmpty());
            assertEquals(
                    "Does_not_exist",
                    assertThrows(XenopsError.class, () -> xenopsd(host).vbdStat("t", disk))
                            .code());
            assertEquals(
                    List.of("DEVICE_ALREADY_DETACHED", d.toWireString()),
                    fails(host, c, "VBD.unplug_force_no_safety_check", d.toWireString()));
        }
    }
}
