package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code host.reboot} and {@code host.shutdown} through the Citrix SDK: refused on an enabled host; on a disabled
 * one the call answers at once with the host marked {@code shutdown}, then its running VM is shut down, its PBDs
 * unplugged, the marking cleared, and the agent restarted (reboot) or stopped for good (shutdown).
 */
class HostPowerOffSdkTest {
    @TempDir
    Path dir;

    @Test
    void rebootEmptiesTheHostThenRestartsItsAgent() throws Exception {
        try (TestHost host = TestHost.start(dir.resolve("a"), "--host-poweroff-delay-seconds", "1")) {
            ConcurrencySupport.Recording c = ConcurrencySupport.login(host);
            Host me = Types.toHost(host.server.services().hostRef());
            String ref = me.toWireString();
            assertEquals(List.of("HOST_NOT_DISABLED"), ConcurrencySupport.errorOf(c, () -> me.reboot(c)));

            VM vm = LifecycleSupport.newVm(host, c, "running-at-reboot");
            vm.start(c, false, false);
            me.disable(c);
            me.reboot(c);
            assertTrue(me.getCurrentOperations(c).containsValue(Types.HostAllowedOperations.SHUTDOWN));
            assertFalse(host.server.restartRequested().isDone(), "the call answers before the power-off");
            host.server.restartRequested().get(120, TimeUnit.SECONDS);
            assertFalse(host.server.stopRequested().isDone(), "a reboot starts the agent again");
            assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
            for (PBD pbd : me.getPBDs(c))
                assertFalse(
                        pbd.getCurrentlyAttached(c),
                        pbd.getSR(c).getType(c) + " " + pbd.getSR(c).getNameLabel(c));
            assertFalse(me.getCurrentOperations(c).containsValue(Types.HostAllowedOperations.SHUTDOWN));
            assertEquals(ref, host.server.services().hostRef());
        }
    }

    @Test
    void shutdownStopsTheAgentForGood() throws Exception {
        try (TestHost host = TestHost.start(dir.resolve("b"), "--host-poweroff-delay-seconds", "1")) {
            ConcurrencySupport.Recording c = ConcurrencySupport.login(host);
            Host me = Types.toHost(host.server.services().hostRef());
            me.disable(c);
            me.shutdown(c);
            host.server.stopRequested().get(120, TimeUnit.SECONDS);
        }
    }
}
