package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

class ChangeFeedTest {

    @Test
    void addModDelSemantics() {
        Database db = Database.empty(DM);
        String a = TestSupport.vm(db, "a"); // created 0
        String b = TestSupport.vm(db, "b"); // created 1
        long since = db.generation() - 1; // 1: a and b are old
        db.set(a, VM.NAME_LABEL, "a2"); // 2: mod a
        String c = TestSupport.vm(db, "c"); // 3: add c
        db.set(c, VM.NAME_LABEL, "c2"); // 4: c stays an add, id = created
        db.delete("VM", b); // 5: del b
        String d = TestSupport.vm(db, "d"); // 6
        db.delete("VM", d); // 7: created and deleted in the window: nothing
        Changes ch = db.changesSince(List.of("VM"), since);
        assertEquals(
                Set.of(
                        new Change("VM", a, Change.Op.MOD, 2),
                        new Change("VM", c, Change.Op.ADD, 3),
                        new Change("VM", b, Change.Op.DEL, 5)),
                Set.copyOf(ch.changes()));
        assertEquals(3, ch.changes().size());
        assertEquals(7, ch.token(), "the latest matched stamp, the hidden deletion included");
        assertEquals(8, ch.snapshot().generation());

        Changes none = db.changesSince(List.of("VM"), ch.token());
        assertEquals(List.of(), none.changes());
        assertEquals(7, none.token());

        Changes fromStart = db.changesSince(List.of("VM"), -1);
        assertEquals(
                Set.of(new Change("VM", a, Change.Op.ADD, 0), new Change("VM", c, Change.Op.ADD, 3)),
                Set.copyOf(fromStart.changes()));
        assertEquals(
                Map.of("vm", 2, "vdi", 0),
                Map.of(
                        "vm",
                        ch.snapshot().validRefCounts().get("vm"),
                        "vdi",
                        ch.snapshot().validRefCounts().get("vdi")));
        assertEquals(DM.classes().size(), db.validRefCounts().size());

        Changes filtered = db.changesSince(List.of("VM"), (cls, ref) -> ref.equals(a), since);
        assertEquals(List.of(new Change("VM", a, Change.Op.MOD, 2)), filtered.changes());
        assertEquals(2, filtered.token());
    }

    @Test
    void classesWithoutEventsGiveNothing() {
        Database db = Database.empty(DM);
        db.create("session", Refs.fresh(), Map.of("uuid", "s"));
        String task = Refs.fresh();
        db.create("task", task, Map.of("uuid", "t"));
        Changes ch = db.changesSince(List.of("session", "task", "NoSuchClass"), -1);
        assertEquals(List.of(new Change("task", task, Change.Op.ADD, 1)), ch.changes());
        assertEquals(1, db.validRefCounts().get("session"));
    }

    @Test
    void waitIsWokenByACommitAndTimesOut() throws Exception {
        Database db = Database.empty(DM);
        long t0 = System.nanoTime();
        assertEquals(0, db.awaitGeneration(0, Duration.ofMillis(100)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90));
        assertEquals(0, db.awaitGeneration(-1, Duration.ofSeconds(10)), "already past: returns at once");

        CountDownLatch started = new CountDownLatch(1);
        long[] got = {-1};
        Thread w = Thread.startVirtualThread(() -> {
            started.countDown();
            try {
                got[0] = db.awaitGeneration(0, Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        started.await();
        Thread.sleep(50);
        TestSupport.vm(db, "x");
        w.join(5000);
        assertEquals(1, got[0]);
        assertEquals(2L, db.onGenerationAfter(0).thenApply(x -> x + 1).getNow(-1L));
    }

    @Test
    void oneCommitWakesAThousandVirtualThreads() throws Exception {
        Database db = Database.empty(DM);
        int n = 1000;
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch done = new CountDownLatch(n);
        AtomicInteger woken = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.startVirtualThread(() -> {
                ready.countDown();
                try {
                    if (db.awaitGeneration(0, Duration.ofSeconds(60)) > 0) woken.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                done.countDown();
            }));
        }
        ready.await();
        Thread.sleep(100);
        assertEquals(n, done.getCount(), "nobody returns before the commit");
        TestSupport.vm(db, "wake");
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(n, woken.get());
    }
}
