package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.xapijava.db.persist.DbImage;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.db.persist.LoadedDb.LoadedRow;
import org.xapijava.model.api.VM;

class LoadTest {
    static final String VM1 = "OpaqueRef:00000000-0000-0000-0000-000000000001";
    static final String VM2 = "OpaqueRef:00000000-0000-0000-0000-000000000002";
    static final String VBD_A = "OpaqueRef:00000000-0000-0000-0000-00000000000a";
    static final String VBD_B = "OpaqueRef:00000000-0000-0000-0000-00000000000b";

    static LoadedDb image(Map<String, String> extraVmColumns, Map<String, List<LoadedRow>> extraTables) {
        Map<String, List<LoadedRow>> tables = new LinkedHashMap<>();
        Map<String, String> vm1 = new HashMap<>(Map.of(
                "_ref",
                VM1,
                "uuid",
                "u-vm1",
                "name__label",
                "one",
                "power_state",
                "Running",
                "allowed_operations",
                "('start')",
                "VBDs",
                "('junk')",
                "other_config",
                "(('k' 'v'))"));
        vm1.putAll(extraVmColumns);
        tables.put(
                "VM",
                List.of(
                        new LoadedRow(VM1, 3, 7, vm1),
                        new LoadedRow(VM2, 4, 4, Map.of("uuid", "u-vm2", "name__label", "two"))));
        tables.put(
                "VBD",
                List.of(
                        new LoadedRow(VBD_A, 5, 5, Map.of("uuid", "u-a", "VM", VM1)),
                        new LoadedRow(VBD_B, 6, 6, Map.of("uuid", "u-b", "VM", VM1))));
        tables.put("task", List.of(new LoadedRow("OpaqueRef:t", 1, 1, Map.of("uuid", "u-t"))));
        tables.put("session", List.of());
        tables.putAll(extraTables);
        return new LoadedDb(10, 5, 909, tables);
    }

    @Test
    void loadRestoresTypedRowsDefaultsStampsAndBackPointers() {
        Database db = Database.load(DM, image(Map.of(), Map.of()), List.of(), null);
        assertEquals(10, db.generation());
        assertEquals("one", db.get(VM1, VM.NAME_LABEL));
        assertEquals("Running", db.get(VM1, VM.POWER_STATE));
        assertEquals(Map.of("k", "v"), db.get(VM1, VM.OTHER_CONFIG));
        assertEquals(List.of(), db.get(VM1, VM.ALLOWED_OPERATIONS), "non-persistent column reset");
        assertEquals(List.of(VBD_B, VBD_A), db.get(VM1, VM.VBDS), "recomputed, in Xapi's order");
        assertEquals(List.of(), db.get(VM2, VM.VBDS));
        assertEquals("Halted", db.get(VM2, VM.POWER_STATE), "missing column: datamodel default");
        assertEquals(0L, db.get(VM2, VM.MEMORY_STATIC_MAX), "missing column without default: empty value");
        assertEquals(new DbReader.RowStat(3, 7), db.snapshot().stat("VM", VM1));
        assertEquals(0, db.snapshot().count("task"), "non-persistent tables start empty");
        assertEquals(VM2, db.getByUuid("VM", "u-vm2"));
        assertEquals(List.of(VM1), db.getByNameLabel("VM", "one"));
        // the change feed works across the loaded stamps
        assertEquals(
                List.of(new Change("VM", VM1, Change.Op.MOD, 7)),
                db.changesSince(List.of("VM"), 6).changes());
        // and writes continue from the file's generation
        db.set(VM2, VM.NAME_LABEL, "deux");
        assertEquals(new DbReader.RowStat(4, 10), db.snapshot().stat("VM", VM2));
    }

    @Test
    void replayAppliesNewerBatchesInOrder() {
        List<DeltaBatch> replay = List.of(
                new DeltaBatch(9, List.of(new Delta.WriteField("VM", VM1, "name__label", "old, already in the image"))),
                new DeltaBatch(11, List.of(new Delta.WriteField("VM", VM1, "name__label", "uno"))),
                new DeltaBatch(
                        13,
                        List.of(
                                new Delta.CreateRow("VBD", "OpaqueRef:c", Map.of("uuid", "u-c", "VM", VM2)),
                                new Delta.DeleteRow("VBD", VBD_A))),
                new DeltaBatch(14, List.of(new Delta.WriteField("VM", VM1, "groups", "()"))));
        Database db = Database.load(DM, image(Map.of(), Map.of()), replay, null);
        assertEquals(14, db.generation());
        assertEquals("uno", db.get(VM1, VM.NAME_LABEL));
        assertEquals(List.of("OpaqueRef:c"), db.get(VM2, VM.VBDS));
        assertEquals(List.of(VBD_B), db.get(VM1, VM.VBDS));
        assertEquals(
                List.of(new Change("VBD", VBD_A, Change.Op.DEL, 12)),
                db.changesSince(List.of("VBD"), 11).changes().stream()
                        .filter(c -> c.op() == Change.Op.DEL)
                        .toList());
        assertThrows(
                DbLoadException.class,
                () -> Database.load(
                        DM,
                        image(Map.of(), Map.of()),
                        List.of(new DeltaBatch(12, List.of()), new DeltaBatch(12, List.of())),
                        null));
        DbLoadException e = assertThrows(
                DbLoadException.class,
                () -> Database.load(
                        DM,
                        image(Map.of(), Map.of()),
                        List.of(new DeltaBatch(
                                12, List.of(new Delta.WriteField("VM", "OpaqueRef:gone", "name__label", "x")))),
                        null));
        assertEquals("VM", e.table());
        assertEquals("OpaqueRef:gone", e.ref());
    }

    @Test
    void columnsAndTablesOfNewerReleasesAreDropped() {
        Database db = Database.load(
                DM,
                image(
                        Map.of("groups", "()"),
                        Map.of("VM_group", List.of(new LoadedRow("OpaqueRef:g", 1, 1, Map.of("uuid", "g"))))),
                List.of(),
                null);
        assertEquals("one", db.get(VM1, VM.NAME_LABEL));
    }

    @Test
    void badDataNamesTableRowAndColumn() {
        DbLoadException e = assertThrows(
                DbLoadException.class,
                () -> Database.load(DM, image(Map.of("memory__static_max", "lots"), Map.of()), List.of(), null));
        assertEquals(List.of("VM", VM1, "memory__static_max"), List.of(e.table(), e.ref(), e.column()));
        e = assertThrows(
                DbLoadException.class,
                () -> Database.load(DM, image(Map.of("no_such_column", "x"), Map.of()), List.of(), null));
        assertEquals(List.of("VM", VM1, "no_such_column"), List.of(e.table(), e.ref(), e.column()));
        e = assertThrows(
                DbLoadException.class,
                () -> Database.load(DM, image(Map.of(), Map.of("Nope", List.of())), List.of(), null));
        assertEquals("Nope", e.table());
        e = assertThrows(
                DbLoadException.class,
                () -> Database.load(DM, image(Map.of("uuid", "u-vm2"), Map.of()), List.of(), null));
        assertEquals("uuid", e.column());
    }

    /** Collects a DbImage as table → ref → columns. */
    static Map<String, Map<String, Map<String, String>>> collect(DbImage img) {
        Map<String, Map<String, Map<String, String>>> out = new TreeMap<>();
        for (DbImage.TableImage t : img.tables()) {
            Map<String, Map<String, String>> rows = new TreeMap<>();
            for (DbImage.RowImage r : t.rows()) {
                Map<String, String> cols = new TreeMap<>();
                r.columns(cols::put);
                cols.put("__ctime", Long.toString(r.created()));
                cols.put("__mtime", Long.toString(r.modified()));
                rows.put(r.ref(), cols);
            }
            out.put(t.name(), rows);
        }
        return out;
    }

    @Test
    void imageRoundTripsThroughLoad() {
        Database db = Database.load(DM, image(Map.of(), Map.of()), List.of(), null);
        db.set(VM1, VM.TAGS, List.of("a b", "it's"));
        db.create("task", "OpaqueRef:t2", Map.of("uuid", "t2"));
        DbImage img = db.snapshot().image();
        assertEquals(12, img.generation());
        assertEquals(5, img.schemaMajor());
        Map<String, Map<String, Map<String, String>>> tables = collect(img);
        assertEquals(DM.classes().size(), tables.size(), "every table is present");
        assertTrue(tables.get("task").isEmpty(), "non-persistent table has no rows");
        Map<String, String> vm1 = tables.get("VM").get(VM1);
        assertEquals("('a b' 'it\\'s')", vm1.get("tags"));
        assertEquals("one", vm1.get("name__label"));
        assertFalse(vm1.containsKey("VBDs"));
        assertFalse(vm1.containsKey("allowed_operations"));
        assertEquals("10", vm1.get("__mtime"));

        // load what the image holds: same database
        Map<String, List<LoadedRow>> loaded = new LinkedHashMap<>();
        for (var t : tables.entrySet()) {
            List<LoadedRow> rows = new ArrayList<>();
            for (var r : t.getValue().entrySet()) {
                Map<String, String> cols = new HashMap<>(r.getValue());
                long c = Long.parseLong(cols.remove("__ctime"));
                long m = Long.parseLong(cols.remove("__mtime"));
                rows.add(new LoadedRow(r.getKey(), c, m, cols));
            }
            loaded.put(t.getKey(), rows);
        }
        Database again = Database.load(DM, new LoadedDb(img.generation(), 5, 909, loaded), List.of(), null);
        assertEquals(tables, collect(again.snapshot().image()));
        assertEquals(db.get(VM1, VM.VBDS), again.get(VM1, VM.VBDS));
    }

    @Test
    void flushSchedulerWritesSnapshotsAndCheckpoints() throws Exception {
        TestSupport.FakeLog log = new TestSupport.FakeLog();
        log.autoDurable = true;
        Database db = Database.empty(DM, log);
        List<Long> written = new java.util.concurrent.CopyOnWriteArrayList<>();
        SnapshotWriter writer = img -> written.add(img.generation());
        try (FlushScheduler f =
                new FlushScheduler(db, writer, FlushPolicy.eager(Duration.ofMillis(20)), log, 0).start()) {
            Thread.sleep(80);
            assertEquals(List.of(), written, "nothing new: no write");
            TestSupport.vm(db, "x");
            long end = System.nanoTime() + 5_000_000_000L;
            while (written.isEmpty() && System.nanoTime() < end) Thread.sleep(10);
            assertEquals(List.of(1L), written);
            Thread.sleep(80);
            assertEquals(1, f.writes(), "no new generation: no new write");
            assertEquals(1, f.flushNow());
            assertEquals(List.of(1L, 1L), log.checkpoints);
        }
        // Xapi's policy coalesces: nothing within 300 s of the last write
        Database db2 = Database.empty(DM);
        List<Long> w2 = new ArrayList<>();
        try (FlushScheduler f = new FlushScheduler(db2, img -> w2.add(img.generation()), FlushPolicy.XAPI, null, 0)) {
            TestSupport.vm(db2, "y");
            assertFalse(f.maybeFlush());
            assertEquals(1, f.flushNow());
            assertEquals(List.of(1L), w2);
        }
        FlushScheduler failing = new FlushScheduler(
                db2,
                img -> {
                    throw new IOException("full");
                },
                FlushPolicy.XAPI,
                null,
                0);
        assertThrows(IOException.class, failing::flushNow);
    }
}
