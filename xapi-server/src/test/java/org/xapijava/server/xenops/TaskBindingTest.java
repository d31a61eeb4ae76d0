package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Xenops;

/** How a call waits for its xenopsd task: woken by the event thread while it follows, else polling as Xapi. */
class TaskBindingTest {
    /** A xenopsd whose one task is pending until {@link #finish}; counts the calls a waiter makes. */
    private static final class FakeXenopsd {
        final AtomicReference<TaskInfo.State> state = new AtomicReference<>(new TaskInfo.Pending(0.5));
        final AtomicInteger stats = new AtomicInteger();
        final AtomicInteger updateReads = new AtomicInteger();
        final CompletableFuture<Void> finished = new CompletableFuture<>();

        Xenops xenops() {
            return (Xenops) Proxy.newProxyInstance(
                    Xenops.class.getClassLoader(), new Class<?>[] {Xenops.class}, (proxy, m, args) -> {
                        switch (m.getName()) {
                            case "taskStat" -> {
                                stats.incrementAndGet();
                                return new TaskInfo("t1", "dbg", 0, state.get(), Map.of(), Map.of(), "", true);
                            }
                            case "updatesLastId" -> {
                                updateReads.incrementAndGet();
                                return 0;
                            }
                            case "updatesGet" -> {
                                updateReads.incrementAndGet();
                                finished.get(10, TimeUnit.SECONDS);
                                return new Updates(List.of(), List.of(new DynamicId.Task("t1")), 1);
                            }
                            case "toString" -> {
                                return "fake xenopsd";
                            }
                            default -> throw new UnsupportedOperationException(m.getName());
                        }
                    });
        }

        void finish() {
            state.set(new TaskInfo.Completed(1.0, null));
            finished.complete(null);
        }
    }

    @Test
    void whileTheEventThreadFollowsAWaiterIsWokenByItAndReadsNoUpdates() throws Exception {
        FakeXenopsd x = new FakeXenopsd();
        TaskBinding b = new TaskBinding(null, null, x.xenops(), 3_600_000);
        b.following(true);
        CompletableFuture<Void> waiting =
                CompletableFuture.runAsync(() -> b.waitFor("dbg", "t1"), Thread::startVirtualThread);
        waitUntil(() -> x.stats.get() >= 1);
        b.onTaskEvent("dbg", "t1"); // an update naming the task, still pending: the waiter takes its state, waits again
        assertEquals(2, x.stats.get());
        assertFalse(waiting.isDone());
        x.state.set(new TaskInfo.Completed(1.0, null));
        b.onTaskEvent("dbg", "t1");
        waiting.get(10, TimeUnit.SECONDS); // the recheck is an hour away: only the event thread can have woken it
        assertEquals(3, x.stats.get(), "one look of the waiter's own, then one per update, read for both");
        assertEquals(0, x.updateReads.get(), "the waiter read no updates of its own");
    }

    @Test
    void whenTheEventThreadStopsFollowingTheWaiterPollsAsXapi() throws Exception {
        FakeXenopsd x = new FakeXenopsd();
        TaskBinding b = new TaskBinding(null, null, x.xenops(), 3_600_000);
        b.following(true);
        CompletableFuture<Void> waiting =
                CompletableFuture.runAsync(() -> b.waitFor("dbg", "t1"), Thread::startVirtualThread);
        waitUntil(() -> x.stats.get() >= 1);
        b.following(false); // the event connection dropped
        waitUntil(() -> x.updateReads.get() >= 2); // UPDATES.last_id, then UPDATES.get
        assertFalse(waiting.isDone());
        x.finish();
        waiting.get(10, TimeUnit.SECONDS);
    }

    @Test
    void withoutTheEventThreadTheWaiterPollsAsXapi() throws Exception {
        FakeXenopsd x = new FakeXenopsd();
        TaskBinding b = new TaskBinding(null, null, x.xenops(), 3_600_000);
        CompletableFuture<Void> waiting =
                CompletableFuture.runAsync(() -> b.waitFor("dbg", "t1"), Thread::startVirtualThread);
        waitUntil(() -> x.updateReads.get() >= 2);
        x.finish();
        waiting.get(10, TimeUnit.SECONDS);
        assertTrue(x.stats.get() >= 2);
    }

    private static void waitUntil(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not reached in 10 s");
            Thread.sleep(5);
        }
    }
}
