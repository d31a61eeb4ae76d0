package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.DbLoadException;
import org.xapijava.db.DurableDatabase;
import org.xapijava.db.LocalDb;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.db.persist.VdiRedoLog;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VDI;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.smapiv1.StaticVdis;

/**
 * A master's start on the pool's redo log (Xapi's {@code xapi.ml start_redo_log}, {@code Redo_log_usage
 * .read_from_redo_log} and the most recent of the database copies chosen by {@code Db_connections.choose}): when this
 * host keeps the redo log's VDI as a static VDI (reason {@value #REASON}, what {@code pool.enable_redo_log} attaches
 * on every host, and Xapi's local flag that the redo log is in use), the VDI is attached through its driver
 * ({@link StaticVdis#attach}: no database needed), read ({@link VdiRedoLog#read}) and, when it holds a database of the
 * same pool at a generation above the one just opened, that database replaces it: {@code state.db} is written from it
 * and the local redo log goes. So a member made master by {@code pool.emergency_transition_to_master} keeps the
 * writes the old master acknowledged after the member's last backup. The opened database is kept, with a warning, when
 * the VDI cannot be attached or read, does not parse, or holds another pool's database or an older or equal
 * generation; an unreadable VDI is then reported as Xapi's {@code METADATA_LUN_BROKEN} alert ({@link #alertIfBroken}).
 * Used once per start, before anything else reads the database. Not thread-safe (start-up only).
 */
public final class RedoLogRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(RedoLogRecovery.class);
    /** Xapi's {@code Xapi_globs.gen_metadata_vdi_reason}: the static VDI's reason for the pool's redo log. */
    public static final String REASON = "general metadata VDI";
    /** Xapi's {@code Api_messages.redo_log_broken}: name and priority. */
    static final String BROKEN = "METADATA_LUN_BROKEN";

    static final long BROKEN_PRIORITY = 3;
    /** Xapi's {@code Xapi_globs.redo_log_alert_key}: the pool's {@code other_config} key that turns the alert on. */
    static final String ALERT_KEY = "metadata_lun_alerts";
    /** The name of Xapi's redo log instance, in the alert's body ({@code Xapi_ha.ha_redo_log}). */
    static final String LOG_NAME = "HA redo log";

    /** What the start found on the redo log. */
    public enum Outcome {
        /** This host keeps no redo-log VDI: nothing was read. */
        NONE,
        /** The VDI was read and the database opened is as new or newer: kept. */
        KEPT,
        /** The VDI held a newer database of the pool: it replaced the one opened. */
        RESTORED,
        /** The VDI could not be attached, read or parsed: the database opened is kept. */
        UNREADABLE
    }

    /** The database opened, and what the redo log did to it. */
    public record Opened(DurableDatabase durable, Outcome outcome) {}

    private RedoLogRecovery() {}

    /**
     * Opens the master's database ({@code options}) and, when this host keeps the pool's redo-log VDI in
     * {@code statics}, the newer of it and the VDI's database.
     */
    public static Opened open(Datamodel dm, DurableDatabase.Options options, StaticVdis statics) throws IOException {
        DurableDatabase durable = DurableDatabase.open(dm, options);
        Optional<StaticVdis.Entry> entry;
        try {
            entry = statics.list().stream()
                    .filter(e -> REASON.equals(e.reason()) && !e.deleteNextBoot())
                    .findFirst();
        } catch (UncheckedIOException e) {
            LOG.warn("cannot list the static VDIs: the pool's redo log is not read ({})", e.getMessage());
            return new Opened(durable, Outcome.NONE);
        }
        if (entry.isEmpty()) return new Opened(durable, Outcome.NONE);
        Database local = durable.database();
        Database fromLog = read(dm, statics, entry.get().vdiUuid(), local);
        if (fromLog == null) return new Opened(durable, Outcome.UNREADABLE);
        String localPool = poolUuid(local);
        String logPool = poolUuid(fromLog);
        if (localPool == null || !localPool.equals(logPool)) {
            LOG.warn(
                    "the redo log on VDI {} holds the database of pool {}, not of this pool {}: not used",
                    entry.get().vdiUuid(),
                    logPool,
                    localPool);
            return new Opened(durable, Outcome.KEPT);
        }
        long mine = local.generation();
        long theirs = fromLog.generation();
        if (theirs <= mine) {
            LOG.info(
                    "the redo log on VDI {} holds generation {}, this database {}: this database is kept",
                    entry.get().vdiUuid(),
                    theirs,
                    mine);
            return new Opened(durable, Outcome.KEPT);
        }
        LOG.warn(
                "the redo log on VDI {} holds generation {}, newer than this database's {}: restoring the pool's"
                        + " database from it",
                entry.get().vdiUuid(),
                theirs,
                mine);
        durable.close();
        // state.db first: were the host to stop between the two, the old local log's batches (all at or below
        // `mine`) are below the new state.db and skipped at the next open
        StateDbWriter.write(fromLog.snapshot().image(), options.stateDb(), options.compress());
        if (options.redoLog() != null) Files.deleteIfExists(options.redoLog());
        return new Opened(DurableDatabase.open(dm, options), Outcome.RESTORED);
    }

    /** The VDI's database, or null (logged) when it cannot be attached, read or loaded. */
    private static Database read(Datamodel dm, StaticVdis statics, String vdiUuid, Database local) {
        String what = "the pool's redo log on VDI " + vdiUuid;
        LOG.info("{} (in the local copy: redo_log_enabled={}): reading it", what, redoLogEnabled(local));
        Path device;
        try {
            device = Path.of(statics.attach(vdiUuid));
        } catch (StorageException | UncheckedIOException e) {
            LOG.warn("{} cannot be attached: this database is kept ({})", what, e.getMessage());
            return null;
        } catch (RuntimeException e) {
            LOG.warn("{} cannot be attached: this database is kept ({})", what, e.toString());
            return null;
        }
        VdiRedoLog.Contents c;
        try {
            c = VdiRedoLog.read(device);
        } catch (IOException e) {
            LOG.warn("{} cannot be read: this database is kept ({})", what, e.getMessage());
            return null;
        }
        if (c.snapshot().schemaMajor() != dm.schemaMajor() || c.snapshot().schemaMinor() != dm.schemaMinor()) {
            LOG.warn(
                    "{} holds schema {}.{}, this host's is {}.{}: this database is kept",
                    what,
                    c.snapshot().schemaMajor(),
                    c.snapshot().schemaMinor(),
                    dm.schemaMajor(),
                    dm.schemaMinor());
            return null;
        }
        try {
            return Database.load(dm, c.snapshot(), c.replay(), null);
        } catch (DbLoadException e) {
            LOG.warn("{} does not load: this database is kept ({})", what, e.getMessage());
            return null;
        }
    }

    private static String poolUuid(Database db) {
        LocalDb d = new LocalDb(db);
        List<String> pools = d.all(Pool.XAPI_CLASS);
        return pools.size() == 1 ? d.get(pools.getFirst(), Pool.UUID) : null;
    }

    private static String redoLogEnabled(Database db) {
        LocalDb d = new LocalDb(db);
        List<String> pools = d.all(Pool.XAPI_CLASS);
        if (pools.size() != 1) return "?";
        String vdi = d.get(pools.getFirst(), Pool.REDO_LOG_VDI);
        return d.get(pools.getFirst(), Pool.REDO_LOG_ENABLED)
                + (d.exists(VDI.XAPI_CLASS, vdi) ? " on VDI " + d.get(vdi, VDI.UUID) : "");
    }

    /**
     * Xapi's alert when the redo log cannot be reached ({@code redo_log_alert.ml}): {@code METADATA_LUN_BROKEN},
     * priority 3, on the pool, body {@code Redo log [HA redo log]}, raised only when the pool's
     * {@code other_config:metadata_lun_alerts} is {@code true}.
     */
    public static void alertIfBroken(Outcome outcome, org.xapijava.db.Db data, String pool, MessageStore alerts) {
        if (outcome != Outcome.UNREADABLE || !data.exists(Pool.XAPI_CLASS, pool)) return;
        Map<String, String> other = data.get(pool, Pool.OTHER_CONFIG);
        if (!"true".equals(other.get(ALERT_KEY))) {
            LOG.debug("Not raising alert because Pool.other_config:{} <> true", ALERT_KEY);
            return;
        }
        alerts.create(
                BROKEN, BROKEN_PRIORITY, Pool.XAPI_CLASS, data.get(pool, Pool.UUID), "Redo log [" + LOG_NAME + "]");
    }
}
