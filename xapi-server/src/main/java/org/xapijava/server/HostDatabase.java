package org.xapijava.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.DurableDatabase;
import org.xapijava.db.FlushPolicy;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.pool.MemberConnection;
import org.xapijava.server.pool.MemberStart;
import org.xapijava.server.pool.PoolRole;
import org.xapijava.server.pool.PoolTls;
import org.xapijava.server.pool.RedoLogRecovery;
import org.xapijava.server.storage.StorageStartup;

/**
 * The database a host runs on, chosen by its role at start: the master's own {@link DurableDatabase} ({@code
 * state-db} and {@code redo-log}, after a member's backup is promoted), a member's {@link MemberConnection} (the
 * replica of its master's database, writing through the master), or an in-process member's share of its master's
 * database. A member that cannot reach its master, or a host whose role is broken, gets no database: {@link
 * #emergency()} says which error emergency mode answers. {@link #close()} closes the member's connection (writing its
 * backup) or flushes and closes the master's database.
 */
final class HostDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostDatabase.class);

    private final XapiConfig config;
    private final Database db;
    private final Db data;
    private final AllowedOperations allowed;
    private DurableDatabase durable;
    private MemberConnection member;
    private final ApiError emergency;
    /** What the pool's redo log did at this start (a master's); NONE elsewhere. */
    private RedoLogRecovery.Outcome redoLogOutcome = RedoLogRecovery.Outcome.NONE;
    /** The master's database generation as opened, before this start wrote to it; -1 elsewhere. */
    private long openedGeneration = -1;

    private HostDatabase(
            XapiConfig config,
            Database db,
            Db data,
            AllowedOperations allowed,
            DurableDatabase durable,
            MemberConnection member,
            ApiError emergency) {
        this.config = config;
        this.db = db;
        this.data = data;
        this.allowed = allowed;
        this.durable = durable;
        this.member = member;
        this.emergency = emergency;
    }

    /**
     * Opens the database of a host in {@code role}.
     *
     * @param inProcessMaster the database of the master in this JVM whose member this host is, or null
     * @param lost            called when a member loses its master (the host restarts)
     */
    static HostDatabase open(
            Datamodel dm,
            XapiConfig config,
            PoolRole role,
            Database inProcessMaster,
            PoolTls poolTls,
            java.util.function.Supplier<String> secret,
            Runnable lost)
            throws IOException {
        Path stateDb = config.path("state-db");
        Files.createDirectories(stateDb.toAbsolutePath().getParent());
        if (inProcessMaster != null) {
            return new HostDatabase(
                    config,
                    inProcessMaster,
                    new LocalDb(inProcessMaster),
                    AllowedOperations.of(inProcessMaster, config.path("xapi-plugins-root")),
                    null,
                    null,
                    null);
        }
        if (role.isMaster()) {
            FlushPolicy policy = config.get("flush-policy").equals("eager")
                    ? FlushPolicy.eager(Duration.ofSeconds(1))
                    : FlushPolicy.XAPI;
            MemberStart.promoteBackup(config.path("backup-db"), stateDb, config.path("redo-log"));
            RedoLogRecovery.Opened opened = RedoLogRecovery.open(
                    dm,
                    new DurableDatabase.Options(stateDb, config.path("redo-log"), policy, false),
                    StorageStartup.staticVdis(config));
            DurableDatabase durable = opened.durable();
            Database db = durable.database();
            HostDatabase h = new HostDatabase(
                    config,
                    db,
                    new LocalDb(db),
                    AllowedOperations.of(db, config.path("xapi-plugins-root")),
                    durable,
                    null,
                    null);
            h.redoLogOutcome = opened.outcome();
            h.openedGeneration = db.generation();
            return h;
        }
        ApiError emergency = new ApiError(ErrorCodes.HOST_BROKEN);
        if (role.isSlave()) {
            try {
                MemberConnection member = MemberConnection.open(
                        dm,
                        poolTls.uri(role.masterAddress()),
                        poolTls.context(),
                        secret,
                        MemberStart.timing(config),
                        lost);
                return new HostDatabase(
                        config, member.replica(), member.db(), member.allowedOperations(), null, member, null);
            } catch (ApiError e) {
                LOG.error(
                        "cannot reach the pool master at {}: emergency mode ({})", role.masterAddress(), e.toString());
                emergency = new ApiError(ErrorCodes.HOST_STILL_BOOTING);
            }
        }
        return new HostDatabase(config, null, null, null, null, null, emergency);
    }

    /** What the pool's redo log did at this master's start ({@link RedoLogRecovery}). */
    RedoLogRecovery.Outcome redoLogOutcome() {
        return redoLogOutcome;
    }

    /** The master's database generation as opened (before the start wrote to it), -1 on other hosts. */
    long openedGeneration() {
        return openedGeneration;
    }

    /** The error emergency mode answers with, or null when this host has its database. */
    ApiError emergency() {
        return emergency;
    }

    /** The database itself (a member's replica), null in emergency mode. */
    Database db() {
        return db;
    }

    /** The database as message code reads and writes it, null in emergency mode. */
    Db data() {
        return data;
    }

    AllowedOperations allowed() {
        return allowed;
    }

    /** The master's own durable database, or null on a member. */
    DurableDatabase durable() {
        return durable;
    }

    /** A member's connection to its master's database; null on the master and on in-process members. */
    MemberConnection memberConnection() {
        return member;
    }

    /** {@code host.request_backup} here: the master flushes its database, a member writes its replica. */
    void writeBackup() throws IOException {
        if (durable != null) durable.flushNow();
        else if (member != null) member.backup(config.path("backup-db"));
    }

    /** Closes a member's connection and writes its backup, or flushes and closes the master's database. Idempotent. */
    @Override
    public void close() throws IOException {
        if (member != null) {
            member.close();
            try {
                member.backup(config.path("backup-db"));
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot write the backup of the pool's database", e);
            }
            member = null;
        }
        if (durable != null) {
            durable.close();
            durable = null;
        }
    }
}
