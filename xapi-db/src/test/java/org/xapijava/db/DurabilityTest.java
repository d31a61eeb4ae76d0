package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

class DurabilityTest {

    private static void waitUntil(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out");
            Thread.sleep(5);
        }
    }

    @Test
    void persistentChangesArePublishedOnlyWhenDurable() throws Exception {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        Database db = Database.empty(DM, log);
        String vm = Refs.fresh();
        CompletableFuture<Void> commit = CompletableFuture.runAsync(
                () -> db.create("VM", vm, Map.of("uuid", "u1", "name_label", "x")), Thread::startVirtualThread);
        waitUntil(() -> log.lastTicket() == 1);
        assertFalse(commit.isDone(), "the committer waits for durability");
        assertFalse(db.exists("VM", vm), "not visible before durable");
        assertEquals(0, db.generation());

        // a non-persistent change (task) queued behind it is published with it, not before
        String task = Refs.fresh();
        CompletableFuture<Void> commit2 = CompletableFuture.runAsync(
                () -> db.create("task", task, Map.of("uuid", "t1")), Thread::startVirtualThread);
        Thread.sleep(50);
        assertFalse(commit2.isDone());
        assertFalse(db.exists("task", task));
        assertEquals(1, log.batches.size(), "task rows are not logged");

        long before = db.awaitGeneration(0, Duration.ofMillis(20));
        assertEquals(0, before);
        log.release(1);
        commit.get(5, TimeUnit.SECONDS);
        commit2.get(5, TimeUnit.SECONDS);
        assertTrue(db.exists("VM", vm));
        assertTrue(db.exists("task", task));
        assertEquals(2, db.generation());

        DeltaBatch batch = log.batches.get(0);
        assertEquals(1, batch.generation());
        Delta.CreateRow cr =
                assertInstanceOf(Delta.CreateRow.class, batch.deltas().get(0));
        assertEquals("VM", cr.table());
        assertEquals("x", cr.columns().get("name__label"));
        assertEquals("()", cr.columns().get("tags"));
        assertFalse(cr.columns().containsKey("VBDs"), "back-pointers are not persisted");
        assertFalse(cr.columns().containsKey("allowed_operations"), "non-persistent column");
        assertFalse(cr.columns().containsKey("_ref"));
    }

    @Test
    void nonPersistentChangesPublishAtOnceWhenNothingIsPending() {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        Database db = Database.empty(DM, log);
        String task = Refs.fresh();
        db.create("task", task, Map.of("uuid", "t"));
        assertTrue(db.exists("task", task));
        assertEquals(0, log.batches.size());
    }

    @Test
    void deltasCarryColumnsInDatabaseForm() {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        log.autoDurable = true;
        Database db = Database.empty(DM, log);
        String vm = TestSupport.vm(db, "x");
        String vdi = TestSupport.vdi(db, "d");
        db.set(vm, VM.MEMORY_STATIC_MAX, 42L);
        db.set(vm, VM.ALLOWED_OPERATIONS, List.of("start")); // non-persistent: no delta, no batch
        String vbd = TestSupport.vbd(db, vm, vdi);
        db.delete("VBD", vbd);
        assertEquals(5, log.batches.size());
        assertEquals(
                List.of(new Delta.WriteField("VM", vm, "memory__static_max", "42")),
                log.batches.get(2).deltas());
        assertEquals(1, log.batches.get(3).deltas().size(), "VM.VBDs is recomputed at load, never logged");
        assertEquals(
                List.of(new Delta.DeleteRow("VBD", vbd)), log.batches.get(4).deltas());
        long[] gens = log.batches.stream().mapToLong(DeltaBatch::generation).toArray();
        for (int i = 1; i < gens.length; i++) assertTrue(gens[i] > gens[i - 1]);
        assertEquals(db.generation(), gens[gens.length - 1]);
    }

    @Test
    void aFailedLogFailsTheCommitAndNothingIsPublished() throws Exception {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        Database db = Database.empty(DM, log);
        CompletableFuture<Void> commit =
                CompletableFuture.runAsync(() -> TestSupport.vm(db, "x"), Thread::startVirtualThread);
        waitUntil(() -> log.lastTicket() == 1);
        log.fail(new IOException("disk gone"));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> commit.get(5, TimeUnit.SECONDS));
        assertInstanceOf(UncheckedIOException.class, e.getCause());
        assertEquals(0, db.generation());
    }

    /**
     * Inside deferringDurability a thread's commits return without waiting, the thread reads its own writes, other
     * readers see nothing until durable, and the scope returns only once all of it is durable and published.
     */
    @Test
    void aDeferringScopeWaitsOnceAtItsEndAndItsThreadReadsItsOwnWrites() throws Exception {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        Database db = Database.empty(DM, log);
        String vm = Refs.fresh();
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<String> seenInside =
                new java.util.concurrent.atomic.AtomicReference<>();
        CompletableFuture<Void> scope = CompletableFuture.runAsync(
                () -> db.deferringDurability(() -> {
                    db.create("VM", vm, Map.of("uuid", "u1", "name_label", "x"));
                    db.set(vm, VM.NAME_LABEL, "y"); // returns at once: two commits, no wait
                    seenInside.set(db.get(vm, VM.NAME_LABEL));
                    written.countDown();
                }),
                Thread::startVirtualThread);
        assertTrue(written.await(5, TimeUnit.SECONDS), "the scope's commits did not wait for durability");
        assertEquals("y", seenInside.get(), "the writing thread reads its own writes");
        assertEquals(2, log.lastTicket());
        assertFalse(db.exists("VM", vm), "others see nothing before durable");
        Thread.sleep(50);
        assertFalse(scope.isDone(), "the scope waits for durability at its end");
        log.release(1);
        Thread.sleep(50);
        assertFalse(scope.isDone(), "…for its last commit");
        log.release(2);
        scope.get(5, TimeUnit.SECONDS);
        assertEquals("y", db.get(vm, VM.NAME_LABEL), "published when the scope returns");
        // outside a scope, commits wait again
        CompletableFuture<Void> plain =
                CompletableFuture.runAsync(() -> db.set(vm, VM.NAME_LABEL, "z"), Thread::startVirtualThread);
        waitUntil(() -> log.lastTicket() == 3);
        Thread.sleep(50);
        assertFalse(plain.isDone());
        log.release(3);
        plain.get(5, TimeUnit.SECONDS);
    }
    /**
     * A scope reads the newest committed state from its first read, before it has written anything (a thread handed
     * work by a call still in its scope sees that call's writes), and its end waits until what it read is durable;
     * a reader outside any scope still sees only durable state. A call's scope with a result returns it, or throws
     * its exception, only after that wait.
     */
    @Test
    void aScopeReadsWhatOthersCommittedAndWaitsForItAtItsEnd() throws Exception {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        Database db = Database.empty(DM, log);
        String vm = Refs.fresh();
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(
                () -> db.deferringDurability(() -> {
                    db.create("VM", vm, Map.of("uuid", "u1", "name_label", "x"));
                    written.countDown();
                }),
                Thread::startVirtualThread);
        assertTrue(written.await(5, TimeUnit.SECONDS));
        assertFalse(db.exists("VM", vm), "outside a scope: durable state only");
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(
                () -> db.callDeferringDurability(() -> db.get(vm, VM.NAME_LABEL)), Thread::startVirtualThread);
        Thread.sleep(50);
        assertFalse(reader.isDone(), "the reader's scope waits for what it read");
        CompletableFuture<Void> failing = CompletableFuture.runAsync(
                () -> {
                    try {
                        db.callDeferringDurability(() -> {
                            if (db.exists("VM", vm)) throw new IOException("seen");
                            return null;
                        });
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                Thread::startVirtualThread);
        Thread.sleep(50);
        assertFalse(failing.isDone(), "an exception leaves the scope after its wait too");
        log.release(1);
        assertEquals("x", reader.get(5, TimeUnit.SECONDS));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> failing.get(5, TimeUnit.SECONDS));
        assertInstanceOf(UncheckedIOException.class, e.getCause());
        writer.get(5, TimeUnit.SECONDS);
        assertTrue(db.exists("VM", vm));
    }
}
