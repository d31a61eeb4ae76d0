package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.RedoLogFormatException;
import org.xapijava.db.persist.VdiRedoLog;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.Refs;

/**
 * The pool's redo log on a disk ({@link VdiRedoLog}) as the master writes it through {@link DurableDatabase#commits()}
 * and a new master reads it: the snapshot, the writes acknowledged after it and not the ones before, a torn last group
 * dropped, an older log's records not read after a new snapshot, a disk without a log refused.
 */
class VdiRedoLogTest {
    private final Datamodel dm = Datamodel.get();
    private static final long SIZE = 64L << 20;

    private static Path disk(Path dir) throws Exception {
        Path p = dir.resolve("redo.raw");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(SIZE); // sparse, as the file SR makes a raw VDI
        }
        return p;
    }

    private static String vm(Database db, String name) {
        String ref = Refs.fresh();
        db.create("VM", ref, Map.of("uuid", java.util.UUID.randomUUID().toString(), "name_label", name));
        return ref;
    }

    private static void start(DurableDatabase store, VdiRedoLog log) throws Exception {
        Database db = store.database();
        db.transact(tx -> store.commits().startMirroring(log));
        log.start(db.callDeferringDurability(db::snapshot).image());
    }

    private static boolean renamed(List<DeltaBatch> batches, String ref, String name) {
        for (DeltaBatch b : batches)
            for (Delta d : b.deltas())
                if (d instanceof Delta.WriteField w
                        && w.ref().equals(ref)
                        && w.value().equals(name)) return true;
        return false;
    }

    @Test
    void aNewMasterReadsTheSnapshotThenTheWritesAcknowledgedAfterIt(@TempDir Path dir) throws Exception {
        Path disk = disk(dir);
        try (DurableDatabase store = DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir))) {
            Database db = store.database();
            String before = vm(db, "before");
            start(store, VdiRedoLog.open(disk, SIZE));
            assertTrue(store.commits().mirroring());
            db.set("VM", before, "name_label", "after");
            String made = vm(db, "made after");
            VdiRedoLog.Contents c = VdiRedoLog.read(disk);
            assertTrue(c.snapshot().tables().get("VM").stream()
                    .anyMatch(r -> r.ref().equals(before)));
            assertTrue(c.snapshot().tables().get("VM").stream()
                    .noneMatch(r -> r.ref().equals(made)));
            assertTrue(renamed(c.replay(), before, "after"));
            assertTrue(c.replay().stream()
                    .flatMap(b -> b.deltas().stream())
                    .anyMatch(d -> d instanceof Delta.CreateRow r && r.ref().equals(made)));
            for (DeltaBatch b : c.replay())
                assertTrue(b.generation() > c.snapshot().generation());

            // a torn last group is dropped: damage the last record's bytes
            long end = endOfRecords(disk);
            db.set("VM", before, "name_label", "torn");
            try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x5a, 0x5a}), end + 12);
            }
            VdiRedoLog.Contents torn = VdiRedoLog.read(disk);
            assertFalse(renamed(torn.replay(), before, "torn"));
            assertEquals(c.replay().size(), torn.replay().size());

            // a new start writes a fresh snapshot; the old log's records are not read after it
            store.commits().stopMirroring();
            assertFalse(store.commits().mirroring());
            db.set("VM", before, "name_label", "not mirrored");
            start(store, VdiRedoLog.open(disk, SIZE));
            VdiRedoLog.Contents again = VdiRedoLog.read(disk);
            assertEquals(List.of(), again.replay());
            assertTrue(again.snapshot().tables().get("VM").stream()
                    .anyMatch(r -> r.ref().equals(before)
                            && r.columns().get("name__label").equals("not mirrored")));
        }
    }

    /** Where the next record would go: after the records read. */
    private static long endOfRecords(Path disk) throws Exception {
        // scan by reading: the snapshot's end rounded up, then each frame's length
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(32);
            ch.read(h, 0);
            long at = (4096 + h.getLong(20) + 4095) / 4096 * 4096;
            java.nio.ByteBuffer len = java.nio.ByteBuffer.allocate(4);
            while (true) {
                len.clear();
                ch.read(len, at);
                int n = len.getInt(0);
                if (n == 0) return at;
                at += 8 + n;
            }
        }
    }

    @Test
    void aDiskWithoutALogIsRefused(@TempDir Path dir) throws Exception {
        assertThrows(RedoLogFormatException.class, () -> VdiRedoLog.read(disk(dir)));
    }
}
