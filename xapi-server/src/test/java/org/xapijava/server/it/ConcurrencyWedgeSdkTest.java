package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.sim.Simulator;

/**
 * {@code VM.start} against a wedged xenopsd (the simulator's {@code DEBUG.trigger "wedge"}: its socket stops
 * answering, the work already queued goes on). Xapi's own client waits for ever; ours gives up after its call timeout
 * with {@code INTERNAL_ERROR ["xenopsd did not answer in time: ..."]}. Either way Xapi's start error path
 * ({@code Xapi_xenops.start}: {@code set_resident_on} on any exception) hands the VM to the event thread, so once
 * xenopsd answers again the VM shows what the simulator did: Halted if the start never reached it, Running if it
 * went through. Nothing may stay marked.
 *
 * <p>The wedge is ended directly on the in-process simulator (a {@code DEBUG.trigger} over the socket would wait
 * behind it).
 */
class ConcurrencyWedgeSdkTest {
    /** The call timeout the test host is given, so that a wedge is detected in seconds. */
    private static final String CALL_TIMEOUT_MS = "2000";
    /** Longer than every timeout the start can meet; the test ends the wedge itself. */
    private static final String WEDGE_SECONDS = "120";

    @TempDir
    Path dir;

    TestHost host;
    ConcurrencySupport.Recording c;

    @BeforeEach
    void start() throws Exception {
        host = TestHost.start(dir, "--xenopsd-call-timeout-ms", CALL_TIMEOUT_MS, "--xenopsd-reconnect-max-ms", "100");
        c = ConcurrencySupport.login(host);
    }

    @AfterEach
    void stop() throws Exception {
        if (host != null) {
            unwedge();
            host.close();
        }
    }

    private Simulator simulator() {
        return host.server.embeddedXenopsd().simulator();
    }

    private void wedge() {
        simulator().debugTrigger("test", "wedge", List.of(WEDGE_SECONDS));
    }

    private void unwedge() {
        simulator().debugTrigger("test", "wedge", List.of("0"));
    }

    /** The power state the simulator gives the VM (Halted when it does not know it). */
    private PowerState simulated(String uuid) {
        Xenops x = simulator();
        return x.vmExists("test", uuid) ? x.vmStat("test", uuid).state().powerState() : PowerState.Halted;
    }

    /** Waits until xapi shows the simulator's power state for the VM, with nothing marked. */
    private void awaitConsistent(VM vm) throws Exception {
        String uuid = vm.getUuid(c);
        try {
            LifecycleSupport.await(host, "xapi's power state follows the simulator's", () -> {
                PowerState sim = simulated(uuid);
                Types.VmPowerState ours = vm.getPowerState(c);
                return ours.toString().equalsIgnoreCase(sim.toString())
                        && vm.getCurrentOperations(c).isEmpty();
            });
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + ": simulator " + simulated(uuid) + ", xapi " + vm.getPowerState(c)
                            + " resident_on " + vm.getResidentOn(c).toWireString() + ", marked "
                            + ConcurrencySupport.marked(host),
                    e);
        }
        ConcurrencySupport.assertNothingMarked(host);
    }

    private static void assertTimedOut(List<String> error) {
        assertEquals(2, error.size(), error.toString());
        assertEquals("INTERNAL_ERROR", error.get(0));
        assertTrue(error.get(1).startsWith("xenopsd did not answer in time"), error.get(1));
    }

    @Test
    void aStartThatNeverReachesAWedgedXenopsdFailsAndLeavesTheVmHalted() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "wedged-before");
        wedge();
        List<String> error = ConcurrencySupport.errorOf(c, () -> vm.start(c, false, false));
        assertTimedOut(error);
        unwedge();
        awaitConsistent(vm);
        vm.start(c, false, false); // and xenopsd serves it normally again
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        vm.hardShutdown(c);
        awaitConsistent(vm);
    }

    @Test
    void aStartCutOffByAWedgeMidwayEndsAsTheSimulatorLeftIt() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "wedged-during");
        // the build lasts long enough to wedge the socket while xapi waits on xenopsd's task
        ConcurrencySupport.setDelay(host, "VM_hook_script", 300);
        ConcurrencySupport.setDelay(host, "VM_build", 1000);
        Task start = vm.startAsync(c, false, false);
        LifecycleSupport.await(host, "the start's xenopsd task is bound", () -> start.getProgress(c) > 0.0);
        wedge();
        // xapi may be inside a 30 s UPDATES.get long poll when the wedge starts: that call fails only after its
        // poll time plus the 2 s call timeout
        Task.Record r = LifecycleSupport.awaitTask(host, c, start, java.time.Duration.ofSeconds(90));
        assertEquals(Types.TaskStatusType.FAILURE, r.status);
        assertTimedOut(List.copyOf(r.errorInfo));
        unwedge();
        awaitConsistent(vm);
        ConcurrencySupport.setDelay(host, "VM_hook_script", 0);
        ConcurrencySupport.setDelay(host, "VM_build", 0);
        if (vm.getPowerState(c) != Types.VmPowerState.HALTED) vm.hardShutdown(c);
        awaitConsistent(vm);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
    }
}
