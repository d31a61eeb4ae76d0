package org.xapijava.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.db.persist.RedoLog;
import org.xapijava.db.persist.StateDbReader;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.Datamodel;

/**
 * Offline repair of a database that start-up refuses because a value breaks the database's value check (a
 * character the database refuses, an unknown enum value): what a host that stored such a value before the check
 * existed is left with. The database is loaded as start-up loads it ({@code state.db}, read tolerantly, then the
 * redo log's newer batches), with every value at fault replaced as {@link ValueCheck#repair} says and listed;
 * the result is written as a new {@code state.db} (the old one kept beside it as {@code state.db.bak-<time>}) and
 * the redo log, now contained in it, is moved aside the same way. Run it while xapi is stopped. Not thread-safe.
 */
public final class DbRepair {
    private DbRepair() {}

    /**
     * One replaced value.
     *
     * @param source  where the value was read: {@code state.db} or {@code redo log generation N}
     * @param before  the value as stored (the database string form)
     * @param after   the value put in its place (the same form)
     * @param problem what the check found
     */
    public record Change(
            String source, String table, String ref, String column, String before, String after, String problem) {}

    /**
     * What a repair found and did.
     *
     * @param changes     every value replaced, in load order
     * @param backups     the files moved or copied aside (empty when nothing was written)
     * @param generation  the generation of the repaired database
     */
    public record Result(List<Change> changes, List<Path> backups, long generation) {}

    /**
     * Repairs the database kept in {@code stateDb} and {@code redoLog} (either may be missing; {@code redoLog}
     * may be null). With {@code write} false nothing is changed on disk (a dry run); with {@code write} true and
     * at least one change, the repaired database is written.
     *
     * @throws IOException when a file cannot be read or written, or holds damage a repair cannot mend (a
     *     malformed file, a row whose ref holds a refused character): the message says where
     */
    public static Result repair(Datamodel dm, Path stateDb, Path redoLog, boolean write) throws IOException {
        LoadedDb image = Files.exists(stateDb)
                ? StateDbReader.read(stateDb)
                : new LoadedDb(0, dm.schemaMajor(), dm.schemaMinor(), Map.of());
        boolean hasLog = redoLog != null && Files.exists(redoLog);
        List<DeltaBatch> replay = hasLog ? RedoLog.replay(redoLog, image.generation()) : List.of();
        List<Change> changes = new ArrayList<>();
        Snapshot snap;
        try {
            snap = Loader.load(new Schema(dm), image, replay, changes);
        } catch (DbLoadException e) {
            throw new IOException("cannot repair " + stateDb + ": " + e.getMessage(), e);
        }
        List<Path> backups = new ArrayList<>();
        if (write && !changes.isEmpty()) {
            String stamp =
                    ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
            boolean gzip = false;
            if (Files.exists(stateDb)) {
                gzip = isGzip(stateDb);
                Path copy = stateDb.resolveSibling(stateDb.getFileName() + ".bak-" + stamp);
                Files.copy(stateDb, copy, StandardCopyOption.COPY_ATTRIBUTES);
                backups.add(copy);
            }
            StateDbWriter.write(snap.image(), stateDb, gzip);
            if (hasLog) {
                Path moved = redoLog.resolveSibling(redoLog.getFileName() + ".bak-" + stamp);
                Files.move(redoLog, moved);
                backups.add(moved);
            }
        }
        return new Result(List.copyOf(changes), List.copyOf(backups), snap.generation);
    }

    private static boolean isGzip(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }
}
