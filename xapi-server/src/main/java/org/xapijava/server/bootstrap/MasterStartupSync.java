package org.xapijava.server.bootstrap;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;

/**
 * The pool master's start-up sync, after Xapi's {@code dbsync_master.ml} and the master-only and pool-wide steps
 * {@code xapi.ml} runs after dbsync ({@code create_networks.ml}, the pool's licence features,
 * {@code create_pool_cpuinfo}), plus the default templates. Runs after this host's
 * {@link MemberStartupSync#syncHost}, through {@link Db} only.
 */
final class MasterStartupSync {
    private final StartupContext c;

    MasterStartupSync(StartupContext c) {
        this.c = c;
    }

    /** The pool-level objects. */
    record Synced(
            String pool,
            String rootUser,
            String telemetrySecret,
            Map<String, String> smByType,
            String toolsSr,
            String internalManagementNetwork,
            Map<String, String> templatesByUuid) {}

    /**
     * Root user, pool (mastered by {@code master}), the master's liveness, telemetry, SM records, tools SR,
     * missing VM metrics, the internal management network, the pool's restrictions and CPU info, the default
     * templates (imported while the master's first boot is pending) and the console URLs, in Xapi's order.
     */
    Synced sync(String master) {
        PoolRecords records = new PoolRecords(c);
        String rootUser = records.ensureRootUser();
        String pool = records.ensurePool(master);
        records.setMasterLive(c.db.get(master, Host.METRICS));
        String telemetry = records.ensureTelemetry(pool);
        PoolStorage storage = new PoolStorage(c);
        Map<String, String> sms = storage.ensureSmRecords();
        String toolsSr = storage.ensureToolsSr();
        records.ensureVmMetrics();
        String internal = new HostNetworks(c).ensureInternalNetwork();
        new Licensing(c).updatePoolFeatures(pool);
        new HostCpus(c).updatePoolCpuInfo(pool);
        Map<String, String> templates = new DefaultTemplates(c).ensure(FirstBoot.pending(c.db, master));
        records.refreshConsoleUrls();
        return new Synced(pool, rootUser, telemetry, sms, toolsSr, internal, templates);
    }
}
