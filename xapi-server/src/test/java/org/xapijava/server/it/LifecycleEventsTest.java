package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Event;
import com.xensource.xenapi.EventBatch;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Snapshot;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.Xenops;

/**
 * What clients see around a lifecycle call: a slow asynchronous start cancelled through {@code task.cancel},
 * guest-initiated halt and reboot arriving through {@code event.from}, memory admission, device hotplug, and a
 * xenopsd refusal leaving nothing half-done.
 */
class LifecycleEventsTest {
    private static final long MIB = 1024L * 1024;

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

    private static Xenops xenops() {
        return host.server.xenops().xenops();
    }

    private static List<String> raw(String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static void assertCleanlyHalted(VM vm) throws Exception {
        VM.Record r = vm.getRecord(c);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertEquals("OpaqueRef:NULL", r.residentOn.toWireString());
        assertTrue(r.currentOperations.isEmpty(), "nothing marked: " + r.currentOperations);
        for (VBD vbd : r.VBDs) assertFalse(vbd.getCurrentlyAttached(c));
        for (VIF vif : r.VIFs) assertFalse(vif.getCurrentlyAttached(c));
        assertEquals(
                "OpaqueRef:NULL",
                host.server.services().db().get("VM", vm.toWireString(), "scheduled_to_be_resident_on"));
    }

    @Test
    void cancellingASlowAsyncStartLeavesTheVmHalted() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "slow");
        xenops().debugTrigger("test", "set-delay", List.of("VM_build", "10000"));
        try {
            Task task = vm.startAsync(c, false, false);
            // cancellable once the xenopsd task is bound to it
            LifecycleSupport.await(
                    host,
                    "the start is cancellable",
                    () -> task.getAllowedOperations(c).contains(Types.TaskAllowedOperations.CANCEL));
            assertEquals(Types.TaskStatusType.PENDING, task.getStatus(c));
            task.cancel(c);
            Task.Record done = LifecycleSupport.awaitTask(host, c, task);
            assertEquals(Types.TaskStatusType.CANCELLED, done.status, "error_info " + done.errorInfo);
            // Xapi unbinds the xenopsd task before reading its outcome: the error names no xapi task
            assertEquals(List.of("TASK_CANCELLED", "OpaqueRef:NULL"), List.copyOf(done.errorInfo));
            assertTrue(done.allowedOperations.isEmpty());
        } finally {
            xenops().debugTrigger("test", "set-delay", List.of("VM_build", "0"));
        }
        assertCleanlyHalted(vm);
        assertFalse(xenops().vmExists("test", vm.getUuid(c)), "the metadata is removed from xenopsd");
        vm.start(c, false, false); // and it starts normally afterwards
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        vm.hardShutdown(c);
    }

    @Test
    void progressOfTheXenopsdTaskReachesTheXapiTask() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "progress");
        xenops().debugTrigger("test", "set-delay", List.of("VM_create_device_model", "600"));
        try {
            Task task = vm.startAsync(c, false, false);
            LifecycleSupport.await(
                    host,
                    "progress above 0",
                    () -> task.getProgress(c) > 0.0 || task.getStatus(c) != Types.TaskStatusType.PENDING);
            double p = task.getProgress(c);
            Task.Record done = LifecycleSupport.awaitTask(host, c, task);
            assertEquals(Types.TaskStatusType.SUCCESS, done.status, "error_info " + done.errorInfo);
            assertTrue(p > 0.0 && p <= 1.0, "progress " + p);
            assertEquals("Async.VM.start", done.nameLabel);
        } finally {
            xenops().debugTrigger("test", "set-delay", List.of("VM_create_device_model", "0"));
        }
        vm.hardShutdown(c);
    }

    /** The first VM event after {@code token} whose snapshot satisfies {@code pred}. */
    private static VM.Record awaitVmEvent(String token, VM vm, java.util.function.Predicate<VM.Record> pred)
            throws Exception {
        long deadline = System.nanoTime() + LifecycleSupport.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            EventBatch b = Event.from(c, Set.of("vm"), token, 5.0);
            token = b.token;
            for (var e : b.events) {
                if (e.clazz.equalsIgnoreCase("vm")
                        && e.ref.equals(vm.toWireString())
                        && e.snapshot instanceof VM.Record r
                        && pred.test(r)) return r;
            }
        }
        throw new AssertionError("no such VM event within " + LifecycleSupport.WAIT);
    }

    @Test
    void guestInitiatedHaltAndRebootAreSeenThroughEventFrom() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "guest");
        vm.start(c, false, false);
        String uuid = vm.getUuid(c);
        long domid = vm.getDomid(c);

        String token = Event.from(c, Set.of("vm"), "", 0.0).token;
        xenops().debugTrigger("test", "reboot", List.of(uuid));
        VM.Record rebooted = awaitVmEvent(token, vm, r -> r.domid != domid && r.domid > 0);
        assertEquals(Types.VmPowerState.RUNNING, rebooted.powerState);

        token = Event.from(c, Set.of("vm"), "", 0.0).token;
        xenops().debugTrigger("test", "halt", List.of(uuid));
        VM.Record halted = awaitVmEvent(token, vm, r -> r.powerState == Types.VmPowerState.HALTED);
        assertEquals(-1L, halted.domid);
        assertEquals("OpaqueRef:NULL", halted.residentOn.toWireString());
        LifecycleSupport.await(host, "the guest's devices detached", () -> {
            for (VIF vif : vm.getVIFs(c)) if (vif.getCurrentlyAttached(c)) return false;
            return true;
        });
        assertCleanlyHalted(vm);
    }

    /** VM.set_memory_limits is not bound yet: the fields are written directly. */
    private static void setMemory(VM vm, long staticMax, long dynamicMin, long dynamicMax) {
        String ref = vm.toWireString();
        host.server.services().db().transact(tx -> {
            tx.set("VM", ref, "memory_static_max", staticMax);
            tx.set("VM", ref, "memory_dynamic_max", dynamicMax);
            tx.set("VM", ref, "memory_dynamic_min", dynamicMin);
        });
    }

    @Test
    void notEnoughMemoryIsRefusedWithXapisFigures() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "huge");
        long dmin = 2L * 1024 * 1024 * MIB; // 2 TiB: more than the simulator's 1 TiB
        setMemory(vm, dmin, dmin, dmin);
        // what memory_check.ml counts: the footprint at dynamic_min against total less the resident VMs
        Snapshot s = host.server.services().db().snapshot();
        String h = host.server.services().hostRef();
        long total = (Long) s.get("host_metrics", (String) s.get("host", h, "metrics"), "memory_total");
        assertEquals(1024L * 1024 * MIB, total, "memory_total is xenopsd's HOST.get_total_memory_mib");
        long used = (Long) s.get("host", h, "memory_overhead");
        for (String r : s.getAllWhere("VM", "field \"resident_on\" = \"" + h + "\"")) {
            used += (Long) s.get("VM", r, "memory_dynamic_min") + (Long) s.get("VM", r, "memory_overhead");
        }
        long staticMaxMib = dmin / MIB;
        long shadowMib = Math.max(1, (256 + 2 * staticMaxMib + 255) / 256); // multiplier 1.0, one vCPU
        long overheadMib = 1 + 1 + shadowMib + 1; // extra internal, extra external, shadow, 38 pages per vCPU
        long needed = (dmin / MIB + overheadMib) * MIB;
        // on a named host, assert_can_boot_here's memory check with its figures
        assertEquals(
                List.of("HOST_NOT_ENOUGH_FREE_MEMORY", Long.toString(needed), Long.toString(total - used)),
                raw("VM.start_on", vm.toWireString(), h, false, false));
        assertCleanlyHalted(vm);
        // without one, choose_host_for_vm finds no host whose guests could shrink enough
        assertEquals(List.of("NO_HOSTS_AVAILABLE"), raw("VM.start", vm.toWireString(), false, false));
        assertCleanlyHalted(vm);
    }

    @Test
    void aXenopsdRefusalLeavesNothingHalfDone() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "ballooned");
        // Xapi admits it at its dynamic minimum; the simulator builds it at its dynamic maximum and refuses
        long max = 2L * 1024 * 1024 * MIB;
        setMemory(vm, max, 256 * MIB, max);
        List<String> e = raw("VM.start", vm.toWireString(), false, false);
        assertEquals("INTERNAL_ERROR", e.get(0));
        assertEquals("there was not enough memory (needed " + max + " bytes)", e.get(1));
        assertCleanlyHalted(vm);
        assertFalse(xenops().vmExists("test", vm.getUuid(c)));
    }

    @Test
    void hotplugOfDevices() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "hotplug");
        VBD cd = vm.getVBDs(c).iterator().next();
        String session = c.getSessionReference();
        String sr = null;
        for (var e : host.server.services().db().getAllRecords("SR").entrySet())
            if ("file".equals(e.getValue().get("type"))) sr = e.getKey();
        String vdi = (String) host.ok(
                "VDI.create",
                session,
                Map.of(
                        "name_label",
                        "hotplug disk",
                        "SR",
                        sr,
                        "virtual_size",
                        "1048576",
                        "type",
                        "user",
                        "sharable",
                        false,
                        "read_only",
                        false,
                        "other_config",
                        Map.of()));
        VBD disk = com.xensource.xenapi.Types.toVBD((String) host.ok(
                "VBD.create",
                session,
                Map.ofEntries(
                        Map.entry("VM", vm.toWireString()),
                        Map.entry("VDI", vdi),
                        Map.entry("userdevice", "1"),
                        Map.entry("bootable", false),
                        Map.entry("mode", "RW"),
                        Map.entry("type", "Disk"),
                        Map.entry("empty", false),
                        Map.entry("other_config", Map.of()),
                        Map.entry("qos_algorithm_type", ""),
                        Map.entry("qos_algorithm_params", Map.of()))));
        vm.start(c, false, false);
        VIF vif = vm.getVIFs(c).iterator().next();
        assertTrue(vif.getCurrentlyAttached(c));
        vif.unplug(c);
        assertFalse(vif.getCurrentlyAttached(c));
        vif.plug(c);
        assertTrue(vif.getCurrentlyAttached(c));
        // Xapi: the CD drive of an HVM guest is ejected or inserted, never hot-unplugged
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected"),
                raw("VBD.unplug", cd.toWireString()));
        assertTrue(disk.getCurrentlyAttached(c));
        disk.unplug(c);
        assertFalse(disk.getCurrentlyAttached(c));
        disk.plug(c);
        assertTrue(disk.getCurrentlyAttached(c));
        assertTrue(cd.getCurrentlyAttached(c));
        assertEquals(
                "xvdd",
                cd.getDevice(c),
                "xenopsd's device name for userdevice 3 (IDE disk 3 is xvdd, as Device_number names it)");
        vif.unplugForce(c);
        assertFalse(vif.getCurrentlyAttached(c));
        vm.hardShutdown(c);
        assertCleanlyHalted(vm);
        // a halted VM's devices cannot be plugged: Xapi's VIF checker wants the VM running
        assertEquals(
                List.of("VM_BAD_POWER_STATE", vm.toWireString(), "running", "halted"),
                raw("VIF.plug", vif.toWireString()));
    }

    @Test
    void lifecycleAlertsAreRecorded() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "alerts");
        vm.start(c, false, false);
        vm.cleanShutdown(c);
        String uuid = vm.getUuid(c);
        Map<com.xensource.xenapi.Message, com.xensource.xenapi.Message.Record> all =
                com.xensource.xenapi.Message.getAllRecords(c);
        List<String> names = all.values().stream()
                .filter(m -> uuid.equals(m.objUuid))
                .map(m -> m.name)
                .sorted()
                .toList();
        assertEquals(List.of("VM_SHUTDOWN", "VM_STARTED"), names);
        Host h = com.xensource.xenapi.Types.toHost(host.server.services().hostRef());
        String started = "VM 'alerts' (uuid: " + uuid + ") started on host: " + h.getNameLabel(c) + " (uuid: "
                + h.getUuid(c) + ")";
        assertTrue(all.values().stream().anyMatch(m -> m.body.equals(started)), "alert body " + started);
    }
}
