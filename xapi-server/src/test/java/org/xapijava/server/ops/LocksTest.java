package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.ops.Locks.Retry;

/** withOperation, waiting and waking, cancellation, the queue limit, and the writes it makes. */
class LocksTest {
    static final long WAIT_S = 20; // upper bound of any wait in these tests

    final Fixture f = new Fixture();
    final Locks locks = f.locks(Fixture.fast());
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @SuppressWarnings("unchecked")
    Map<String, String> current(String cls, String ref) {
        return (Map<String, String>) f.get(cls, ref, "current_operations");
    }

    @SuppressWarnings("unchecked")
    List<String> allowed(String cls, String ref) {
        return (List<String>) f.get(cls, ref, "allowed_operations");
    }

    /** Runs {@code op} on {@code vm} in the background, holding it until {@code release} opens. */
    Future<Object> hold(CallContext ctx, String vm, String op, CountDownLatch entered, CountDownLatch release) {
        return pool.submit(() -> locks.withOperation(ctx, "VM", vm, op, Retry.STANDARD, () -> {
            entered.countDown();
            assertTrue(release.await(WAIT_S, TimeUnit.SECONDS));
            return "done";
        }));
    }

    @Test
    void marksDuringTheBodyAndUnmarksAfter() throws Exception {
        String vm = f.vm("Running");
        CallContext ctx = f.call("VM.clean_shutdown");
        Object r = locks.withOperation(ctx, "VM", vm, "clean_shutdown", Retry.STANDARD, () -> {
            assertEquals(Map.of(ctx.taskRef(), "clean_shutdown"), current("VM", vm));
            assertTrue(!allowed("VM", vm).contains("pause"), "allowed_operations recomputed at marking");
            assertEquals(
                    List.of("cancel"), f.get("task", ctx.taskRef(), "allowed_operations"), "task made cancellable");
            return 42;
        });
        assertEquals(42, r);
        assertEquals(Map.of(), current("VM", vm));
        assertTrue(allowed("VM", vm).contains("pause"));
    }

    @Test
    void theMarkingIsRemovedWhenTheBodyFails() {
        String vm = f.vm("Running");
        ApiError e = assertThrows(
                ApiError.class,
                () -> locks.withOperation(f.call("VM.pause"), "VM", vm, "pause", Retry.STANDARD, () -> {
                    throw new ApiError("SR_BACKEND_FAILURE_1");
                }));
        assertEquals("SR_BACKEND_FAILURE_1", e.code());
        assertEquals(Map.of(), current("VM", vm));
        IllegalStateException x = assertThrows(
                IllegalStateException.class,
                () -> locks.withOperation(f.call("VM.pause"), "VM", vm, "pause", Retry.STANDARD, () -> {
                    throw new IllegalStateException("bug");
                }));
        assertEquals("bug", x.getMessage());
        assertEquals(Map.of(), current("VM", vm));
        assertTrue(allowed("VM", vm).contains("pause"));
    }

    @Test
    void aRefusalMarksNothingAndIsNotRetried() {
        String vm = f.vm("Halted");
        long t0 = System.nanoTime();
        ApiError e = assertThrows(
                ApiError.class,
                () -> locks.withOperation(f.call("VM.pause"), "VM", vm, "pause", Retry.STANDARD, () -> "never"));
        assertEquals(List.of("VM_BAD_POWER_STATE", vm, "running", "halted"), e.description());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(1).toNanos());
        assertEquals(Map.of(), current("VM", vm));
    }

    @Test
    void failImmediatelyGivesOtherOperationInProgress() throws Exception {
        String vm = f.vm("Running");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CallContext a = f.call("VM.clean_shutdown");
        Future<Object> first = hold(a, vm, "clean_shutdown", entered, release);
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        ApiError e = assertThrows(
                ApiError.class,
                () -> locks.withOperation(
                        f.call("VM.call_plugin"), "VM", vm, "call_plugin", Retry.FAIL_IMMEDIATELY, () -> "never"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", vm, "clean_shutdown", a.taskRef()), e.description());
        release.countDown();
        assertEquals("done", first.get(WAIT_S, TimeUnit.SECONDS));
    }

    @Test
    void failQuicklyWaitsAndIsWokenEarlyWhenTheBlockingOperationEnds() throws Exception {
        String vm = f.vm("Running");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> first = hold(f.call("VM.clean_shutdown"), vm, "clean_shutdown", entered, release);
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        CountDownLatch secondIn = new CountDownLatch(1);
        long t0 = System.nanoTime();
        Future<Object> second =
                pool.submit(() -> locks.withOperation(f.call("VM.pause"), "VM", vm, "pause", Retry.FAIL_QUICKLY, () -> {
                    secondIn.countDown();
                    return "second";
                }));
        assertEquals(1, locks.awaitQueued(1, Duration.ofSeconds(WAIT_S)), "the second caller waits");
        assertEquals(1L, secondIn.getCount());
        release.countDown();
        assertEquals("done", first.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals("second", second.get(WAIT_S, TimeUnit.SECONDS));
        // the fail-quickly wait here is 30 s: only the early wakeup explains an end well before it
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        assertEquals(Map.of(), current("VM", vm));
    }

    @Test
    void theGlobalLockIsNotHeldDuringTheBody() throws Exception {
        String vm = f.vm("Running");
        String other = f.vm("Running");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> first = hold(f.call("VM.clean_shutdown"), vm, "clean_shutdown", entered, release);
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        assertEquals(
                "ok",
                locks.withOperation(f.call("VM.pause"), "VM", other, "pause", Retry.FAIL_IMMEDIATELY, () -> "ok"));
        release.countDown();
        first.get(WAIT_S, TimeUnit.SECONDS);
    }

    @Test
    void cancellingAWaitingTaskGivesTaskCancelled() throws Exception {
        String vm = f.vm("Running");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> first = hold(f.call("VM.clean_shutdown"), vm, "clean_shutdown", entered, release);
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        CallContext waiter = f.call("VM.pause");
        long t0 = System.nanoTime();
        Future<Object> second =
                pool.submit(() -> locks.withOperation(waiter, "VM", vm, "pause", Retry.FAIL_QUICKLY, () -> "no"));
        assertEquals(1, locks.awaitQueued(1, Duration.ofSeconds(WAIT_S)));
        assertEquals(List.of("cancel"), f.get("task", waiter.taskRef(), "allowed_operations"));
        f.tasks.cancel(waiter.taskRef(), null);
        ExecutionException ee = assertThrows(ExecutionException.class, () -> second.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals(List.of("TASK_CANCELLED", waiter.taskRef()), ((ApiError) ee.getCause()).description());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(), "woken by the cancel, not the 30 s wait");
        assertEquals(1, current("VM", vm).size(), "the first operation is still marked");
        release.countDown();
        first.get(WAIT_S, TimeUnit.SECONDS);
    }

    @Test
    void tooManyPendingTasks() throws Exception {
        Locks slow = f.locks(new Locks.Timings(
                new Locks.Policy(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(600)),
                Fixture.fast().failQuickly(),
                Fixture.fast().failImmediately()));
        String vm = f.vm("Halted");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> holder =
                pool.submit(() -> slow.withOperation(f.call("VM.start"), "VM", vm, "start", Retry.STANDARD, () -> {
                    entered.countDown();
                    assertTrue(release.await(WAIT_S, TimeUnit.SECONDS));
                    return "started";
                }));
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        List<Future<Object>> waiters = new ArrayList<>();
        for (int i = 0; i <= Locks.MAX_QUEUED; i++) {
            waiters.add(pool.submit(
                    () -> slow.withOperation(f.call("VM.clone"), "VM", vm, "clone", Retry.STANDARD, () -> "cloned")));
        }
        assertEquals(Locks.MAX_QUEUED + 1, slow.awaitQueued(Locks.MAX_QUEUED + 1, Duration.ofSeconds(WAIT_S)));
        ApiError e = assertThrows(
                ApiError.class,
                () -> slow.withOperation(f.call("VM.clone"), "VM", vm, "clone", Retry.STANDARD, () -> "no"));
        assertEquals(List.of("TOO_MANY_PENDING_TASKS"), e.description());
        release.countDown();
        assertEquals("started", holder.get(WAIT_S, TimeUnit.SECONDS));
        for (Future<Object> w : waiters) assertEquals("cloned", w.get(WAIT_S, TimeUnit.SECONDS)); // clones run together
        assertEquals(Map.of(), current("VM", vm));
    }

    @Test
    void allowedOperationsAreWrittenOnlyWhenTheyChange() throws Exception {
        String vm = f.vm("Halted");
        locks.updateAllowedOperations("VM", vm);
        long g = f.db.generation();
        locks.updateAllowedOperations("VM", vm);
        assertEquals(g, f.db.generation(), "no change, no write");
        f.db.set("VM", vm, "power_state", "Running");
        long g2 = f.db.generation();
        locks.updateAllowedOperations("VM", vm);
        assertEquals(g2 + 1, f.db.generation(), "one write of allowed_operations");
        long g3 = f.db.generation();
        locks.withOperation(f.callWithoutTask("VM.pause"), "VM", vm, "pause", Retry.STANDARD, () -> {
            // current_operations and allowed_operations, written once each, in one transaction
            assertEquals(g3 + 2, f.db.generation());
            return null;
        });
    }

    @Test
    void taskLessCallsUseOneDummyRefPerCall() throws Exception {
        String vm = f.vm("Halted");
        String other = f.vm("Halted");
        CallContext ctx = f.callWithoutTask("VM.set_NVRAM");
        String key = locks.withOperation(ctx, "VM", vm, "changing_NVRAM", Retry.STANDARD, () -> {
            String k = current("VM", vm).keySet().iterator().next();
            String nested = locks.withOperation(
                    ctx,
                    "VM",
                    other,
                    "changing_NVRAM",
                    Retry.STANDARD,
                    () -> current("VM", other).keySet().iterator().next());
            assertSame(k, nested);
            return k;
        });
        assertTrue(key.matches("DummyRef:\\|[0-9a-f-]{36}\\|VM\\.set_NVRAM"), key);
        String another = locks.withOperation(
                f.callWithoutTask("VM.set_NVRAM"),
                "VM",
                vm,
                "changing_NVRAM",
                Retry.STANDARD,
                () -> current("VM", vm).keySet().iterator().next());
        assertTrue(!another.equals(key), "each call has its own key");
    }

    @Test
    void updateAllRecomputesEveryClass() {
        String vm = f.vm("Halted");
        String sr = f.sr("ext", List.of("VDI_DELETE"));
        String vdi = f.vdi(sr, Map.of());
        String vbd = f.vbd(vm, vdi, Map.of());
        String vif = f.vif(vm, Map.of());
        locks.updateAll();
        assertTrue(allowed("VM", vm).contains("start"));
        assertEquals(List.of("attach"), allowed("VBD", vbd));
        assertEquals(List.of("attach"), allowed("VIF", vif));
        assertTrue(allowed("VDI", vdi).contains("destroy"));
        assertTrue(allowed("SR", sr).contains("scan"));
        assertTrue(allowed("host", f.host).contains("vm_start"));
        assertTrue(allowed("pool", f.pool).contains("ha_enable"));
    }

    @Test
    void assertOperationValidAndInvalidObjects() {
        String vm = f.vm("Halted");
        locks.allowed().assertValid("VM", vm, "start");
        ApiError e = assertThrows(ApiError.class, () -> locks.allowed().assertValid("VM", vm, "pause"));
        assertEquals("VM_BAD_POWER_STATE", e.code());
        ApiError h = assertThrows(ApiError.class, () -> locks.updateAllowedOperations("VM", "OpaqueRef:nope"));
        assertEquals(List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"), h.description());
    }
}
