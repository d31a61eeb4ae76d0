package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.VM;

class ConcurrencyTest {

    @Test
    void readersNeverSeeHalfATransaction() throws Exception {
        Database db = Database.empty(DM);
        String a = TestSupport.vm(db, "0");
        String b = TestSupport.vm(db, "0");
        int writers = 4;
        int perWriter = 5_000;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            readers.add(Thread.ofPlatform().start(() -> {
                long lastGen = -1;
                while (!stop.get()) {
                    Snapshot s = db.snapshot();
                    String x = s.get(a, VM.NAME_LABEL);
                    String y = s.get(b, VM.NAME_LABEL);
                    if (!x.equals(y)) problem.compareAndSet(null, "half-applied: " + x + " / " + y);
                    if (s.generation() < lastGen) problem.compareAndSet(null, "generation went back");
                    lastGen = s.generation();
                    reads.incrementAndGet();
                }
            }));
        }
        List<Thread> ws = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            ws.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perWriter; i++) {
                    String v = id + ":" + i;
                    db.transact(tx -> {
                        tx.set(a, VM.NAME_LABEL, v);
                        tx.set(b, VM.NAME_LABEL, v);
                    });
                }
            }));
        }
        for (Thread t : ws) t.join();
        stop.set(true);
        for (Thread t : readers) t.join();
        assertEquals(null, problem.get());
        assertTrue(reads.get() > 0);
        // 2 creates + 2 writes per transaction (every value differs from the previous one)
        assertEquals(2 + 2L * writers * perWriter, db.generation());
    }
}
