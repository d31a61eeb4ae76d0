package org.xapijava.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.db.persist.MirroredCommitLog;
import org.xapijava.db.persist.RedoLog;
import org.xapijava.db.persist.StateDbReader;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.Datamodel;

/**
 * A database kept on disk: {@code state.db} (Xapi's XML format) plus, by default, the redo log that
 * makes every persistent write durable before it is acknowledged.
 *
 * <p>Start-up: read {@code state.db} if it exists, replay the redo log's batches newer than it (a torn
 * tail is dropped, damage in the middle stops start-up), then open the log for appending and start the
 * flush scheduler. A malformed {@code state.db} or redo log stops start-up with an exception naming
 * the file and the place; nothing is ever half-loaded. {@link #close()} flushes a final
 * {@code state.db} and checkpoints the log. Thread-safe; use {@link #database()} for everything else.
 */
public final class DurableDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DurableDatabase.class);

    /**
     * Where and how the database is kept.
     *
     * @param stateDb  the {@code state.db} path (its {@code .generation} file sits beside it)
     * @param redoLog  the redo log path, or null to run without one (then writes made since the last
     *                 flush are lost in a crash, as in Xapi without HA)
     * @param policy   when {@code state.db} is rewritten
     * @param compress whether {@code state.db} is gzip-compressed (Xapi's {@code compress:true})
     */
    public record Options(Path stateDb, Path redoLog, FlushPolicy policy, boolean compress) {
        public Options {
            Objects.requireNonNull(stateDb);
            Objects.requireNonNull(policy);
        }

        /** {@code <dir>/state.db} and {@code <dir>/state.db.redo}, Xapi's coalescing flush policy. */
        public static Options inDirectory(Path dir) {
            return new Options(dir.resolve("state.db"), dir.resolve("state.db.redo"), FlushPolicy.XAPI, false);
        }

        public Options withPolicy(FlushPolicy p) {
            return new Options(stateDb, redoLog, p, compress);
        }
    }

    private final Database db;
    private final RedoLog log;
    private final MirroredCommitLog commits;
    private final FlushScheduler flusher;

    private DurableDatabase(Database db, RedoLog log, MirroredCommitLog commits, FlushScheduler flusher) {
        this.db = db;
        this.log = log;
        this.commits = commits;
        this.flusher = flusher;
    }

    /**
     * Opens (or creates) the database described by {@code o}.
     *
     * @throws IOException when a file cannot be read or written, is malformed
     *     ({@link org.xapijava.db.persist.StateDbFormatException},
     *     {@link org.xapijava.db.persist.RedoLogFormatException}: file and place named), or holds data the
     *     datamodel does not accept (message names the file, table, row and column)
     */
    public static DurableDatabase open(Datamodel dm, Options o) throws IOException {
        Files.createDirectories(o.stateDb().toAbsolutePath().getParent());
        LoadedDb image = null;
        if (Files.exists(o.stateDb())) {
            image = StateDbReader.read(o.stateDb());
            LOG.info("loaded {} at generation {}", o.stateDb(), image.generation());
        }
        long fileGeneration = image == null ? -1 : image.generation();
        List<DeltaBatch> replay = List.of();
        RedoLog log = null;
        if (o.redoLog() != null) {
            if (Files.exists(o.redoLog())) {
                replay = RedoLog.replay(o.redoLog(), fileGeneration);
                if (!replay.isEmpty()) {
                    LOG.info(
                            "replaying {} batches from {} (generations {}..{})",
                            replay.size(),
                            o.redoLog(),
                            replay.get(0).generation(),
                            replay.get(replay.size() - 1).generation());
                }
            }
            log = RedoLog.open(o.redoLog());
        }
        MirroredCommitLog commits = log == null ? null : new MirroredCommitLog(log);
        Database db;
        try {
            if (image == null && replay.isEmpty()) {
                db = Database.empty(dm, commits);
            } else {
                LoadedDb base = image != null ? image : new LoadedDb(0, dm.schemaMajor(), dm.schemaMinor(), Map.of());
                db = Database.load(dm, base, replay, commits);
            }
        } catch (DbLoadException e) {
            if (log != null) log.close();
            throw new IOException(
                    "cannot load " + o.stateDb() + (replay.isEmpty() ? "" : " with the redo log " + o.redoLog()) + ": "
                            + e.getMessage()
                            + (e.repairable()
                                    ? "; with xapi stopped, `scripts/xapi-db-tool repair " + o.stateDb()
                                            + "` replaces every such value and prints what it changed"
                                    : ""),
                    e);
        } catch (RuntimeException e) {
            if (log != null) log.close();
            throw e;
        }
        Path target = o.stateDb();
        boolean compress = o.compress();
        FlushScheduler flusher = new FlushScheduler(
                db, img -> StateDbWriter.write(img, target, compress), o.policy(), log, fileGeneration);
        flusher.start();
        return new DurableDatabase(db, log, commits, flusher);
    }

    public Database database() {
        return db;
    }

    /** Writes {@code state.db} now if anything changed since the last write; returns its generation. */
    public long flushNow() throws IOException {
        return flusher.flushNow();
    }

    /** Statistics of the redo log (null when running without one). */
    public RedoLog redoLog() {
        return log;
    }

    /**
     * Where commits go: the redo log and, while the pool's redo log is enabled, its mirror (null when running without
     * a redo log).
     */
    public MirroredCommitLog commits() {
        return commits;
    }

    /**
     * Stops flushing after a final write of {@code state.db} (skipped when it already holds the current
     * generation), then closes the redo log.
     */
    @Override
    public void close() throws IOException {
        try {
            flusher.close();
            flusher.flushIfChanged(); // an unchanged database is not rewritten
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the database flush", e);
        } finally {
            if (commits != null) commits.stopMirroring();
            if (log != null) log.close();
        }
    }
}
