package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.api.Pool;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Xenops;

/**
 * What a running guest sees and the live calls on it, through the Citrix SDK against a host with the embedded
 * xenopsd simulator: {@code VM.xenstore_data} given at start comes back with the directory xenopsd adds and
 * survives a restart of xapi; {@code set_xenstore_data} reaches a running guest; {@code set_VCPUs_number_live},
 * {@code set_memory_target_live}, {@code wait_memory_target_live} (cancellable), {@code send_sysrq},
 * {@code send_trigger}, {@code s3_suspend}/{@code s3_resume}, with Xapi's errors.
 */
class VmLiveSdkTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /** The error of {@code method(session, args)}, sent through the SDK's transport (it must fail). */
    private static List<String> fails(TestHost host, Connection c, String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static Xenops xenopsd(TestHost host) {
        return host.server.xenops().xenops();
    }

    @Test
    void xenstoreDataSurvivesStartRestartOfXapiAndShutdown() throws Exception {
        Map<String, String> afterStart = map("vm-data", "", "vm-data/foo", "bar");
        String ref;
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "ansible-like");
            vm.setXenstoreData(c, new HashMap<>(map("vm-data/foo", "bar")));
            vm.start(c, false, false);
            // xenopsd wrote the key under the vm-data directory it makes, and reports both back
            assertEquals(afterStart, vm.getXenstoreData(c));
            String uuid = vm.getUuid(c);
            assertEquals(afterStart, xenopsd(host).vmStat("t", uuid).state().xsdataState());
            ref = vm.toWireString();
        }
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = Types.toVM(ref);
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            assertEquals(afterStart, vm.getXenstoreData(c), "the restarted xapi reads the same state");

            // a new value reaches the running guest (the directory stays), and is what a later restart finds
            vm.setXenstoreData(c, new HashMap<>(map("vm-data/foo", "baz", "vm-data/net/ip", "10.0.0.9")));
            Map<String, String> changed =
                    map("vm-data", "", "vm-data/foo", "baz", "vm-data/net", "", "vm-data/net/ip", "10.0.0.9");
            assertEquals(changed, vm.getXenstoreData(c));
            assertEquals(
                    changed, xenopsd(host).vmStat("t", vm.getUuid(c)).state().xsdataState());
        }
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = Types.toVM(ref);
            Map<String, String> changed = vm.getXenstoreData(c);
            assertEquals("baz", changed.get("vm-data/foo"));
            vm.cleanShutdown(c);
            assertEquals(changed, vm.getXenstoreData(c), "a halted VM keeps what it last reported");
            vm.start(c, false, false);
            assertEquals(changed, vm.getXenstoreData(c), "given again at start: the same state");
            // a halted VM's setter only writes the database
            vm.hardShutdown(c);
            vm.setXenstoreData(c, new HashMap<>());
            assertEquals(Map.of(), vm.getXenstoreData(c));
            vm.start(c, false, false);
            assertEquals(map("vm-data", ""), vm.getXenstoreData(c));
        }
    }

    @Test
    void vcpusAreHotPluggedWithinVcpusMaxAndLicensed() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "cpus");
            Db data = host.server.services().data();
            data.set(vm.toWireString(), org.xapijava.model.api.VM.VCPUS_MAX, 2L);

            assertThrows(Types.VmBadPowerState.class, () -> vm.setVCPUsNumberLive(c, 2L));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VM.set_VCPUs_number_live", vm.toWireString(), "2"));

            vm.start(c, false, false);
            vm.setVCPUsNumberLive(c, 2L);
            assertEquals(2L, vm.getVCPUsAtStartup(c));
            assertEquals(2L, vm.getMetrics(c).getVCPUsNumber(c));
            assertEquals(2, xenopsd(host).vmStat("t", vm.getUuid(c)).state().vcpuTarget());
            assertTrue(vm.getCurrentOperations(c).isEmpty());

            for (String bad : List.of("3", "0", "-1")) {
                assertEquals(
                        List.of("INVALID_VALUE", "VCPU values must satisfy: 0 < VCPUs ≤ VCPUs_max", "2"),
                        fails(host, c, "VM.set_VCPUs_number_live", vm.toWireString(), bad));
            }
            assertThrows(Types.InvalidValue.class, () -> vm.setVCPUsNumberLive(c, 3L));
            assertEquals(2L, vm.getVCPUsAtStartup(c), "nothing changed");

            String pool = host.server.services().poolRef();
            Map<String, String> restrictions = new HashMap<>(data.get(pool, Pool.RESTRICTIONS));
            restrictions.put("restrict_set_vcpus_number_live", "true");
            data.set(pool, Pool.RESTRICTIONS, restrictions);
            assertThrows(Types.LicenceRestriction.class, () -> vm.setVCPUsNumberLive(c, 1L));
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "Live_set_vcpus"),
                    fails(host, c, "VM.set_VCPUs_number_live", vm.toWireString(), "1"));
            assertEquals(2L, vm.getVCPUsAtStartup(c));
        }
    }

    @Test
    void waitMemoryTargetLiveWaitsForTheBalloonAndCanBeCancelled() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "balloon");
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VM.wait_memory_target_live", vm.toWireString()));
            vm.start(c, false, false);
            String uuid = vm.getUuid(c);

            // at its target already: returns at once, and memory_actual says so
            vm.waitMemoryTargetLive(c);
            assertEquals(256 * MIB, vm.getMetrics(c).getMemoryActual(c));
            vm.setMemoryTargetLive(c, 64 * MIB); // a no-op in Xapi
            assertEquals(256 * MIB, vm.getMemoryTarget(c));

            // a guest without its balloon driver never gets to a lower target: the wait is cancelled
            Xenops x = xenopsd(host);
            x.debugTrigger("t", "guest-agent", List.of(uuid, "off"));
            x.vmSetMemoryDynamicRange("t", uuid, 128 * MIB, 128 * MIB);
            LifecycleSupport.await(host, "the new target is applied", () -> vm.getMemoryTarget(c) == 128 * MIB);
            Task wait = vm.waitMemoryTargetLiveAsync(c);
            LifecycleSupport.await(
                    host,
                    "the VM is marked awaiting_memory_live",
                    () -> vm.getCurrentOperations(c).containsValue(Types.VmOperations.AWAITING_MEMORY_LIVE));
            wait.cancel(c);
            Task.Record r = LifecycleSupport.awaitTask(host, c, wait);
            assertEquals(Types.TaskStatusType.CANCELLED, r.status);
            assertEquals(List.of("TASK_CANCELLED", wait.toWireString()), new java.util.ArrayList<>(r.errorInfo));
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            assertEquals(256 * MIB, vm.getMetrics(c).getMemoryActual(c));

            // the driver is back: the guest balloons down and the wait returns once it is there
            x.debugTrigger("t", "guest-agent", List.of(uuid, "on"));
            vm.waitMemoryTargetLive(c);
            assertEquals(128 * MIB, vm.getMetrics(c).getMemoryActual(c));
        }
    }

    @Test
    void sysrqAndTriggersAreRefusedAsXapiDoesAndS3ReachesTheGuest() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "keys");
            assertThrows(Types.VmBadPowerState.class, () -> vm.sendSysrq(c, "b"));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VM.send_sysrq", vm.toWireString(), "b"));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                    fails(host, c, "VM.send_trigger", vm.toWireString(), "power"));

            RawConnection raw = new RawConnection(LifecycleSupport.url(host));
            String session = c.getSessionReference();
            List<String> s3 = fails(host, c, "VM.s3_suspend", vm.toWireString());
            assertEquals(
                    List.of(
                            "INTERNAL_ERROR",
                            "Object with type VM and id " + vm.getUuid(c) + "/config does not exist in xenopsd"),
                    s3,
                    "a halted VM is not known to xenopsd");

            vm.start(c, false, false);
            assertEquals(
                    List.of("NOT_IMPLEMENTED", "send_sysrq"), fails(host, c, "VM.send_sysrq", vm.toWireString(), "b"));
            assertEquals(
                    List.of("NOT_IMPLEMENTED", "send_trigger"),
                    fails(host, c, "VM.send_trigger", vm.toWireString(), "power"));
            assertThrows(Types.XenAPIException.class, () -> vm.sendSysrq(c, "b"));
            assertTrue(vm.getCurrentOperations(c).isEmpty());

            raw.call("VM.s3_suspend", session, vm.toWireString());
            String uuid = vm.getUuid(c);
            Metadata md = Metadata.fromJson(xenopsd(host).vmExportMetadata("t", uuid));
            assertTrue(md.domains().contains("\"s3\":true"), md.domains());
            raw.call("VM.s3_resume", session, vm.toWireString());
            md = Metadata.fromJson(xenopsd(host).vmExportMetadata("t", uuid));
            assertTrue(md.domains().contains("\"s3\":false"), md.domains());
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        }
    }
}
