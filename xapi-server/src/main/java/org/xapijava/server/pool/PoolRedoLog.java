package org.xapijava.server.pool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.Snapshot;
import org.xapijava.db.Update;
import org.xapijava.db.persist.MirroredCommitLog;
import org.xapijava.db.persist.VdiRedoLog;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.storage.smapiv1.StaticVdis;

/**
 * {@code pool.enable_redo_log} and {@code pool.disable_redo_log} as Xapi's {@code xapi_pool.ml}, run on the master: a
 * VDI of type {@code redo_log} on the given SR (an existing one of at least Xapi's minimum size reused, else
 * "Metadata redo-log" made with {@code VDI.create}: sharable, {@code sm_config:type=raw}, 3,988,783,104 bytes),
 * kept as a static VDI on every host (so that a member made master can read it at its start: {@link RedoLogRecovery}),
 * attached read-write on the master, the pool's {@code redo_log_vdi} and {@code redo_log_enabled} set, then, unless HA is
 * enabled, the database mirrored to it ({@link VdiRedoLog}: the whole database first, then every committed batch, each
 * acknowledged only once it is on the VDI too). {@code CANNOT_ENABLE_REDO_LOG [reason]} with Xapi's reasons when the
 * VDI cannot be made or attached (an SR that cannot hold it: an ISO SR, an SR not plugged), and nothing changed.
 * Disabling clears {@code redo_log_enabled} and, unless HA is enabled, stops the mirror and detaches the VDI (on every
 * host, static attachments included), which is
 * kept (as Xapi keeps it) for the next enable. At the master's start, an enabled redo log is taken up again
 * ({@link #resume}), unless the VDI holds newer writes than the database as it was opened (which
 * {@link RedoLogRecovery} took already when this host keeps the VDI static): then it is left as it is. Where the database runs without a local redo log (the master's commit log) there is nothing to
 * mirror: {@code CANNOT_ENABLE_REDO_LOG}. Thread-safe.
 */
public final class PoolRedoLog implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(PoolRedoLog.class);
    private static final long MIB4 = 4L << 20;
    /**
     * Xapi's {@code Redo_log.minimum_vdi_size}: 4 GB with a statefile's room, in 4 MiB units (room for the database).
     */
    static final long MINIMUM_VDI_SIZE = (4_000_000_000L / MIB4 - 2) * MIB4;
    /** The datapath the master keeps the redo log's VDI attached through (Xapi's static VDI). */
    static final String DATAPATH = "xapi/redo-log";

    private final Db db;
    private final String pool;
    private final Database database;
    private final MirroredCommitLog commits;
    private final StorageBackends storage;
    private final StaticVdis statics;

    /**
     * @param database the master's database (null on a member)
     * @param commits  where its commits go (null on a member, or without a local redo log)
     */
    public PoolRedoLog(
            Db db,
            String pool,
            Database database,
            MirroredCommitLog commits,
            StorageBackends storage,
            StaticVdis statics) {
        this.db = db;
        this.pool = pool;
        this.database = database;
        this.commits = commits;
        this.storage = storage;
        this.statics = statics;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new Api());
    }

    private final class Api implements PoolApi {
        @Override
        public void enableRedoLog(CallContext ctx, String sr) {
            if (!db.exists(SR.XAPI_CLASS, sr)) throw ApiError.handleInvalid(SR.XAPI_CLASS, sr);
            LOG.info("Pool.enable_redo_log: SR {}", db.get(sr, SR.UUID));
            if (commits == null)
                throw new ApiError(ErrorCodes.CANNOT_ENABLE_REDO_LOG, "the database runs without a local redo log");
            String vdi;
            try {
                vdi = findOrCreateVdi(ctx.api(), sr);
            } catch (RuntimeException e) {
                LOG.warn("pool.enable_redo_log: {}", e.toString());
                throw new ApiError(
                        ErrorCodes.CANNOT_ENABLE_REDO_LOG,
                        "failed to create a VDI for the redo log on the SR with the given UUID.");
            }
            Path device;
            try {
                attachStaticOnEveryHost(ctx.api(), vdi);
                device = device(vdi);
            } catch (RuntimeException e) {
                LOG.warn("pool.enable_redo_log: attaching {}: {}", vdi, e.toString());
                throw new ApiError(ErrorCodes.CANNOT_ENABLE_REDO_LOG, "failed to make VDI static.");
            }
            String oldVdi = db.get(pool, Pool.REDO_LOG_VDI);
            boolean wasEnabled = db.get(pool, Pool.REDO_LOG_ENABLED);
            db.apply(Update.builder()
                    .set(pool, Pool.REDO_LOG_VDI, vdi)
                    .set(pool, Pool.REDO_LOG_ENABLED, true)
                    .build());
            if (db.get(pool, Pool.HA_ENABLED)) return; // HA's redo log is already in use
            try {
                mirrorTo(vdi, device);
            } catch (IOException | RuntimeException e) {
                LOG.error("pool.enable_redo_log: writing to {}: {}", device, e.toString());
                db.apply(Update.builder()
                        .set(pool, Pool.REDO_LOG_VDI, oldVdi)
                        .set(pool, Pool.REDO_LOG_ENABLED, wasEnabled)
                        .build());
                throw new ApiError(ErrorCodes.CANNOT_ENABLE_REDO_LOG, e.toString());
            }
            LOG.info("the redo log is now enabled on VDI {}", db.get(vdi, VDI.UUID));
        }

        @Override
        public void disableRedoLog(CallContext ctx) {
            LOG.info("Pool.disable_redo_log");
            db.set(pool, Pool.REDO_LOG_ENABLED, false);
            if (db.get(pool, Pool.HA_ENABLED)) return;
            if (commits != null) commits.stopMirroring();
            try {
                storage.destroyDatapath(DATAPATH);
                String vdi = db.get(pool, Pool.REDO_LOG_VDI);
                if (db.exists(VDI.XAPI_CLASS, vdi)) {
                    XenApi api = ctx.api();
                    for (String host : db.all(Host.XAPI_CLASS)) api.host().detachStaticVdis(host, List.of(vdi));
                }
            } catch (RuntimeException e) {
                LOG.info("Failed to detach static VDIs from all hosts: {}", e.toString());
            }
            LOG.info("the redo log is now disabled");
        }
    }

    /**
     * Xapi's "ensure the redo-log VDI is static on all hosts": every host keeps it as a static VDI (reason
     * {@link RedoLogRecovery#REASON}), so that whichever becomes master can read it at its start, before its database
     * is open ({@link RedoLogRecovery}).
     */
    private void attachStaticOnEveryHost(XenApi api, String vdi) {
        for (String host : db.all(Host.XAPI_CLASS)) {
            LOG.debug("Attaching VDI on host '{}' ('{}')", db.get(host, Host.NAME_LABEL), host);
            api.host().attachStaticVdis(host, Map.of(vdi, RedoLogRecovery.REASON));
        }
    }

    /** Xapi's {@code find_or_create_redo_log_vdi}. */
    private String findOrCreateVdi(XenApi api, String sr) {
        for (String v : db.get(sr, SR.VDIS)) {
            if (VdiType.REDO_LOG.wire().equals(db.get(v, VDI.TYPE))
                    && db.get(v, VDI.VIRTUAL_SIZE) >= MINIMUM_VDI_SIZE) {
                LOG.info("re-using existing redo-log VDI: {}", db.get(v, VDI.UUID));
                return v;
            }
        }
        LOG.info("no suitable existing redo-log VDI found; creating a fresh one");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(VDI.NAME_LABEL.name(), "Metadata redo-log");
        r.put(VDI.NAME_DESCRIPTION.name(), "Used when HA is disabled, while extra security is still desired");
        r.put(VDI.SR.name(), sr);
        r.put(VDI.VIRTUAL_SIZE.name(), MINIMUM_VDI_SIZE);
        r.put(VDI.TYPE.name(), VdiType.REDO_LOG.wire());
        r.put(VDI.SHARABLE.name(), true);
        r.put(VDI.READ_ONLY.name(), false);
        r.put(VDI.OTHER_CONFIG.name(), Map.of());
        r.put(VDI.XENSTORE_DATA.name(), Map.of());
        // Xapi's redo_log_sm_config: an sm_config key (the string guard counts it as the field VDI.type)
        r.put(VDI.SM_CONFIG.name(), Map.of("type", "raw"));
        r.put(VDI.TAGS.name(), List.of());
        return api.vdi().create(r);
    }

    /**
     * Starts mirroring to the VDI attached at {@code device}: the mirror takes batches from the next commit on (set
     * under the database's write lock), then the newest committed state is written as its snapshot.
     */
    private void mirrorTo(String vdi, Path device) throws IOException {
        VdiRedoLog log = VdiRedoLog.open(device, db.get(vdi, VDI.VIRTUAL_SIZE));
        try {
            database.transact(tx -> commits.startMirroring(log));
            Snapshot now = database.callDeferringDurability(database::snapshot);
            log.start(now.image());
        } catch (IOException | RuntimeException e) {
            commits.stopMirroring();
            throw e;
        }
    }

    /**
     * At the master's start, Xapi's re-enabling of a redo log left enabled: the pool's VDI attached again and the
     * database mirrored to it from scratch, unless the VDI holds a generation above {@code openedGeneration} (the
     * database's as opened, before this start wrote to it; -1: its current one). A failure is logged; the pool's
     * fields stay as they are.
     */
    public void resume(long openedGeneration) {
        if (commits == null || db.all(Pool.XAPI_CLASS).isEmpty()) return;
        if (!db.get(pool, Pool.REDO_LOG_ENABLED) || db.get(pool, Pool.HA_ENABLED)) return;
        String vdi = db.get(pool, Pool.REDO_LOG_VDI);
        if (!db.exists(VDI.XAPI_CLASS, vdi)) return;
        try {
            Path device = device(vdi);
            long onDisk = lastGeneration(device);
            // against the generation the database was opened at: this start's own writes must not outweigh the log
            long mine = openedGeneration >= 0 ? openedGeneration : database.generation();
            if (onDisk > mine) {
                // a promoted member's older database must not overwrite what the old master acknowledged
                LOG.error(
                        "the pool's redo log on VDI {} holds writes up to generation {}, newer than this database's"
                                + " {}: left as it is, not mirrored to",
                        db.get(vdi, VDI.UUID),
                        onDisk,
                        mine);
                storage.destroyDatapath(DATAPATH);
                return;
            }
            mirrorTo(vdi, device);
            LOG.info("the redo log is enabled again on VDI {}", db.get(vdi, VDI.UUID));
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot take up the pool's redo log again: {}", e.toString());
        }
    }

    /**
     * Where this host writes the redo log: the VDI's static attachment (Xapi's {@code get_static_device}: no
     * activation on a datapath, so a new master is not refused by the dead one's), else, for a host that does not keep
     * it static (it joined after the enable), an attachment through the datapath {@link #DATAPATH}.
     */
    private Path device(String vdi) {
        String uuid = db.get(vdi, VDI.UUID);
        if (statics.find(uuid).isPresent()) {
            try {
                return Path.of(statics.attach(uuid));
            } catch (org.xapijava.storage.StorageException e) {
                throw StorageBackends.toApiError(e, db.get(vdi, VDI.SR), vdi);
            }
        }
        return storage.attach(vdi, true, DATAPATH);
    }

    /** The newest generation the log at {@code device} holds; -1 when it holds no log. */
    private static long lastGeneration(Path device) throws IOException {
        VdiRedoLog.Contents c;
        try {
            c = VdiRedoLog.read(device);
        } catch (org.xapijava.db.persist.RedoLogFormatException e) {
            return -1;
        }
        return c.replay().isEmpty()
                ? c.snapshot().generation()
                : c.replay().getLast().generation();
    }
}
