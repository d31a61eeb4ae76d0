package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.failed;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.VbdStat;
import org.xapijava.xenopsd.VifStat;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/** A VM's whole life through the client, the socket server and the simulator. */
class SimulatorLifecycleTest {

    @TempDir
    Path dir;

    SimFixture f;
    XenopsClient x;

    @BeforeEach
    void start() throws Exception {
        f = new SimFixture(dir, Simulator.Config.inMemory());
        x = f.client;
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private PowerState power(String vm) {
        return x.vmStat("t", vm).state().powerState();
    }

    @Test
    void fullLifecycle() throws Exception {
        String vm = "11111111-2222-3333-4444-555555555555";
        Metadata md = SimFixture.metadata(vm, 1L << 30);
        assertEquals(vm, x.vmImportMetadata("t", md));
        assertTrue(x.vmExists("t", vm));
        assertEquals(PowerState.Halted, power(vm));
        assertEquals(md.vm(), x.vmStat("t", vm).vm());

        // start: the domain is left paused
        ok(x, x.vmStart("t", vm, false));
        VmStat st = x.vmStat("t", vm);
        assertEquals(PowerState.Paused, st.state().powerState());
        assertEquals(1, st.state().domids().size());
        int domid = st.state().domids().get(0);
        assertTrue(domid > 0);
        x.debugTrigger("t", "check-vbd-plug-ordering", List.of(vm));
        for (VbdStat v : x.vbdList("t", vm)) {
            assertTrue(v.state().plugged(), v.vbd().id().toString());
            assertTrue(v.state().active());
            assertEquals(v.vbd().backend(), v.state().backendPresent());
        }
        VifStat nic = x.vifStat("t", new DeviceId(vm, "0"));
        assertTrue(nic.state().plugged());
        assertEquals("vif" + domid + ".0", nic.state().device());

        ok(x, x.vmUnpause("t", vm));
        assertEquals(PowerState.Running, power(vm));
        assertEquals(List.of(domid), x.vmStat("t", vm).state().domids());
        assertEquals(1L << 30, x.vmStat("t", vm).state().memoryActual());

        ok(x, x.vmPause("t", vm));
        assertEquals(PowerState.Paused, power(vm));
        ok(x, x.vmUnpause("t", vm));
        assertEquals(PowerState.Running, power(vm));

        // clean reboot: a new domain, running
        ok(x, x.vmReboot("t", vm, 30.0));
        st = x.vmStat("t", vm);
        assertEquals(PowerState.Running, st.state().powerState());
        int domid2 = st.state().domids().get(0);
        assertNotEquals(domid, domid2);

        // suspend to a local file, resume from it
        Path image = dir.resolve("suspend.img");
        ok(x, x.vmSuspend("t", vm, new Disk.Local(image.toString())));
        assertEquals(PowerState.Suspended, power(vm));
        assertTrue(Files.readString(image).contains("vm=" + vm));
        for (VbdStat v : x.vbdList("t", vm)) assertFalse(v.state().plugged());
        ok(x, x.vmResume("t", vm, new Disk.Local(image.toString())));
        assertEquals(PowerState.Paused, power(vm));
        assertTrue(x.vbdStat("t", new DeviceId(vm, "xvda")).state().plugged());
        ok(x, x.vmUnpause("t", vm));
        assertEquals(PowerState.Running, power(vm));

        // clean shutdown: Halted, devices unplugged and inactive
        ok(x, x.vmShutdown("t", vm, 60.0));
        st = x.vmStat("t", vm);
        assertEquals(PowerState.Halted, st.state().powerState());
        assertEquals(List.of(), st.state().domids());
        for (VbdStat v : x.vbdList("t", vm)) {
            assertFalse(v.state().plugged());
            assertFalse(v.state().active());
        }

        // start again and hard shutdown
        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
        ok(x, x.vmShutdown("t", vm, null));
        assertEquals(PowerState.Halted, power(vm));

        x.vmRemove("t", vm);
        assertFalse(x.vmExists("t", vm));
    }

    @Test
    void suspendToVdiAndResumeFromIt() {
        String vm = "vm-vdi";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
        Disk img = Disk.Vdi.of("sr1", "suspend-image");
        ok(x, x.vmSuspend("t", vm, img));
        assertEquals(PowerState.Suspended, power(vm));
        ok(x, x.vmResume("t", vm, img));
        ok(x, x.vmUnpause("t", vm));
        assertEquals(PowerState.Running, power(vm));
    }

    @Test
    void resumeFromWhatIsNoImageFailsAndTheVmStaysSuspended() throws Exception {
        x.vmImportMetadata("t", SimFixture.metadata("a", 1L << 30));
        x.vmImportMetadata("t", SimFixture.metadata("b", 1L << 30));
        Path ia = dir.resolve("a.img");
        Path ib = dir.resolve("b.img");
        for (String vm : List.of("a", "b")) {
            ok(x, x.vmStart("t", vm, false));
            ok(x, x.vmSuspend("t", vm, new Disk.Local(dir.resolve(vm + ".img").toString())));
        }
        Path junk = dir.resolve("junk.img");
        java.nio.file.Files.writeString(junk, "not a suspend image\n");
        XenopsError e = failed(x, x.vmResume("t", "a", new Disk.Local(junk.toString())));
        assertEquals("Internal_error", e.code());
        assertEquals(PowerState.Suspended, power("a"));
        ok(x, x.vmResume("t", "a", new Disk.Local(ia.toString())));
        assertEquals(PowerState.Paused, power("a"));
        // an image moves with its VM: another VM's (an imported VM's, under a new uuid) resumes too, as Xen's
        ok(x, x.vmResume("t", "b", new Disk.Local(ia.toString())));
        assertEquals(PowerState.Paused, power("b"));
        java.nio.file.Files.deleteIfExists(ib);
    }

    @Test
    void errorsAreXenopsdErrors() {
        String vm = "vm-err";
        // unknown VM: Does_not_exist with xenopsd's key
        XenopsError e = assertThrows(XenopsError.class, () -> x.vmStat("t", vm));
        assertEquals("Does_not_exist", e.code());
        assertEquals(List.of("VM", vm + "/config"), e.args());
        e = failed(x, x.vmStart("t", vm, false));
        assertEquals("Does_not_exist", e.code());
        e = assertThrows(XenopsError.class, () -> x.taskStat("t", "999999"));
        assertEquals(List.of("task", "999999"), e.args());

        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        // reboot and resume of a halted VM
        e = failed(x, x.vmReboot("t", vm, null));
        assertEquals("Bad_power_state", e.code());
        assertEquals(List.of(PowerState.Halted, PowerState.Running), e.args());
        e = failed(x, x.vmPause("t", vm));
        assertEquals(List.of("domain", vm), e.args());

        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
        e = failed(x, x.vmStart("t", vm, false));
        assertEquals(List.of(PowerState.Running, PowerState.Halted), e.args());
        e = failed(x, x.vmResume("t", vm, new Disk.Vdi("sr/x")));
        assertEquals(List.of(PowerState.Running, PowerState.Suspended), e.args());
        // a running VM cannot be removed, nor its plugged devices
        e = assertThrows(XenopsError.class, () -> x.vmRemove("t", vm));
        assertEquals(List.of(PowerState.Running, PowerState.Halted), e.args());
        e = assertThrows(XenopsError.class, () -> x.vbdRemove("t", new DeviceId(vm, "xvda")));
        assertEquals("Device_is_connected", e.code());
        e = assertThrows(XenopsError.class, () -> x.vbdStat("t", new DeviceId(vm, "nope")));
        assertEquals(List.of("VM", vm + "/vbd.nope"), e.args());
        // a disk cannot be ejected
        e = failed(x, x.vbdEject("t", new DeviceId(vm, "xvda")));
        assertEquals("Media_not_ejectable", e.code());
        e = assertThrows(XenopsError.class, () -> x.debugTrigger("t", "no-such-command", List.of()));
        assertEquals(List.of("no-such-command"), e.args());
    }

    @Test
    void notEnoughMemory() {
        try (SimFixture small = newSmallHost()) {
            XenopsClient c = small.client;
            c.vmImportMetadata("t", SimFixture.metadata("big1", 3L << 30));
            c.vmImportMetadata("t", SimFixture.metadata("big2", 3L << 30));
            ok(c, c.vmStart("t", "big1", false));
            XenopsError e = failed(c, c.vmStart("t", "big2", false));
            assertEquals("Not_enough_memory", e.code());
            assertEquals(List.of(3L << 30), e.args());
            // the failed start left nothing behind
            assertEquals(PowerState.Halted, c.vmStat("t", "big2").state().powerState());
            ok(c, c.vmShutdown("t", "big1", null));
            ok(c, c.vmStart("t", "big2", false));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private SimFixture newSmallHost() throws Exception {
        Path d = dir.resolve("small");
        Files.createDirectories(d);
        return new SimFixture(d, Simulator.Config.inMemory().withTotalMemoryMib(4096));
    }

    @Test
    void vbdAndVifHotplug() {
        String vm = "vm-hot";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        ok(x, x.vmStart("t", vm, false));
        DeviceId extra = new DeviceId(vm, "xvdb");
        x.vbdAdd(
                "t",
                org.xapijava.xenopsd.Vbd.of(
                        extra,
                        null,
                        org.xapijava.xenopsd.Vbd.Mode.ReadWrite,
                        Disk.Vdi.of("sr1", "disk1"),
                        org.xapijava.xenopsd.Vbd.Type.Disk));
        assertFalse(x.vbdStat("t", extra).state().plugged());
        ok(x, x.vbdPlug("t", extra));
        VbdStat s = x.vbdStat("t", extra);
        assertTrue(s.state().plugged());
        XenopsError e = failed(x, x.vbdPlug("t", extra));
        assertEquals("Already_exists", e.code());
        ok(x, x.vbdUnplug("t", extra, false));
        assertFalse(x.vbdStat("t", extra).state().plugged());
        e = failed(x, x.vbdUnplug("t", extra, false));
        assertEquals("Device_not_connected", e.code());
        x.vbdRemove("t", extra);
        assertEquals(2, x.vbdList("t", vm).size());

        DeviceId nic = new DeviceId(vm, "0");
        ok(x, x.vifUnplug("t", nic, false));
        assertFalse(x.vifStat("t", nic).state().plugged());
        ok(x, x.vifPlug("t", nic));
        assertTrue(x.vifStat("t", nic).state().plugged());

        // CD eject and insert
        DeviceId cd = new DeviceId(vm, "xvdd");
        ok(x, x.vbdEject("t", cd));
        assertNull(x.vbdStat("t", cd).state().backendPresent());
        e = failed(x, x.vbdEject("t", cd));
        assertEquals("Media_not_present", e.code());
        ok(x, x.vbdInsert("t", cd, new Disk.Vdi("sr1/other-iso")));
        assertEquals(new Disk.Vdi("sr1/other-iso"), x.vbdStat("t", cd).state().backendPresent());
    }

    @Test
    void mediaChangeNeedsARunningOrPausedDomain() {
        String vm = "vm-media";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        DeviceId cd = new DeviceId(vm, "xvdd");
        // xenopsd's VBD_insert/VBD_eject: the VBD must exist, and its VM run or be paused
        XenopsError e = failed(x, x.vbdEject("t", cd));
        assertEquals("Bad_power_state", e.code());
        assertEquals(List.of(PowerState.Halted, PowerState.Running), e.args());
        e = failed(x, x.vbdInsert("t", cd, new Disk.Vdi("sr1/other-iso")));
        assertEquals("Bad_power_state", e.code());
        e = failed(x, x.vbdInsert("t", new DeviceId(vm, "xvdc"), new Disk.Vdi("sr1/other-iso")));
        assertEquals("Does_not_exist", e.code());
        assertEquals(new Disk.Vdi("sr1/iso"), x.vbdStat("t", cd).vbd().backend(), "nothing changed");

        ok(x, x.vmStart("t", vm, false));
        assertEquals(PowerState.Paused, power(vm));
        ok(x, x.vbdEject("t", cd));
        assertNull(x.vbdStat("t", cd).state().backendPresent());
        ok(x, x.vbdInsert("t", cd, new Disk.Vdi("sr1/other-iso")));
        assertEquals(new Disk.Vdi("sr1/other-iso"), x.vbdStat("t", cd).state().backendPresent());
        ok(x, x.vmUnpause("t", vm));
        ok(x, x.vbdEject("t", cd));
        assertNull(x.vbdStat("t", cd).state().backendPresent());
        assertTrue(x.vbdStat("t", cd).state().plugged(), "an empty drive stays plugged");
    }

    @Test
    void metadataRoundTripsThroughExport() {
        String vm = "vm-md";
        Metadata md = SimFixture.metadata(vm, 1L << 30);
        x.vmImportMetadata("t", md);
        Metadata back = Metadata.fromJson(x.vmExportMetadata("t", vm));
        assertEquals(md.vm(), back.vm());
        assertEquals(md.vbds(), back.vbds());
        assertEquals(md.vifs(), back.vifs());
        assertNull(back.domains());
        // re-importing without a device removes it
        Metadata fewer = Metadata.of(md.vm(), List.of(md.vbds().get(1)), md.vifs());
        x.vmImportMetadata("t", fewer);
        assertEquals(1, x.vbdList("t", vm).size());
    }

    @Test
    void vifWithoutMacGetsXenopsdsHashChainMac() {
        String vm = "vm-mac";
        Metadata md = SimFixture.metadata(vm, 1L << 30);
        org.xapijava.xenopsd.Vif nic =
                org.xapijava.xenopsd.Vif.of(new DeviceId(vm, "1"), 1, "", new org.xapijava.xenopsd.Vif.Local("xenbr0"));
        x.vmImportMetadata("t", Metadata.of(md.vm(), md.vbds(), List.of(nic)));
        String mac = x.vifStat("t", new DeviceId(vm, "1")).vif().mac();
        assertEquals(Macs.hashchainLocalMac(1, vm), mac);
        assertTrue(mac.matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"), mac);
        int first = Integer.parseInt(mac.substring(0, 2), 16);
        assertEquals(2, first & 3, "locally administered unicast");
    }
}
