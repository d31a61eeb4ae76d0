package org.xapijava.server.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.db.DurableDatabase;
import org.xapijava.db.FieldValues;
import org.xapijava.db.LocalDb;
import org.xapijava.db.persist.VdiRedoLog;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Pool;
import org.xapijava.storage.smapiv1.StaticVdis;

/**
 * Which database a master starts on: the one it opened, or the pool's redo log's when that one is of the same pool
 * and strictly newer (its snapshot and the records after it counted); another pool's, an equal or older one, a damaged
 * disk and a host without the static VDI keep the database opened.
 */
class RedoLogRecoveryTest {
    private static final String POOL_REF = "OpaqueRef:5d5a1b2e-0000-4000-8000-000000000001";
    private static final String VDI_UUID = "2b8f6c1e-7d1a-4f0e-9a53-0c1d2e3f4a5b";

    @TempDir
    Path dir;

    private final Datamodel dm = Datamodel.get();

    @Test
    void aNewerDatabaseOfThePoolReplacesTheOneOpened() throws Exception {
        long opened = local("pool-1", 2);
        long onVdi = vdi("pool-1", 6);
        assertTrue(onVdi > opened, onVdi + " > " + opened);
        RedoLogRecovery.Opened o = RedoLogRecovery.open(dm, options(), statics());
        try {
            assertEquals(RedoLogRecovery.Outcome.RESTORED, o.outcome());
            assertEquals(onVdi, o.durable().database().generation());
            assertEquals("write 5", new LocalDb(o.durable().database()).get(POOL_REF, Pool.NAME_LABEL));
        } finally {
            o.durable().close();
        }
        // what was restored is this host's database from now on
        RedoLogRecovery.Opened again = RedoLogRecovery.open(dm, options(), statics());
        try {
            assertEquals(RedoLogRecovery.Outcome.KEPT, again.outcome());
            assertEquals("write 5", new LocalDb(again.durable().database()).get(POOL_REF, Pool.NAME_LABEL));
        } finally {
            again.durable().close();
        }
    }

    @Test
    void anEqualGenerationKeepsTheDatabaseOpened() throws Exception {
        long opened = local("pool-1", 3);
        assertEquals(opened, vdi("pool-1", 3));
        assertKept("write 2", RedoLogRecovery.Outcome.KEPT);
    }

    @Test
    void anOlderRedoLogKeepsTheDatabaseOpened() throws Exception {
        local("pool-1", 5);
        vdi("pool-1", 1);
        assertKept("write 4", RedoLogRecovery.Outcome.KEPT);
    }

    @Test
    void anotherPoolsRedoLogIsNotTaken() throws Exception {
        local("pool-1", 1);
        vdi("pool-2", 9);
        assertKept("write 0", RedoLogRecovery.Outcome.KEPT);
    }

    @Test
    void aDamagedRedoLogKeepsTheDatabaseOpened() throws Exception {
        local("pool-1", 1);
        vdi("pool-1", 9);
        try (var ch = java.nio.channels.FileChannel.open(disk(), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 28); // the header's checksum
        }
        assertKept("write 0", RedoLogRecovery.Outcome.UNREADABLE);
    }

    @Test
    void withoutTheStaticVdiNothingIsRead() throws Exception {
        local("pool-1", 1);
        RedoLogRecovery.Opened o = RedoLogRecovery.open(dm, options(), new StaticVdis(dir.resolve("none"), null));
        try {
            assertEquals(RedoLogRecovery.Outcome.NONE, o.outcome());
        } finally {
            o.durable().close();
        }
    }

    private void assertKept(String name, RedoLogRecovery.Outcome outcome) throws Exception {
        RedoLogRecovery.Opened o = RedoLogRecovery.open(dm, options(), statics());
        try {
            assertEquals(outcome, o.outcome());
            assertEquals(name, new LocalDb(o.durable().database()).get(POOL_REF, Pool.NAME_LABEL));
        } finally {
            o.durable().close();
        }
    }

    private DurableDatabase.Options options() {
        return DurableDatabase.Options.inDirectory(dir.resolve("db"));
    }

    private Path disk() {
        return dir.resolve("vdi.raw");
    }

    /** The host's own database: the pool {@code uuid} renamed {@code writes} times; its generation. */
    private long local(String uuid, int writes) throws Exception {
        try (DurableDatabase d = DurableDatabase.open(dm, options())) {
            write(new LocalDb(d.database()), uuid, writes);
            return d.database().generation();
        }
    }

    /**
     * The redo log's disk, kept by this host as a static VDI: a snapshot of the empty database, then the pool
     * {@code uuid} made and renamed {@code writes} times as records; the generation of the last one.
     */
    private long vdi(String uuid, int writes) throws Exception {
        Files.write(disk(), new byte[0]);
        VdiRedoLog log = VdiRedoLog.open(disk(), 64L << 20);
        Database db = Database.empty(dm, log);
        log.start(db.snapshot().image());
        write(new LocalDb(db), uuid, writes);
        long g = db.generation();
        log.close();
        assertEquals(
                g,
                Database.load(
                                dm,
                                VdiRedoLog.read(disk()).snapshot(),
                                VdiRedoLog.read(disk()).replay(),
                                null)
                        .generation());
        return g;
    }

    private StaticVdis statics() throws Exception {
        StaticVdis s = new StaticVdis(dir.resolve("static-vdis"), null);
        if (s.find(VDI_UUID).isEmpty()) {
            s.add(VDI_UUID, RedoLogRecovery.REASON, Path.of("/nonexistent/FileSR"), "<methodCall/>");
            // attached: the link to its path that the driver's vdi_attach_from_config answered
            Files.createSymbolicLink(
                    dir.resolve("static-vdis")
                            .resolve(s.find(VDI_UUID).orElseThrow().id())
                            .resolve("disk"),
                    disk());
        }
        return s;
    }

    private static void write(LocalDb d, String uuid, int writes) {
        d.create(POOL_REF, FieldValues.of(Pool.XAPI_CLASS).with(Pool.UUID, uuid));
        for (int i = 0; i < writes; i++) d.set(POOL_REF, Pool.NAME_LABEL, "write " + i);
    }
}
