package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VMAppliance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.db.Snapshot;
import org.xapijava.server.TestHost;

/**
 * VM appliances through the Citrix SDK against a host with the embedded xenopsd simulator, as Xapi's
 * {@code xapi_vm_appliance.ml} does them: VMs started group by group in ascending {@code order}, each group after the
 * previous one's {@code start_delay}, shut down in reverse with {@code shutdown_delay}; the appliance's allowed and
 * current operations; {@code OPERATION_PARTIALLY_FAILED} naming the VMs that did not get there; every refusal with
 * Xapi's error and nothing changed; the disaster-recovery checks over the VMs' SRs.
 */
class ApplianceSdkTest {
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

    private static List<String> fails(String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static VMAppliance appliance(String name) throws Exception {
        VMAppliance.Record r = new VMAppliance.Record();
        r.nameLabel = name;
        r.nameDescription = "";
        return VMAppliance.create(c, r);
    }

    private static VM member(VMAppliance a, String name, long order, long startDelay, long shutdownDelay)
            throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, name);
        vm.setOrder(c, order);
        vm.setStartDelay(c, startDelay);
        vm.setShutdownDelay(c, shutdownDelay);
        vm.setAppliance(c, a);
        return vm;
    }

    private static Set<Types.VmApplianceOperation> ops(Types.VmApplianceOperation... o) {
        return new HashSet<>(List.of(o));
    }

    private static Map<VM, Types.VmPowerState> states(VM... vms) throws Exception {
        Map<VM, Types.VmPowerState> m = new LinkedHashMap<>();
        for (VM vm : vms) m.put(vm, vm.getPowerState(c));
        return m;
    }

    /**
     * Watches every database publication from now on and records, for each VM, when it first shows {@code state}
     * (nanoTime) and in which order; stops when all did or after the wait.
     */
    static final class Watcher {
        final List<String> order = new ArrayList<>();
        final Map<String, Long> at = new HashMap<>();
        private final Thread thread;

        Watcher(List<VM> vms, String state) {
            Database db = host.server.services().db();
            List<String> refs = vms.stream().map(VM::toWireString).toList();
            thread = Thread.ofVirtual().start(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                try {
                    while (order.size() < refs.size() && System.nanoTime() < deadline) {
                        long g = db.generation();
                        Snapshot s = db.snapshot();
                        long now = System.nanoTime();
                        for (String vm : refs) {
                            if (!at.containsKey(vm) && state.equals(s.get("VM", vm, "power_state"))) {
                                at.put(vm, now);
                                order.add(vm);
                            }
                        }
                        db.awaitGeneration(g, Duration.ofSeconds(1));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        Watcher finish() throws InterruptedException {
            thread.join(Duration.ofSeconds(90));
            return this;
        }

        long millisBetween(VM first, VM then) {
            return (at.get(then.toWireString()) - at.get(first.toWireString())) / 1_000_000;
        }

        int rank(VM vm) {
            return order.indexOf(vm.toWireString());
        }
    }

    @Test
    void groupsStartInAscendingOrderAfterEachDelayAndStopInReverse() throws Exception {
        VMAppliance a = appliance("ordered");
        assertEquals(Set.of(), a.getAllowedOperations(c), "no VMs: nothing allowed");
        VM first = member(a, "first", 0, 1, 0); // alone in order 0; waits 1 s once running
        VM second = member(a, "second", 3, 1, 1);
        VM twin = member(a, "twin", 3, 0, 0);
        VM last = member(a, "last", 7, 0, 1);
        assertEquals(ops(Types.VmApplianceOperation.START), a.getAllowedOperations(c));

        Watcher running = new Watcher(List.of(first, second, twin, last), "Running");
        Task task = a.startAsync(c, false);
        LifecycleSupport.await(
                host,
                "the appliance is marked",
                () -> !a.getCurrentOperations(c).isEmpty());
        assertEquals(Map.of(task.toWireString(), Types.VmApplianceOperation.START), a.getCurrentOperations(c));
        assertEquals(Set.of(), a.getAllowedOperations(c), "one operation at a time");
        Task.Record done = LifecycleSupport.awaitTask(host, c, task, Duration.ofSeconds(60));
        assertEquals(Types.TaskStatusType.SUCCESS, done.status, String.valueOf(done.errorInfo));
        running.finish();

        assertEquals(0, running.rank(first));
        assertEquals(Set.of(1, 2), Set.of(running.rank(second), running.rank(twin)));
        assertEquals(3, running.rank(last));
        // the next group begins once the previous one's VM.start calls, start_delay included, have returned
        assertTrue(running.millisBetween(first, second) >= 900, running.at.toString());
        assertTrue(running.millisBetween(first, twin) >= 900, running.at.toString());
        assertTrue(running.millisBetween(second, last) >= 900, running.at.toString());
        // one Async.VM.start per VM, each a subtask of the appliance's task
        Set<Task> subtasks = task.getSubtasks(c);
        assertEquals(4, subtasks.size());
        for (Task t : subtasks) assertEquals("Async.VM.start", t.getNameLabel(c));
        assertEquals(Map.of(), a.getCurrentOperations(c));
        assertEquals(
                ops(
                        Types.VmApplianceOperation.CLEAN_SHUTDOWN,
                        Types.VmApplianceOperation.HARD_SHUTDOWN,
                        Types.VmApplianceOperation.SHUTDOWN),
                a.getAllowedOperations(c));

        Watcher halted = new Watcher(List.of(first, second, twin, last), "Halted");
        a.cleanShutdown(c);
        halted.finish();
        assertEquals(0, halted.rank(last), "shut down in descending order");
        assertEquals(Set.of(1, 2), Set.of(halted.rank(second), halted.rank(twin)));
        assertEquals(3, halted.rank(first));
        assertTrue(halted.millisBetween(last, second) >= 900, halted.at.toString());
        assertTrue(halted.millisBetween(second, first) >= 900, halted.at.toString());
        assertEquals(ops(Types.VmApplianceOperation.START), a.getAllowedOperations(c));
    }

    @Test
    void pausedStartAndTheOtherShutdowns() throws Exception {
        VMAppliance a = appliance("paused");
        VM one = member(a, "p1", 0, 0, 0);
        VM two = member(a, "p2", 1, 0, 0);
        a.start(c, true);
        assertEquals(Map.of(one, Types.VmPowerState.PAUSED, two, Types.VmPowerState.PAUSED), states(one, two));
        assertEquals(
                ops(Types.VmApplianceOperation.HARD_SHUTDOWN, Types.VmApplianceOperation.SHUTDOWN),
                a.getAllowedOperations(c),
                "paused VMs: no clean shutdown, and nothing left to start");
        a.hardShutdown(c);
        assertEquals(Map.of(one, Types.VmPowerState.HALTED, two, Types.VmPowerState.HALTED), states(one, two));

        // a VM already in the wanted state is left alone
        one.start(c, false, false);
        a.start(c, false);
        assertEquals(Map.of(one, Types.VmPowerState.RUNNING, two, Types.VmPowerState.RUNNING), states(one, two));
        a.shutdown(c);
        assertEquals(Map.of(one, Types.VmPowerState.HALTED, two, Types.VmPowerState.HALTED), states(one, two));
    }

    @Test
    void vmsThatDoNotGetThereAreNamedAndTheOthersStillRun() throws Exception {
        VMAppliance a = appliance("partial");
        VM before = member(a, "before", 0, 0, 0);
        VM huge = member(a, "huge", 1, 0, 0);
        VM after = member(a, "after", 2, 0, 0);
        long tib2 = 2L << 40; // more than the simulator's 1 TiB
        host.server.services().db().transact(tx -> {
            for (String f : List.of("memory_static_max", "memory_dynamic_max", "memory_dynamic_min"))
                tx.set("VM", huge.toWireString(), f, tib2);
        });
        assertEquals(
                List.of("OPERATION_PARTIALLY_FAILED", "VM_appliance.start", huge.toWireString()),
                fails("VM_appliance.start", a.toWireString(), false));
        assertEquals(
                Map.of(
                        before,
                        Types.VmPowerState.RUNNING,
                        huge,
                        Types.VmPowerState.HALTED,
                        after,
                        Types.VmPowerState.RUNNING),
                states(before, huge, after));
        assertEquals(Map.of(), a.getCurrentOperations(c));
        assertEquals(
                ops(
                        Types.VmApplianceOperation.START,
                        Types.VmApplianceOperation.CLEAN_SHUTDOWN,
                        Types.VmApplianceOperation.HARD_SHUTDOWN,
                        Types.VmApplianceOperation.SHUTDOWN),
                a.getAllowedOperations(c));
        // the SDK's own exception type
        assertThrows(Types.OperationPartiallyFailed.class, () -> a.start(c, false));
        a.hardShutdown(c);
        assertEquals(ops(Types.VmApplianceOperation.START), a.getAllowedOperations(c));
    }

    @Test
    void refusalsAreXapisAndChangeNothing() throws Exception {
        VMAppliance empty = appliance("empty");
        for (String m : List.of("start", "clean_shutdown", "hard_shutdown", "shutdown")) {
            Object[] args = m.equals("start")
                    ? new Object[] {empty.toWireString(), false}
                    : new Object[] {empty.toWireString()};
            assertEquals(
                    List.of("OPERATION_NOT_ALLOWED", "Appliance has no VMs."), fails("VM_appliance." + m, args), m);
        }
        assertEquals(
                List.of("HANDLE_INVALID", "VM_appliance", "OpaqueRef:nowhere"),
                fails("VM_appliance.start", "OpaqueRef:nowhere", false));

        VMAppliance a = appliance("refusals");
        VM one = member(a, "r1", 0, 0, 0);
        VM two = member(a, "r2", 0, 0, 0);
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "There are no running VMs in this appliance."),
                fails("VM_appliance.clean_shutdown", a.toWireString()));
        for (String m : List.of("hard_shutdown", "shutdown")) {
            assertEquals(
                    List.of("OPERATION_NOT_ALLOWED", "All VMs in this appliance are halted."),
                    fails("VM_appliance." + m, a.toWireString()),
                    m);
        }
        assertEquals(Map.of(one, Types.VmPowerState.HALTED, two, Types.VmPowerState.HALTED), states(one, two));

        // the licence is checked first, before the appliance is even looked at
        String poolRef = host.server.services().poolRef();
        Map<String, String> restrictions = Pool.getAll(c).iterator().next().getRestrictions(c);
        Map<String, String> restricted = new LinkedHashMap<>(restrictions);
        restricted.put("restrict_vm_appliance_start", "true");
        host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", restricted));
        try {
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "VM_appliance_start"),
                    fails("VM_appliance.start", a.toWireString(), false));
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "VM_appliance_start"),
                    fails("VM_appliance.start", empty.toWireString(), false));
            assertEquals(Map.of(one, Types.VmPowerState.HALTED, two, Types.VmPowerState.HALTED), states(one, two));
            // a flag that is not a boolean leaves the feature enabled (it is in Xapi's enabled_when_unknown)
            restricted.put("restrict_vm_appliance_start", "maybe");
            host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", restricted));
            a.start(c, false);
        } finally {
            host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", restrictions));
        }
        assertEquals(Map.of(one, Types.VmPowerState.RUNNING, two, Types.VmPowerState.RUNNING), states(one, two));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "There are no halted VMs in this appliance."),
                fails("VM_appliance.start", a.toWireString(), false));
        assertEquals(Map.of(), a.getCurrentOperations(c));
        a.hardShutdown(c);
    }

    @Test
    void membershipChangesRecomputeTheAppliances() throws Exception {
        VMAppliance from = appliance("from");
        VMAppliance to = appliance("to");
        VM vm = member(from, "mover", 0, 0, 0);
        assertEquals(ops(Types.VmApplianceOperation.START), from.getAllowedOperations(c));
        vm.setAppliance(c, to);
        assertEquals(Set.of(), from.getAllowedOperations(c));
        assertEquals(ops(Types.VmApplianceOperation.START), to.getAllowedOperations(c));
        vm.start(c, false, false);
        assertEquals(
                ops(
                        Types.VmApplianceOperation.CLEAN_SHUTDOWN,
                        Types.VmApplianceOperation.HARD_SHUTDOWN,
                        Types.VmApplianceOperation.SHUTDOWN),
                to.getAllowedOperations(c),
                "a VM's own power operation refreshes its appliance");
        vm.hardShutdown(c);
        vm.destroy(c);
        assertEquals(Set.of(), to.getAllowedOperations(c));
    }

    @Test
    void recoveryNeedsEachDisksSrPlugged() throws Exception {
        Session self = Types.toSession(c.getSessionReference());
        SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
        VMAppliance a = appliance("recoverable");
        VM vm = member(a, "with-disk", 0, 0, 0);
        LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
        VM diskless = member(a, "diskless", 0, 0, 0); // its empty CD drive needs no SR

        assertEquals(Set.of(), vm.getSRsRequiredForRecovery(c, self));
        vm.assertCanBeRecovered(c, self);
        assertEquals(Set.of(), a.getSRsRequiredForRecovery(c, self));
        a.assertCanBeRecovered(c, self);
        diskless.assertCanBeRecovered(c, self);

        PBD pbd = sr.getPBDs(c).iterator().next();
        host.server.services().db().set("PBD", pbd.toWireString(), "currently_attached", false);
        try {
            assertEquals(Set.of(sr), vm.getSRsRequiredForRecovery(c, self));
            assertEquals(Set.of(sr), a.getSRsRequiredForRecovery(c, self));
            assertEquals(Set.of(), diskless.getSRsRequiredForRecovery(c, self));
            assertEquals(
                    List.of("VM_REQUIRES_SR", vm.toWireString(), sr.toWireString()),
                    fails("VM.assert_can_be_recovered", vm.toWireString(), c.getSessionReference()));
            assertEquals(
                    List.of("VM_REQUIRES_SR", vm.toWireString(), sr.toWireString()),
                    fails("VM_appliance.assert_can_be_recovered", a.toWireString(), c.getSessionReference()));
            assertThrows(Types.VmRequiresSr.class, () -> a.assertCanBeRecovered(c, self));
        } finally {
            host.server.services().db().set("PBD", pbd.toWireString(), "currently_attached", true);
        }
        // recovering needs a foreign database (VDI.open_database): not here yet
        assertEquals(
                List.of("NOT_IMPLEMENTED", "VM.recover"),
                fails("VM.recover", vm.toWireString(), c.getSessionReference(), false));
        assertEquals(
                List.of("NOT_IMPLEMENTED", "VM_appliance.recover"),
                fails("VM_appliance.recover", a.toWireString(), c.getSessionReference(), false));
    }
}
