package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VMMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The VM power lifecycle through the Citrix SDK against a host with the embedded xenopsd simulator: start,
 * pause/unpause, reboot, suspend/resume, shutdowns, start paused, power_state_reset, and the database as Xapi
 * leaves it after each (power state, domid, residence, devices, metrics).
 */
class LifecycleTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = LifecycleSupport.login(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static Host thisHost() {
        return com.xensource.xenapi.Types.toHost(host.server.services().hostRef());
    }

    private static List<String> raw(String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static void assertHalted(VM vm) throws Exception {
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertEquals(-1L, r.domid);
        assertEquals("OpaqueRef:NULL", r.residentOn.toWireString());
        assertEquals(
                "OpaqueRef:NULL",
                host.server.services().db().get("VM", vm.toWireString(), "scheduled_to_be_resident_on"));
        for (VBD vbd : r.VBDs) assertFalse(vbd.getCurrentlyAttached(c), "VBD detached");
        for (VIF vif : r.VIFs) assertFalse(vif.getCurrentlyAttached(c), "VIF detached");
        assertTrue(r.currentOperations.isEmpty(), "nothing marked: " + r.currentOperations);
    }

    @Test
    void startPauseRebootShutdown() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "life");
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        vm.start(c, false, false);
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertTrue(r.domid > 0, "domid " + r.domid);
        assertEquals(thisHost().toWireString(), r.residentOn.toWireString());
        assertEquals(
                "OpaqueRef:NULL",
                host.server.services().db().get("VM", vm.toWireString(), "scheduled_to_be_resident_on"));
        for (VIF vif : r.VIFs) assertTrue(vif.getCurrentlyAttached(c), "VIF attached");
        for (VBD vbd : r.VBDs) assertTrue(vbd.getCurrentlyAttached(c), "the HVM guest's empty CD drive is attached");
        VMMetrics.Record m = r.metrics.getRecord(c);
        assertEquals(1L, m.VCPUsNumber);
        assertEquals(256L << 20, m.memoryActual);
        assertTrue(m.startTime.getTime() > 0, "start_time " + m.startTime);
        assertEquals(Types.DomainType.HVM, m.currentDomainType);
        assertTrue(r.memoryOverhead > 0, "memory_overhead recorded at start");
        assertEquals("qemu-upstream-compat", r.platform.get("device-model"));
        assertTrue(thisHost().getResidentVMs(c).contains(vm));

        List<String> again = raw("VM.start", vm.toWireString(), false, false);
        assertEquals("VM_BAD_POWER_STATE", again.get(0), again.toString());
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c), "a refused start changes nothing");

        vm.pause(c);
        assertEquals(Types.VmPowerState.PAUSED, vm.getPowerState(c));
        vm.unpause(c);
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));

        long domid = vm.getDomid(c);
        vm.cleanReboot(c);
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        assertNotEquals(domid, vm.getDomid(c), "a reboot makes a new domain");

        domid = vm.getDomid(c);
        vm.hardReboot(c);
        assertNotEquals(domid, vm.getDomid(c));

        vm.cleanShutdown(c);
        assertHalted(vm);
        assertFalse(thisHost().getResidentVMs(c).contains(vm));
        // xenopsd forgot the VM: its metadata is removed on halt
        assertFalse(host.server.xenops().xenops().vmExists("test", vm.getUuid(c)));
    }

    @Test
    void suspendAndResume() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "sleeper");
        vm.start(c, false, false);
        vm.suspend(c);
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.SUSPENDED, r.powerState);
        assertEquals("OpaqueRef:NULL", r.residentOn.toWireString());
        assertEquals(-1L, r.domid);
        VDI image = r.suspendVDI;
        VDI.Record ir = image.getRecord(c);
        assertEquals(Types.VdiType.SUSPEND, ir.type);
        assertEquals("Suspend image", ir.nameLabel);
        assertFalse(r.lastBootedRecord.isEmpty(), "last_booted_record from xenopsd's metadata");
        for (VIF vif : r.VIFs) assertTrue(vif.getCurrentlyAttached(c), "a suspended VM keeps its devices");

        vm.resume(c, false, false);
        r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals("OpaqueRef:NULL", r.suspendVDI.toWireString());
        assertTrue(r.domid > 0);
        assertThrows(Types.HandleInvalid.class, () -> image.getRecord(c), "the image is destroyed after resume");

        vm.hardShutdown(c);
        assertHalted(vm);
    }

    @Test
    void startPausedHardShutdownAndPowerStateReset() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "paused");
        vm.start(c, true, false);
        assertEquals(Types.VmPowerState.PAUSED, vm.getPowerState(c));
        assertTrue(vm.getDomid(c) > 0);
        vm.hardShutdown(c);
        assertHalted(vm);
        vm.start(c, false, false);
        // xenopsd says it runs: the reset is refused
        assertEquals(List.of("DOMAIN_EXISTS", vm.toWireString()), raw("VM.power_state_reset", vm.toWireString()));
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        vm.hardShutdown(c);
        assertHalted(vm);
        vm.powerStateReset(c);
        assertHalted(vm);
        // a control domain is never reset
        VM dom0 = null;
        for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet())
            if (e.getValue().isControlDomain) dom0 = e.getKey();
        assertEquals(
                List.of("CANNOT_RESET_CONTROL_DOMAIN", dom0.toWireString()),
                raw("VM.power_state_reset", dom0.toWireString()));
    }

    @Test
    void startOnAndResumeOnThisHostAndShutdownOfASuspendedVm() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "placed");
        String bogus = "OpaqueRef:" + java.util.UUID.randomUUID();
        assertEquals(
                List.of("HANDLE_INVALID", "host", bogus), raw("VM.start_on", vm.toWireString(), bogus, false, false));
        assertHalted(vm);
        vm.startOn(c, thisHost(), false, false);
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        vm.suspend(c);
        vm.resumeOn(c, thisHost(), true, false);
        assertEquals(Types.VmPowerState.PAUSED, vm.getPowerState(c), "resumed paused");
        vm.unpause(c);
        vm.suspend(c);
        VDI image = vm.getSuspendVDI(c);
        // VM.shutdown of a suspended VM: the image goes, the VM is Halted
        vm.shutdown(c);
        assertHalted(vm);
        assertEquals("OpaqueRef:NULL", vm.getSuspendVDI(c).toWireString());
        assertThrows(Types.HandleInvalid.class, () -> image.getRecord(c));
        vm.start(c, false, false);
        vm.shutdown(c); // a clean shutdown of a running VM
        assertHalted(vm);
    }
}
