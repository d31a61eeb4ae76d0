package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.xensource.xenapi.Event;
import com.xensource.xenapi.EventBatch;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Snapshot;
import org.xapijava.server.TestHost;

/**
 * Lifecycle calls that overlap, through the Citrix SDK against a host with the embedded xenopsd simulator, whose
 * step delays make an operation last long enough for another call to arrive meanwhile. What Xapi does is decided by
 * its locking ({@code xapi-core.md} §3.6, §4): a call refused with {@code OTHER_OPERATION_IN_PROGRESS} waits under
 * the standard policy (woken when the other operation ends) and is then checked again; {@code VM.hard_shutdown}
 * may run during a clean shutdown and cancels it; a cancel of a waiting call's task ends it with
 * {@code TASK_CANCELLED [task]}. After every test nothing is left in any {@code current_operations}.
 */
class ConcurrencySdkTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = ConcurrencySupport.login(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    @AfterEach
    void noDelaysAndNothingMarked() {
        for (String step : List.of("VM_build", "VM_shutdown_domain", "VM_hook_script"))
            ConcurrencySupport.setDelay(host, step, 0);
        ConcurrencySupport.assertNothingMarked(host);
    }

    private static String ref(VM vm) {
        return vm.toWireString();
    }

    /** Waits until the VM's {@code current_operations} shows {@code op} under {@code task}'s key. */
    private static void awaitMarked(VM vm, Task task, String op) throws Exception {
        LifecycleSupport.await(host, "VM marked " + op + " by " + task.toWireString(), () -> {
            Object ops = host.server.services().db().get("VM", ref(vm), "current_operations");
            return op.equals(((Map<?, ?>) ops).get(task.toWireString()));
        });
    }

    /** The allowed_operations Xapi gives an ordinary VM in {@code state} with nothing in progress (the literal table). */
    private static Set<String> allowedWhenIdle(VM vm, String state) {
        return OperationTableSdkTest.allowed(OperationTableSdkTest.Kind.VM, state, ref(vm));
    }

    private static void assertIdle(VM vm, Types.VmPowerState state) throws Exception {
        VM.Record r = vm.getRecord(c);
        assertEquals(state, r.powerState);
        assertTrue(r.currentOperations.isEmpty(), "nothing marked: " + r.currentOperations);
        String s = state.toString().toLowerCase(java.util.Locale.ROOT);
        assertEquals(
                allowedWhenIdle(vm, s),
                new TreeSet<>(ConcurrencySupport.allowedOperations(host, c, vm)),
                "allowed_operations of a " + s + " VM");
    }

    private static List<String> errorInfo(Task.Record r) {
        return r.errorInfo == null ? List.of() : List.copyOf(r.errorInfo);
    }

    // ------------------------------------------------------------------------------------------ two starts

    @Test
    void twoStartsOfOneVmStartItOnceAndTheSecondFailsOnThePowerState() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "twice");
        ConcurrencySupport.setDelay(host, "VM_build", 800);
        Task first = vm.startAsync(c, false, false);
        awaitMarked(vm, first, "start");
        Task second = vm.startAsync(c, false, false);
        // the second waits (standard policy) while the first is marked, then is checked again
        Snapshot s = host.server.services().db().snapshot();
        if ("pending".equals(s.get("task", first.toWireString(), "status"))) {
            assertEquals(Map.of(first.toWireString(), "start"), s.get("VM", ref(vm), "current_operations"));
        }
        Task.Record a = LifecycleSupport.awaitTask(host, c, first);
        Task.Record b = LifecycleSupport.awaitTask(host, c, second);
        assertEquals(Types.TaskStatusType.SUCCESS, a.status, "first: " + a.errorInfo);
        assertEquals(Types.TaskStatusType.FAILURE, b.status);
        assertEquals(List.of("VM_BAD_POWER_STATE", ref(vm), "halted", "running"), errorInfo(b));
        assertIdle(vm, Types.VmPowerState.RUNNING);
        assertTrue(vm.getDomid(c) > 0);
        String uuid = uuid(vm);
        assertEquals(
                1,
                ConcurrencySupport.xenops(host).vmList("test").stream()
                        .filter(x -> x.vm().id().equals(uuid))
                        .count(),
                "one domain in the simulator");
        vm.hardShutdown(c);
    }

    private static String uuid(VM vm) throws Exception {
        return vm.getUuid(c);
    }

    @Test
    void twoSynchronousStartsFromTwoClientsAtOnce() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "twice-sync");
        ConcurrencySupport.setDelay(host, "VM_build", 300);
        List<List<String>> outcomes = race(List.of(cl -> vm.start(cl, false, false), cl -> vm.start(cl, false, false)));
        assertEquals(1, Collections.frequency(outcomes, null), "exactly one start succeeds: " + outcomes);
        outcomes.remove(null);
        assertEquals(List.of("VM_BAD_POWER_STATE", ref(vm), "halted", "running"), outcomes.getFirst());
        assertIdle(vm, Types.VmPowerState.RUNNING);
        vm.hardShutdown(c);
    }

    /** A call a racing client makes on its own connection. */
    @FunctionalInterface
    interface ClientCall {
        void run(ConcurrencySupport.Recording client) throws Exception;
    }

    /**
     * Runs the calls at once, each from its own client (connection and session) on its own thread, released
     * together; returns each call's error (null: success), in the order given.
     */
    private static List<List<String>> race(List<ClientCall> calls) throws Exception {
        List<ConcurrencySupport.Recording> clients = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) clients.add(ConcurrencySupport.login(host));
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            List<Future<List<String>>> fs = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                ClientCall call = calls.get(i);
                ConcurrencySupport.Recording cl = clients.get(i);
                fs.add(pool.submit(() -> {
                    go.await();
                    return ConcurrencySupport.errorOf(cl, () -> call.run(cl));
                }));
            }
            go.countDown();
            List<List<String>> out = new ArrayList<>();
            for (Future<List<String>> f : fs) out.add(f.get(LifecycleSupport.WAIT.toSeconds(), TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------------ start × destroy

    @Test
    void aDestroyDuringAStartWaitsAndIsRefusedOnThePowerState() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "start-wins");
        ConcurrencySupport.setDelay(host, "VM_build", 800);
        Task start = vm.startAsync(c, false, false);
        awaitMarked(vm, start, "start");
        List<String> destroy = ConcurrencySupport.errorOf(c, () -> vm.destroy(c));
        assertEquals(List.of("VM_BAD_POWER_STATE", ref(vm), "halted, suspended", "running"), destroy);
        Task.Record r = LifecycleSupport.awaitTask(host, c, start);
        assertEquals(Types.TaskStatusType.SUCCESS, r.status, "start: " + r.errorInfo);
        assertIdle(vm, Types.VmPowerState.RUNNING);
        vm.hardShutdown(c);
        vm.destroy(c);
    }

    @Test
    void startRacingDestroyEndsWithOneWinnerAndNothingHalfDone() throws Exception {
        int startWon = 0;
        int destroyWon = 0;
        for (int round = 0; round < 8; round++) {
            VM vm = ConcurrencySupport.pvVm(host, c, "race-" + round);
            String ref = ref(vm);
            String uuid = uuid(vm);
            List<String> vbds = new ArrayList<>();
            for (var vbd : vm.getVBDs(c)) vbds.add(vbd.toWireString());
            ClientCall start = cl -> vm.start(cl, false, false);
            ClientCall destroy = cl -> vm.destroy(cl);
            // which call is submitted first alternates; the scheduler decides the rest
            List<List<String>> out = round % 2 == 0
                    ? race(List.of(start, destroy))
                    : race(List.of(destroy, start)).reversed();
            List<String> startError = out.get(0);
            List<String> destroyError = out.get(1);
            if (startError == null) {
                startWon++;
                assertEquals(
                        List.of("VM_BAD_POWER_STATE", ref, "halted, suspended", "running"),
                        destroyError,
                        "round " + round);
                assertIdle(vm, Types.VmPowerState.RUNNING);
                assertTrue(ConcurrencySupport.xenops(host).vmExists("test", uuid));
                vm.hardShutdown(c);
                vm.destroy(c);
            } else {
                destroyWon++;
                assertNull(destroyError, "round " + round + ": one of the two succeeds; start gave " + startError);
                assertEquals(List.of("HANDLE_INVALID", "VM", ref), startError, "round " + round);
                Snapshot s = host.server.services().db().snapshot();
                assertFalse(s.exists("VM", ref));
                for (String vbd : vbds) assertFalse(s.exists("VBD", vbd), "the VM's devices went with it");
            }
            assertFalse(
                    ConcurrencySupport.xenops(host).vmExists("test", uuid),
                    "round " + round + ": no domain or metadata left");
            ConcurrencySupport.assertNothingMarked(host);
        }
        assertEquals(8, startWon + destroyWon);
    }

    // ------------------------------------------------------------------------------------------ shutdowns, pause

    @Test
    void aHardShutdownCancelsACleanShutdownInProgress() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "hard-over-clean");
        vm.start(c, false, false);
        // the first step (a hook script) lasts long enough for xapi to bind its task to xenopsd's before the
        // step's progress event: progress above 0 on the xapi task then proves the binding (and a cancel reaches
        // xenopsd); the guest's shutdown itself would take 10 s
        ConcurrencySupport.setDelay(host, "VM_hook_script", 300);
        ConcurrencySupport.setDelay(host, "VM_shutdown_domain", 10_000);
        Task clean = vm.cleanShutdownAsync(c);
        awaitMarked(vm, clean, "clean_shutdown");
        LifecycleSupport.await(host, "the clean shutdown's xenopsd task is bound", () -> clean.getProgress(c) > 0.0);
        long t0 = System.nanoTime();
        vm.hardShutdown(c);
        assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "the clean shutdown was cancelled, not waited for");
        Task.Record r = LifecycleSupport.awaitTask(host, c, clean);
        assertEquals(Types.TaskStatusType.CANCELLED, r.status, "clean_shutdown: " + r.errorInfo);
        // Xapi unbinds the xenopsd task before reading its outcome, so the error names no xapi task
        assertEquals(List.of("TASK_CANCELLED", "OpaqueRef:NULL"), errorInfo(r));
        assertIdle(vm, Types.VmPowerState.HALTED);
        assertFalse(ConcurrencySupport.xenops(host).vmExists("test", uuid(vm)));
    }

    @Test
    void aPauseDuringASlowCleanRebootWaitsForItThenPauses() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "reboot-then-pause");
        vm.start(c, false, false);
        long domid = vm.getDomid(c);
        ConcurrencySupport.setDelay(host, "VM_shutdown_domain", 1500);
        Task reboot = vm.cleanRebootAsync(c);
        awaitMarked(vm, reboot, "clean_reboot");
        // VM.pause runs under the standard policy: no OTHER_OPERATION_IN_PROGRESS, it waits its turn
        List<String> pause = ConcurrencySupport.errorOf(c, () -> vm.pause(c));
        assertNull(pause, "pause: " + pause);
        Task.Record r = LifecycleSupport.awaitTask(host, c, reboot);
        assertEquals(Types.TaskStatusType.SUCCESS, r.status, "clean_reboot: " + r.errorInfo);
        // paused with the rebooted domain: the pause ran after the reboot
        assertNotEquals(domid, vm.getDomid(c));
        assertIdle(vm, Types.VmPowerState.PAUSED);
        vm.hardShutdown(c);
    }

    @Test
    void aCallCancelledWhileWaitingForTheVmFailsWithTaskCancelled() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "cancelled-waiter");
        vm.start(c, false, false);
        ConcurrencySupport.setDelay(host, "VM_shutdown_domain", 1500);
        Task reboot = vm.cleanRebootAsync(c);
        awaitMarked(vm, reboot, "clean_reboot");
        Task pause = vm.pauseAsync(c);
        LifecycleSupport.await(
                host,
                "the waiting pause is cancellable",
                () -> pause.getAllowedOperations(c).contains(Types.TaskAllowedOperations.CANCEL));
        assertEquals(Types.TaskStatusType.PENDING, reboot.getStatus(c), "the reboot still holds the VM");
        pause.cancel(c);
        Task.Record p = LifecycleSupport.awaitTask(host, c, pause);
        assertEquals(Types.TaskStatusType.CANCELLED, p.status, "pause: " + p.errorInfo);
        assertEquals(List.of("TASK_CANCELLED", pause.toWireString()), errorInfo(p));
        Task.Record r = LifecycleSupport.awaitTask(host, c, reboot);
        assertEquals(Types.TaskStatusType.SUCCESS, r.status, "clean_reboot: " + r.errorInfo);
        assertIdle(vm, Types.VmPowerState.RUNNING);
        vm.hardShutdown(c);
    }

    // ------------------------------------------------------------------------------------------ 50 VMs

    @Test
    void fiftyClonesStartedAndShutDownFromSixteenClients() throws Exception {
        VM base = ConcurrencySupport.pvVm(host, c, "fifty-0");
        List<VM> vms = new ArrayList<>(List.of(base));
        for (int i = 1; i < 50; i++) vms.add(base.createClone(c, "fifty-" + i));
        Map<VM, List<String>> started = inParallel(vms, (cl, vm) -> vm.start(cl, false, false));
        assertEquals(Map.of(), failures(started), "every start succeeds");
        Set<Long> domids = new HashSet<>();
        for (VM vm : vms) {
            VM.Record r = vm.getRecord(c);
            assertEquals(Types.VmPowerState.RUNNING, r.powerState, r.nameLabel);
            assertTrue(r.domid > 0, r.nameLabel + " domid " + r.domid);
            domids.add(r.domid);
        }
        assertEquals(50, domids.size(), "distinct domids: " + domids);
        ConcurrencySupport.assertNothingMarked(host);

        Map<VM, List<String>> stopped = inParallel(vms, (cl, vm) -> vm.cleanShutdown(cl));
        assertEquals(Map.of(), failures(stopped), "every clean shutdown succeeds");
        for (VM vm : vms) {
            assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
            assertFalse(ConcurrencySupport.xenops(host).vmExists("test", uuid(vm)));
        }
        ConcurrencySupport.assertNothingMarked(host);
        for (VM vm : vms) vm.destroy(c);
    }

    /** A call on one VM from one client. */
    @FunctionalInterface
    interface VmCall {
        void run(ConcurrencySupport.Recording client, VM vm) throws Exception;
    }

    /** Client threads, each with its own connection and session (the issue asks for 16). */
    private static final int CLIENTS = 16;

    /** Runs {@code call} on every VM from {@link #CLIENTS} clients (own connection, session, thread); errors by VM. */
    private static Map<VM, List<String>> inParallel(List<VM> vms, VmCall call) throws Exception {
        List<ConcurrencySupport.Recording> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) clients.add(ConcurrencySupport.login(host));
        ThreadLocal<ConcurrencySupport.Recording> mine = new ThreadLocal<>();
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            Map<VM, Future<List<String>>> fs = new LinkedHashMap<>();
            for (VM vm : vms) {
                fs.put(vm, pool.submit(() -> {
                    ConcurrencySupport.Recording cl = mine.get();
                    if (cl == null) {
                        cl = clients.get(next.getAndIncrement());
                        mine.set(cl);
                    }
                    ConcurrencySupport.Recording client = cl;
                    return ConcurrencySupport.errorOf(client, () -> call.run(client, vm));
                }));
            }
            Map<VM, List<String>> out = new LinkedHashMap<>();
            for (Map.Entry<VM, Future<List<String>>> e : fs.entrySet()) {
                out.put(e.getKey(), e.getValue().get(LifecycleSupport.WAIT.toSeconds() * 3, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Map<String, List<String>> failures(Map<VM, List<String>> outcomes) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        outcomes.forEach((vm, e) -> {
            if (e != null) out.put(vm.toWireString(), e);
        });
        return out;
    }

    // ------------------------------------------------------------------------------------------ event.from

    @Test
    void eventFromShowsTheStartMarkedWithItsTaskThenTheRunningVm() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "watched");
        String token = Event.from(c, Set.of("vm"), "", 0.0).token;
        ConcurrencySupport.setDelay(host, "VM_build", 600);
        Task start = vm.startAsync(c, false, false);
        List<VM.Record> seen = new ArrayList<>();
        long deadline = System.nanoTime() + LifecycleSupport.WAIT.toNanos();
        while (true) {
            if (System.nanoTime() > deadline)
                fail("no idle running VM seen through event.from: " + seen.size() + " snapshots");
            EventBatch b = Event.from(c, Set.of("vm"), token, 5.0);
            token = b.token;
            VM.Record last = null;
            for (Event.Record e : b.events) {
                if (e.ref.equals(ref(vm)) && e.snapshot instanceof VM.Record r) {
                    seen.add(r);
                    last = r;
                }
            }
            if (last != null && last.powerState == Types.VmPowerState.RUNNING && last.currentOperations.isEmpty())
                break;
        }
        VM.Record marked = null;
        for (VM.Record r : seen) {
            if (r.powerState == Types.VmPowerState.HALTED && !r.currentOperations.isEmpty()) marked = r;
        }
        assertTrue(marked != null, "a snapshot of the halted VM marked by the start");
        assertEquals(Map.of(start.toWireString(), Types.VmOperations.START), marked.currentOperations);
        // with a start in progress nothing else is allowed on a halted VM (hard_shutdown/hard_reboot need it live)
        assertEquals(Set.of(), marked.allowedOperations);
        VM.Record end = seen.getLast();
        Set<String> allowed = new TreeSet<>();
        for (Types.VmOperations op : end.allowedOperations) allowed.add(op.toString());
        assertEquals(
                allowedWhenIdle(vm, "running"), allowed, "the running VM's allowed_operations, through event.from");
        assertEquals(Types.TaskStatusType.SUCCESS, LifecycleSupport.awaitTask(host, c, start).status);
        vm.hardShutdown(c);
    }
}
