package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.Pool;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;

/**
 * A member that died for good, through the Citrix SDK on the master of a two-host pool: {@code host.declare_dead}
 * and {@code host.destroy} refused while the host answers (and for the master), then, the member stopped, its VM
 * reset to Halted, the host disabled and forgotten, and the VM started again on the master. Also the host calls
 * that answer from the database alone.
 */
class DeadHostsSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static TwoHostPool pool;
    static TestHost master;
    static ConcurrencySupport.Recording c;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(dirA, dirB);
        master = pool.master();
        c = ConcurrencySupport.login(master);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    static Db db() {
        return master.server.services().data();
    }

    @Test
    void aDeadMemberIsDeclaredDeadThenForgotten() throws Exception {
        String a = master.server.services().hostRef();
        String b = pool.member().server.services().hostRef();
        Host hostA = Types.toHost(a);
        Host hostB = Types.toHost(b);
        // alive: refused, nothing changes
        assertEquals(List.of("HOST_IS_LIVE", a), ConcurrencySupport.errorOf(c, () -> hostA.declareDead(c)));
        assertEquals(List.of("HOST_IS_LIVE", b), ConcurrencySupport.errorOf(c, () -> hostB.declareDead(c)));
        assertEquals(List.of("HOST_IS_LIVE", b), ConcurrencySupport.errorOf(c, () -> hostB.destroy(c)));
        assertTrue(hostB.getEnabled(c));

        VM vm = LifecycleSupport.newVm(master, c, "on-the-dead");
        vm.startOn(c, hostB, false, false);
        // VM.power_state_reset asks the member too: it still runs the VM
        assertEquals(List.of("HOST_IS_LIVE", b), ConcurrencySupport.errorOf(c, () -> vm.powerStateReset(c)));
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));

        pool.member().close(); // the member dies; the database still says it is live and runs the VM
        assertEquals(List.of("HOST_HAS_RESIDENT_VMS", b), ConcurrencySupport.errorOf(c, () -> hostB.destroy(c)));

        hostB.declareDead(c);
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        assertTrue(Refs.isNull(vm.getResidentOn(c).toWireString()));
        assertFalse(hostB.getEnabled(c));

        long cpusBefore = Long.parseLong(db().get(pool(), Pool.CPU_INFO).get("cpu_count"));
        long cpusOfA = Long.parseLong(hostA.getCpuInfo(c).get("cpu_count"));
        hostB.destroy(c);
        assertEquals(List.of(a), db().all(org.xapijava.model.api.Host.XAPI_CLASS));
        assertEquals(List.of(), db().where(PIF.HOST, b));
        assertTrue(db().where(org.xapijava.model.api.PBD.HOST, b).isEmpty());
        long cpusAfter = Long.parseLong(db().get(pool(), Pool.CPU_INFO).get("cpu_count"));
        assertEquals(cpusOfA, cpusAfter);
        assertTrue(cpusAfter < cpusBefore, cpusBefore + " -> " + cpusAfter);

        // the VM is the pool's again: a start without a host has only the master left
        vm.start(c, false, false);
        assertEquals(a, vm.getResidentOn(c).toWireString());
        vm.hardShutdown(c);
    }

    @Test
    void hostCallsAnsweredFromTheDatabase() throws Exception {
        String a = master.server.services().hostRef();
        Host hostA = Types.toHost(a);
        assertEquals(db().get(a, org.xapijava.model.api.Host.MEMORY_OVERHEAD), hostA.computeMemoryOverhead(c));
        // not in the SDK's generated client: through the dispatcher as a remote caller
        String session = master.login();
        String management = (String) master.ok("host.get_management_interface", session, a);
        assertEquals(a, db().get(management, PIF.HOST));
        assertTrue(db().get(management, PIF.MANAGEMENT));
        assertTrue(hostA.getUncooperativeResidentVMs(c).isEmpty());
        assertEquals(
                List.of("NOT_IMPLEMENTED", "list_method"), ConcurrencySupport.errorOf(c, () -> Host.listMethods(c)));
    }

    static String pool() {
        return db().all(Pool.XAPI_CLASS).get(0);
    }
}
