package org.xapijava.server.bootstrap;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Console;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.Secret;
import org.xapijava.model.api.User;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.enums.TelemetryFrequency;
import org.xapijava.model.api.enums.UpdateSyncFrequency;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * The pool-level records of Xapi's {@code dbsync_master.ml} (with {@code create_misc.ml}'s
 * {@code create_root_user}): the root user, the pool and its master, the master's liveness, telemetry, missing
 * {@code VM_metrics} and the console URLs. Master only; each object is created in one step.
 */
final class PoolRecords {
    static final String ROOT = "root";

    private final StartupContext c;
    private final Db db;

    PoolRecords(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** {@code create_root_user}: a {@code user} "root" / "superuser" unless one exists. */
    String ensureRootUser() {
        List<String> root = db.where(User.SHORT_NAME, ROOT);
        if (!root.isEmpty()) return root.get(0);
        return db.create(FieldValues.of(User.XAPI_CLASS)
                .with(User.UUID, StartupContext.uuid())
                .with(User.SHORT_NAME, ROOT)
                .with(User.FULLNAME, "superuser")
                .with(User.OTHER_CONFIG, Map.of()));
    }

    /**
     * {@code create_pool_record} when there is no pool (its master this host), then
     * {@code set_master_pool_reference} (not on a member joining an existing pool).
     */
    String ensurePool(String host) {
        List<String> pools = db.all(Pool.XAPI_CLASS);
        String pool = pools.isEmpty() ? db.create(newPool(host)) : pools.get(0);
        if (c.member && !pools.isEmpty()) return pool; // a member joins the pool as it is
        db.set(pool, Pool.MASTER, host);
        return pool;
    }

    private static FieldValues newPool(String master) {
        Map<String, String> oc = new LinkedHashMap<>();
        oc.put("memory-ratio-hvm", "0.25");
        oc.put("memory-ratio-pv", "0.25");
        return FieldValues.of(Pool.XAPI_CLASS)
                .with(Pool.UUID, StartupContext.uuid())
                .with(Pool.NAME_LABEL, "")
                .with(Pool.NAME_DESCRIPTION, "")
                .with(Pool.MASTER, master)
                .with(Pool.DEFAULT_SR, Refs.NULL)
                .with(Pool.SUSPEND_IMAGE_SR, Refs.NULL)
                .with(Pool.CRASH_DUMP_SR, Refs.NULL)
                .with(Pool.HA_ENABLED, false)
                .with(Pool.OTHER_CONFIG, oc)
                .with(Pool.HA_CLUSTER_STACK, "xhad")
                .with(Pool.WLB_PASSWORD, Refs.NULL)
                .with(Pool.REDO_LOG_VDI, Refs.NULL)
                .with(Pool.RESTRICTIONS, Map.of())
                .with(Pool.CPU_INFO, Map.of())
                .with(Pool.COORDINATOR_BIAS, true)
                .with(Pool.TELEMETRY_UUID, Refs.NULL)
                .with(Pool.TELEMETRY_FREQUENCY, TelemetryFrequency.WEEKLY.wire())
                .with(Pool.TELEMETRY_NEXT_COLLECTION, DateTime.EPOCH)
                .with(Pool.LAST_UPDATE_SYNC, DateTime.EPOCH)
                .with(Pool.UPDATE_SYNC_FREQUENCY, UpdateSyncFrequency.WEEKLY.wire())
                .with(Pool.LOCAL_AUTH_MAX_THREADS, 8L)
                .with(Pool.EXT_AUTH_MAX_THREADS, 1L)
                .with(Pool.REPOSITORY_PROXY_PASSWORD, Refs.NULL);
    }

    /**
     * {@code set_master_live}: the master does not heartbeat itself, so its metrics are live from the start (and
     * updated now).
     */
    void setMasterLive(String metrics) {
        db.apply(Update.builder()
                .set(metrics, HostMetrics.LIVE, true)
                .set(metrics, HostMetrics.LAST_UPDATED, c.nowDt)
                .build());
    }

    /**
     * {@code setup_telemetry}: without a telemetry uuid the pool gets a secret holding a fresh uuid, and a next
     * collection one day plus a random part of the interval from now, in one step.
     */
    String ensureTelemetry(String pool) {
        String secret = db.get(pool, Pool.TELEMETRY_UUID);
        if (c.valid(Secret.XAPI_CLASS, secret)) return secret;
        long intervalHours = switch (TelemetryFrequency.of(db.get(pool, Pool.TELEMETRY_FREQUENCY))) {
            case DAILY -> 24;
            case MONTHLY -> 30 * 24;
            case null, default -> 7 * 24;
        };
        long seconds = 24 * 3600 + new Random().nextLong(intervalHours * 3600);
        String fresh = Refs.fresh();
        db.apply(Update.builder()
                .create(
                        fresh,
                        FieldValues.of(Secret.XAPI_CLASS)
                                .with(Secret.UUID, StartupContext.uuid())
                                .with(Secret.VALUE, StartupContext.uuid())
                                .with(Secret.OTHER_CONFIG, Map.of()))
                .set(pool, Pool.TELEMETRY_UUID, fresh)
                .set(pool, Pool.TELEMETRY_NEXT_COLLECTION, DateTime.ofInstant(c.now.plusSeconds(seconds)))
                .build());
        return fresh;
    }

    /**
     * {@code ensure_vm_metrics_records_exist}: every VM without valid metrics gets an empty record, with the
     * reference in the same step.
     */
    void ensureVmMetrics() {
        for (String vm : db.all(VM.XAPI_CLASS)) {
            if (c.valid(VMMetrics.XAPI_CLASS, db.get(vm, VM.METRICS))) continue;
            String m = Refs.fresh();
            db.apply(Update.builder()
                    .create(m, VmRecords.emptyMetrics())
                    .set(vm, VM.METRICS, m)
                    .build());
        }
    }

    /** {@code refresh_console_urls}: every console's location from its VM's host address. */
    void refreshConsoleUrls() {
        Update.Builder u = Update.builder();
        for (String console : db.all(Console.XAPI_CLASS)) {
            String vm = db.get(console, Console.VM);
            if (!c.valid(VM.XAPI_CLASS, vm)) continue;
            String host = db.get(vm, VM.RESIDENT_ON);
            if (!c.valid(Host.XAPI_CLASS, host)) continue;
            u.set(console, Console.LOCATION, ControlDomain.consoleLocation(console, db.get(host, Host.ADDRESS)));
        }
        c.apply(u);
    }
}
