package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The pool's database backups (Xapi's {@code xapi_host.ml} {@code request_backup}, {@code xapi_pool.ml}
 * {@code sync_database}, {@code pool_db_backup.ml}'s periodic push). Xapi's members fetch a copy of the master's
 * database when asked; here a member already holds a current replica, so {@code host.request_backup} on a member
 * writes that replica to its {@code backup-db} now, and on the master flushes the master's own database.
 * {@code pool.sync_database} runs {@code host.request_backup(force=true)} on every host, and {@link #pushToMembers}
 * (the master's timer, every 300 s by default) on every live member. Thread-safe.
 */
public final class DatabaseBackups implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseBackups.class);

    /** Writes this host's backup: the replica on a member, a flush of the database on the master. */
    @FunctionalInterface
    public interface Backup {
        void write() throws IOException;
    }

    private final Db db;
    private final String me;
    private final PoolRole role;
    private final LongSupplier generation;
    private final Backup backup;
    /** This host's internal XenAPI (its calls go through the forwarding layer). */
    private final Supplier<XenApi> api;

    private final Object syncLock = new Object();

    public DatabaseBackups(
            Db db, String me, PoolRole role, LongSupplier generation, Backup backup, Supplier<XenApi> api) {
        this.db = db;
        this.me = me;
        this.role = role;
        this.generation = generation;
        this.backup = backup;
        this.api = api;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostCalls());
        PoolApi.bind(table, new PoolCalls());
    }

    private final class HostCalls implements HostApi {
        @Override
        public void requestBackup(CallContext ctx, String host, long generation, boolean force) {
            if (!host.equals(me)) throw ApiError.internal("Forwarded to the wrong host");
            try {
                backup.write();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            LOG.debug("database backup written ({})", role.isMaster() ? "master: flushed" : "member: replica");
        }
    }

    private final class PoolCalls implements PoolApi {
        @Override
        public void syncDatabase(CallContext ctx) {
            if (!role.isMaster()) throw new ApiError("HOST_IS_SLAVE", role.masterAddress());
            synchronized (syncLock) { // Xapi serialises these flushes: they are expensive
                long g = generation.getAsLong();
                XenApi a = ctx.api();
                for (String host : db.all(Host.XAPI_CLASS)) a.host().requestBackup(host, g, true);
            }
        }
    }

    /** The master's periodic push: every live member writes its backup (a failure is logged, not raised). */
    public void pushToMembers() {
        long g = generation.getAsLong();
        for (String host : db.all(Host.XAPI_CLASS)) {
            if (host.equals(me) || !live(host)) continue;
            try {
                api.get().host().requestBackup(host, g, false);
            } catch (RuntimeException e) {
                LOG.warn("database backup on host {} failed: {}", host, e.getMessage());
            }
        }
    }

    private boolean live(String host) {
        String m = db.get(host, Host.METRICS);
        return db.exists(HostMetrics.XAPI_CLASS, m) && db.get(m, HostMetrics.LIVE);
    }
}
