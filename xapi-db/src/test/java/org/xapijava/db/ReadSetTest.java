package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

class ReadSetTest {
    private final Database database = Database.empty(DM);
    private final Db db = new LocalDb(database);

    private String host(long memory) {
        return db.create(FieldValues.of(Host.XAPI_CLASS)
                .with(Host.UUID, UUID.randomUUID().toString())
                .with(Host.MEMORY_OVERHEAD, memory));
    }

    private String vm(String host, long min) {
        return db.create(FieldValues.of(VM.XAPI_CLASS)
                .with(VM.UUID, UUID.randomUUID().toString())
                .with(VM.RESIDENT_ON, host)
                .with(VM.MEMORY_DYNAMIC_MIN, min));
    }

    /** Room left on {@code host}: its budget (kept in memory_overhead here) less its VMs' dynamic minimum. */
    private static long room(FieldReads r, String host) {
        long left = r.get(host, Host.MEMORY_OVERHEAD);
        for (String vm : r.where(VM.RESIDENT_ON, host)) left -= r.get(vm, VM.MEMORY_DYNAMIC_MIN);
        return left;
    }

    @Test
    void aChangeToARowReadOrToASetListedIsAConflict() {
        String h = host(100);
        String a = vm(h, 10);
        ReadSet r = new ReadSet(db);
        assertEquals(90, room(r, h));
        Update write = Update.builder()
                .require(r.preconditions())
                .set(a, VM.NAME_LABEL, "x")
                .build();
        db.apply(write); // nothing read has changed
        assertThrows(Db.Conflict.class, () -> db.apply(write), "the write itself changed a row it read");

        ReadSet joined = new ReadSet(db);
        room(joined, h);
        vm(h, 5); // a row joins the set the check listed (the host's resident_VMs changes with it)
        assertThrows(
                Db.Conflict.class,
                () -> db.apply(Update.builder()
                        .require(joined.preconditions())
                        .set(h, Host.NAME_LABEL, "y")
                        .build()));

        ReadSet all = new ReadSet(db);
        int vms = all.all(VM.XAPI_CLASS).size();
        assertEquals(2, vms);
        db.delete(VM.XAPI_CLASS, a); // no row this read set read has changed: only the list of rows
        assertThrows(
                Db.Conflict.class,
                () -> db.apply(Update.builder()
                        .require(all.preconditions())
                        .set(h, Host.NAME_LABEL, "z")
                        .build()));
        assertEquals("", db.get(h, Host.NAME_LABEL), "nothing written by a conflicting update");
    }

    @Test
    void existsRequiresARowFoundButNotTheAbsenceOfOne() {
        String h = host(1);
        ReadSet r = new ReadSet(db);
        assertTrue(r.isValid(Host.XAPI_CLASS, h));
        assertFalse(r.isValid(Host.XAPI_CLASS, Refs.NULL));
        assertFalse(r.exists(VM.XAPI_CLASS, h), "a row of another class");
        assertEquals(1, r.preconditions().size());
        db.set(h, Host.NAME_LABEL, "changed");
        assertThrows(
                Db.Conflict.class,
                () -> db.apply(Update.builder().require(r.preconditions()).build()));
    }

    /**
     * Sixteen threads each add VMs of 7 units to a host with room for 100 while there is room, each check and its
     * write one optimistic step: the host never holds more than its room, however the steps interleave.
     */
    @Test
    void checksAndWritesOverSeveralRowsStayAtomicUnderConcurrency() throws Exception {
        String h = host(100);
        int threads = 16;
        var start = new CyclicBarrier(threads);
        try (var pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> added = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                added.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    while (true) {
                        boolean fits = Db.retrying(() -> {
                            ReadSet r = new ReadSet(db);
                            if (room(r, h) < 7) return false;
                            db.apply(Update.builder()
                                    .require(r.preconditions())
                                    .create(
                                            Refs.fresh(),
                                            FieldValues.of(VM.XAPI_CLASS)
                                                    .with(
                                                            VM.UUID,
                                                            UUID.randomUUID().toString())
                                                    .with(VM.RESIDENT_ON, h)
                                                    .with(VM.MEMORY_DYNAMIC_MIN, 7L))
                                    .build());
                            return true;
                        });
                        if (!fits) return n;
                        n++;
                    }
                }));
            }
            int total = 0;
            for (Future<Integer> f : added) total += f.get();
            assertEquals(14, total, "100 / 7 VMs fit");
            assertEquals(14, db.where(VM.RESIDENT_ON, h).size());
            assertEquals(2, room(db, h));
        }
    }
}
