package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * Restarts: xapi restarted while VMs run (same data directory; the embedded simulator keeps its state
 * directory) loses nothing; a xenopsd that dies gives errors and leaves no half-started VM, and once it is
 * back the event thread reconnects and resynchronises; a simulator that comes back without a VM (as after a
 * host reboot) has that VM reset to Halted.
 */
class LifecycleRestartTest {
    /**
     * Reconnection attempts at most this far apart, so that recovery is quick; the simulator's VM_create
     * takes 1 ms, its memory the default.
     */
    private static final String[] FAST_RECONNECT = java.util.stream.Stream.concat(
                    java.util.stream.Stream.of("--xenopsd-reconnect-max-ms", "100"),
                    java.util.stream.Stream.of(TestHost.simulator("VM_create=1", 1024L * 1024)))
            .toArray(String[]::new);

    @TempDir
    Path dir;

    private static List<String> raw(TestHost host, Connection c, String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static void assertCleanlyHalted(TestHost host, Connection c, VM vm) throws Exception {
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertEquals("OpaqueRef:NULL", r.residentOn.toWireString());
        assertEquals(-1L, r.domid);
        assertTrue(r.currentOperations.isEmpty(), "nothing marked: " + r.currentOperations);
        for (VBD vbd : r.VBDs) assertFalse(vbd.getCurrentlyAttached(c));
        for (VIF vif : r.VIFs) assertFalse(vif.getCurrentlyAttached(c));
    }

    @Test
    void xapiRestartedWhileVmsRunKeepsThemRunning() throws Exception {
        String running;
        String halted;
        long domid;
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM a = LifecycleSupport.newVm(host, c, "survivor");
            VM b = LifecycleSupport.newVm(host, c, "idle");
            a.start(c, false, false);
            b.start(c, false, false);
            b.cleanShutdown(c);
            running = a.toWireString();
            halted = b.toWireString();
            domid = a.getDomid(c);
        }
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM a = Types.toVM(running);
            VM.Record r = a.getRecord(c);
            assertEquals(Types.VmPowerState.RUNNING, r.powerState);
            assertEquals(domid, r.domid);
            assertEquals(host.server.services().hostRef(), r.residentOn.toWireString());
            for (VIF vif : r.VIFs) assertTrue(vif.getCurrentlyAttached(c));
            assertEquals(Types.VmPowerState.HALTED, Types.toVM(halted).getPowerState(c));
            // the restarted xapi drives the VM it found running
            java.util.Date started = a.getMetrics(c).getStartTime(c);
            a.cleanReboot(c);
            assertEquals(Types.VmPowerState.RUNNING, a.getPowerState(c));
            assertTrue(a.getDomid(c) > 0);
            assertFalse(a.getMetrics(c).getStartTime(c).before(started));
            a.cleanShutdown(c);
            assertCleanlyHalted(host, c, a);
        }
    }

    @Test
    void aDeadXenopsdGivesErrorsAndIsResynchronisedWhenBack() throws Exception {
        try (TestHost host = TestHost.start(dir, FAST_RECONNECT)) {
            Connection c = LifecycleSupport.login(host);
            VM a = LifecycleSupport.newVm(host, c, "runner");
            VM b = LifecycleSupport.newVm(host, c, "waiter");
            a.start(c, false, false);
            long domid = a.getDomid(c);
            long connections = host.server.xenops().connections();

            host.server.embeddedXenopsd().stop();
            Path socket = host.server.xenops().socket();
            assertEquals(
                    List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.ENOENT, \"connect\", \"\")"),
                    raw(host, c, "VM.start", b.toWireString(), false, false));
            assertCleanlyHalted(host, c, b);
            List<String> e = raw(host, c, "VM.clean_shutdown", a.toWireString());
            assertEquals("INTERNAL_ERROR", e.get(0), e.toString());
            assertEquals(Types.VmPowerState.RUNNING, a.getPowerState(c), "nothing is known: the VM is left as it was");
            assertTrue(a.getCurrentOperations(c).isEmpty());
            assertFalse(Files.exists(socket));

            host.server.embeddedXenopsd().start();
            assertTrue(
                    host.server.xenops().awaitConnections(connections, Duration.ofSeconds(20)),
                    "the event thread reconnects");
            assertEquals(Types.VmPowerState.RUNNING, a.getPowerState(c));
            assertEquals(domid, a.getDomid(c));
            b.start(c, false, false);
            assertEquals(Types.VmPowerState.RUNNING, b.getPowerState(c));
            a.cleanShutdown(c);
            b.hardShutdown(c);
            assertCleanlyHalted(host, c, a);
            assertCleanlyHalted(host, c, b);
        }
    }

    @Test
    void aVmTheRestartedSimulatorDoesNotKnowIsReset() throws Exception {
        try (TestHost host = TestHost.start(dir, FAST_RECONNECT)) {
            Connection c = LifecycleSupport.login(host);
            VM lost = LifecycleSupport.newVm(host, c, "lost");
            VM kept = LifecycleSupport.newVm(host, c, "kept");
            lost.start(c, false, false);
            kept.start(c, false, false);
            long connections = host.server.xenops().connections();

            host.server.embeddedXenopsd().stop();
            // the hypervisor lost this domain (as after a host reboot): its state file is gone
            Path state = dir.resolve("xenopsd").resolve("vms").resolve(lost.getUuid(c) + ".json");
            assertTrue(Files.exists(state), "the simulator keeps " + state);
            Files.delete(state);
            host.server.embeddedXenopsd().start();

            assertTrue(host.server.xenops().awaitConnections(connections, Duration.ofSeconds(20)));
            LifecycleSupport.await(
                    host, "the lost VM is reset", () -> lost.getPowerState(c) == Types.VmPowerState.HALTED);
            assertCleanlyHalted(host, c, lost);
            assertEquals(Types.VmPowerState.RUNNING, kept.getPowerState(c));
            lost.start(c, false, false);
            assertEquals(Types.VmPowerState.RUNNING, lost.getPowerState(c));
            kept.hardShutdown(c);
            lost.hardShutdown(c);
        }
    }
}
