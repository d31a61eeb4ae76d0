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
        powerOn(hostB);

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

    /**
     * {@code host.power_on} of the stopped member, run on the master: refused while no mode is set and while the
     * {@code power-on-host} plugin is missing, then the plugin run with the host's uuid; {@code set_power_on_mode}
     * destroys the secrets of the configuration it replaces.
     */
    void powerOn(Host hostB) throws Exception {
        PoolHost.await("B not live", java.time.Duration.ofSeconds(30), () -> {
            try {
                return !hostB.getMetrics(c).getLive(c);
            } catch (Exception e) {
                return false;
            }
        });
        String b = hostB.toWireString();
        assertEquals(List.of("HOST_POWER_ON_MODE_DISABLED"), ConcurrencySupport.errorOf(c, () -> hostB.powerOn(c)));
        var secret = com.xensource.xenapi.Secret.create(c, secretRecord("pw"));
        String secretUuid = secret.getUuid(c);
        hostB.setPowerOnMode(
                c, "IPMI", java.util.Map.of("power_on_ip", "192.0.2.9", "power_on_password_secret", secretUuid));
        assertEquals("IPMI", hostB.getPowerOnMode(c));
        assertEquals(
                List.of("XENAPI_MISSING_PLUGIN", "power-on-host"),
                ConcurrencySupport.errorOf(c, () -> hostB.powerOn(c)));
        hostB.setPowerOnMode(c, "wake-on-lan", java.util.Map.of());
        assertEquals(java.util.Map.of(), hostB.getPowerOnConfig(c));
        assertEquals(
                List.of("UUID_INVALID", "secret", secretUuid),
                ConcurrencySupport.errorOf(c, () -> com.xensource.xenapi.Secret.getByUuid(c, secretUuid)));

        java.nio.file.Path plugins = java.nio.file.Files.createDirectories(dirA.resolve("plugins"));
        java.nio.file.Path called = dirA.resolve("power-on-called");
        java.nio.file.Path exe = plugins.resolve("power-on-host");
        java.nio.file.Files.writeString(
                exe,
                "#!/bin/sh\nprintf '%s' \"$1\" > " + called + "\nprintf '<methodResponse><params><param><value><struct>"
                        + "<member><name>Status</name><value>Success</value></member><member><name>Value</name>"
                        + "<value>True</value></member></struct></value></param></params></methodResponse>'\n");
        java.nio.file.Files.setPosixFilePermissions(
                exe, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        hostB.powerOn(c);
        String call = java.nio.file.Files.readString(called);
        assertTrue(call.contains("<methodName>main</methodName>"), call);
        assertTrue(call.contains(db().get(b, org.xapijava.model.api.Host.UUID)), call);
        // a plugin that does not answer True: Xapi's failure
        java.nio.file.Files.writeString(exe, java.nio.file.Files.readString(exe).replace("True", "False"));
        assertEquals(
                List.of("INTERNAL_ERROR", "Failure(\"The host failed to power on.\")"),
                ConcurrencySupport.errorOf(c, () -> hostB.powerOn(c)));
    }

    static com.xensource.xenapi.Secret.Record secretRecord(String value) {
        var r = new com.xensource.xenapi.Secret.Record();
        r.value = value;
        r.otherConfig = java.util.Map.of();
        return r;
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
