package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;
import static org.xapijava.db.TestSupport.apiError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

class LocalDbTest {
    private final Database database = Database.empty(DM);
    private final Db db = new LocalDb(database);

    private String vm(String label) {
        return db.create(FieldValues.of(VM.XAPI_CLASS)
                .with(VM.UUID, UUID.randomUUID().toString())
                .with(VM.NAME_LABEL, label));
    }

    @Test
    void typedReadsAndWrites() {
        String a = vm("a");
        String b = vm("b");
        db.set(a, VM.USER_VERSION, 7L);
        assertEquals(7L, db.get(a, VM.USER_VERSION));
        assertEquals(List.of(a), db.where(VM.USER_VERSION, 7L));
        assertEquals(List.of(b), db.byNameLabel(VM.XAPI_CLASS, "b"));
        assertEquals(a, db.byUuid(VM.XAPI_CLASS, db.get(a, VM.UUID)));
        assertTrue(db.findByUuid(VM.XAPI_CLASS, "nope").isEmpty());
        apiError(() -> db.byUuid(VM.XAPI_CLASS, "nope"), "UUID_INVALID", "VM", "nope");
        db.addToSet(a, VM.TAGS, "t");
        db.addToMap(a, VM.OTHER_CONFIG, "k", "v");
        apiError(() -> db.addToMap(a, VM.OTHER_CONFIG, "k", "w"), "MAP_DUPLICATE_KEY", "VM", "other_config", a, "k");
        db.removeFromMap(a, VM.OTHER_CONFIG, "k");
        assertEquals(Map.of(), db.get(a, VM.OTHER_CONFIG));
        assertEquals(List.of("t"), db.record(VM.XAPI_CLASS, a).get("tags"));
        assertEquals(List.of("t"), Db.value(db.record(VM.XAPI_CLASS, a), VM.TAGS));
        assertEquals(2, db.all(VM.XAPI_CLASS).size());
        assertEquals(db.modified(VM.XAPI_CLASS, b), db.version(VM.XAPI_CLASS, b).orElseThrow());
        assertTrue(db.version(VDI.XAPI_CLASS, b).isEmpty(), "a row of another class");
        assertTrue(db.version(VM.XAPI_CLASS, Refs.NULL).isEmpty());
        db.delete(VM.XAPI_CLASS, b);
        assertTrue(db.version(VM.XAPI_CLASS, b).isEmpty());
        assertFalse(db.exists(VM.XAPI_CLASS, b));
        apiError(() -> db.get(b, VM.NAME_LABEL), "HANDLE_INVALID", "VM", b);
        assertThrows(
                IllegalArgumentException.class,
                () -> FieldValues.of(VM.XAPI_CLASS).with(VDI.NAME_LABEL, "x"));
        apiError(() -> db.set(a, VM.NAME_LABEL, "bad\uffff"), "INTERNAL_ERROR", "Db_exn.Invalid_value");
    }

    @Test
    void anUpdateIsAllOrNothing() {
        String a = vm("a");
        long g = database.generation();
        Update bad = Update.builder()
                .set(a, VM.NAME_LABEL, "renamed")
                .create(Refs.fresh(), FieldValues.of(VDI.XAPI_CLASS).with(VDI.NAME_LABEL, "d"))
                .set(a, VM.NAME_DESCRIPTION, "bad\u0001")
                .build();
        apiError(() -> db.apply(bad), "INTERNAL_ERROR", "Db_exn.Invalid_value");
        assertEquals(g, database.generation());
        assertEquals("a", db.get(a, VM.NAME_LABEL));
        assertEquals(0, db.all(VDI.XAPI_CLASS).size());

        ApiError busy = new ApiError("OTHER_OPERATION_IN_PROGRESS", "VM", a);
        Update guarded = Update.builder()
                .exists(VM.XAPI_CLASS, a)
                .expect(a, VM.POWER_STATE, "Running", busy)
                .set(a, VM.NAME_LABEL, "x")
                .build();
        assertEquals(busy, assertThrows(ApiError.class, () -> db.apply(guarded)));
        db.set(a, VM.POWER_STATE, "Running");
        db.apply(guarded);
        assertEquals("x", db.get(a, VM.NAME_LABEL));
        apiError(
                () -> db.apply(
                        Update.builder().exists(VM.XAPI_CLASS, "OpaqueRef:gone").build()),
                "HANDLE_INVALID",
                "VM",
                "OpaqueRef:gone");
    }

    @Test
    void optimisticUpdatesUnderConcurrencyLoseNothing() throws Exception {
        String a = vm("counter");
        int threads = 8;
        int each = 200;
        AtomicInteger conflicts = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            boolean byGeneration = t % 2 == 0;
            ts.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    while (true) {
                        long m = db.modified(VM.XAPI_CLASS, a);
                        long v = db.get(a, VM.USER_VERSION);
                        Update.Builder u = Update.builder();
                        if (byGeneration) u.unchanged(VM.XAPI_CLASS, a, m);
                        else u.expect(a, VM.USER_VERSION, v, null);
                        try {
                            db.apply(u.set(a, VM.USER_VERSION, v + 1).build());
                            break;
                        } catch (Db.Conflict c) {
                            conflicts.incrementAndGet();
                        }
                    }
                }
            }));
        }
        for (Thread t : ts) t.join();
        assertEquals((long) threads * each, db.get(a, VM.USER_VERSION), conflicts.get() + " conflicts retried");
    }

    @Test
    void aRowChangedSinceItWasReadIsAConflict() {
        String a = vm("a");
        long m = db.modified(VM.XAPI_CLASS, a);
        db.set(a, VM.NAME_DESCRIPTION, "someone else");
        long g = database.generation();
        Update u = Update.builder()
                .unchanged(VM.XAPI_CLASS, a, m)
                .set(a, VM.NAME_LABEL, "mine")
                .build();
        assertThrows(Db.Conflict.class, () -> db.apply(u));
        assertThrows(
                Db.Conflict.class,
                () -> db.apply(Update.builder()
                        .expect(a, VM.NAME_DESCRIPTION, "as read", null)
                        .build()));
        assertEquals(g, database.generation());
        assertEquals("a", db.get(a, VM.NAME_LABEL));
    }

    @Test
    void retryingRunsAnAttemptAgainUntilItsReadsStillHold() {
        String a = vm("a");
        AtomicInteger attempts = new AtomicInteger();
        String seen = Db.retrying(() -> {
            long m = db.modified(VM.XAPI_CLASS, a);
            String label = db.get(a, VM.NAME_LABEL);
            // someone else writes between the first attempt's reads and its update
            if (attempts.incrementAndGet() == 1) db.set(a, VM.NAME_LABEL, "b");
            db.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, a, m)
                    .set(a, VM.NAME_DESCRIPTION, "was " + label)
                    .build());
            return label;
        });
        assertEquals(2, attempts.get());
        assertEquals("b", seen);
        assertEquals("was b", db.get(a, VM.NAME_DESCRIPTION));
        // an error that is not a conflict is not retried
        attempts.set(0);
        apiError(
                () -> Db.retrying(() -> {
                    attempts.incrementAndGet();
                    db.apply(Update.builder()
                            .exists(VM.XAPI_CLASS, "OpaqueRef:gone")
                            .build());
                }),
                "HANDLE_INVALID",
                "VM",
                "OpaqueRef:gone");
        assertEquals(1, attempts.get());
        // a conflict that never clears is thrown in the end
        attempts.set(0);
        assertThrows(
                Db.Conflict.class,
                () -> Db.retrying(() -> {
                    attempts.incrementAndGet();
                    db.apply(Update.builder()
                            .expect(a, VM.NAME_LABEL, "never", null)
                            .build());
                }));
        assertEquals(Db.MAX_CONFLICTS, attempts.get());
    }
}
