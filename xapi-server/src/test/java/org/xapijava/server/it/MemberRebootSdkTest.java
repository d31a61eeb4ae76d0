package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code host.reboot} of a member through the master (Citrix SDK): forwarded to the member, which empties itself
 * through the master as Xapi's {@code prepare_for_poweroff} does: its running VM, which can go elsewhere, is
 * live-migrated to the master, and the member's agent asks to be started again.
 */
class MemberRebootSdkTest {
    @TempDir
    Path dirA;

    @TempDir
    Path dirB;

    @Test
    void aRebootedMemberEvacuatesItsVmsToTheOtherHost() throws Exception {
        try (TwoHostPool pool = TwoHostPool.start(dirA, dirB, "--host-poweroff-delay-seconds", "1")) {
            ConcurrencySupport.Recording c = ConcurrencySupport.login(pool.master());
            String a = pool.master().server.services().hostRef();
            Host b = Types.toHost(pool.member().server.services().hostRef());
            VM vm = LifecycleSupport.newVm(pool.master(), c, "on-the-rebooted");
            vm.startOn(c, b, false, false);
            b.disable(c);
            b.reboot(c);
            pool.member().server.restartRequested().get(120, TimeUnit.SECONDS);
            assertFalse(pool.member().server.stopRequested().isDone());
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            assertEquals(a, vm.getResidentOn(c).toWireString());
            vm.hardShutdown(c);
        }
    }
}
