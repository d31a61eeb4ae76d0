package org.xapijava.server.bootstrap;

import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;

/**
 * The start-up sync every host runs, the master included, after Xapi's {@code dbsync_slave.ml} and the per-host
 * steps {@code xapi.ml} runs after it (licensing, {@code create_storage.ml}, enabling the host). It reaches the
 * database only through {@link Db}: on a pool member that is the master's database. Two phases, around the
 * master's sync: {@link #syncHost} (this host's records: they must exist before the pool names its master) and
 * {@link #initialiseStorage} then {@link #finish} (which need the pool and its shared SRs).
 */
final class MemberStartupSync {
    private final StartupContext c;
    private final Db db;
    private final HostStorage storage;

    MemberStartupSync(StartupContext c) {
        this.c = c;
        this.db = c.db;
        this.storage = new HostStorage(c);
    }

    /**
     * This host's records after {@link #syncHost}.
     *
     * @param host             this host
     * @param created          whether this start created it
     * @param firstBootPending whether its first-boot work was still to do when this start began it
     */
    record Synced(
            String host,
            boolean created,
            boolean firstBootPending,
            String metrics,
            List<String> cpus,
            ControlDomain.Dom0 dom0,
            HostNetworks.Management management) {}

    /**
     * {@code dbsync_slave.update_env} and {@code License_init}: the host record and metrics, memory, CPUs, the
     * control domain, the management PIF, the host information and licence.
     */
    Synced syncHost() {
        HostRecords records = new HostRecords(c);
        HostRecords.Localhost me = records.ensureLocalhost();
        String host = me.ref();
        boolean pending = FirstBoot.pending(db, host);
        String metrics = records.ensureMetrics(host);
        records.recordMemory(host, metrics);
        List<String> cpus = new HostCpus(c).createHostCpus(host);
        ControlDomain.Dom0 dom0 = new ControlDomain(c).ensure(host);
        HostNetworks.Management management = new HostNetworks(c).syncManagement(host, pending);
        records.refreshInfo(host);
        new Licensing(c).initialiseHost(host);
        return new Synced(host, me.created(), pending, metrics, cpus, dom0, management);
    }

    /**
     * {@code Create_storage.initialise_storage}: the installer's SRs while the first boot is pending, a PBD of
     * this host on the tools SR and on every other shared SR, then the PBDs resynchronised.
     */
    HostStorage.InstallerSrs initialiseStorage(Synced h) {
        String pool = db.all(Pool.XAPI_CLASS).getFirst();
        HostStorage.InstallerSrs srs = storage.ensureInstallerSrs(h.host(), pool, h.firstBootPending());
        for (String tools : db.where(SR.IS_TOOLS_SR, true)) storage.ensureToolsPbd(h.host(), tools);
        storage.ensureSharedPbds(h.host(), pool);
        storage.resyncPbds(h.host());
        return srs;
    }

    /** Completes the first boot when it was pending, then enables the host ({@code consider_enabling_host}). */
    void finish(Synced h) {
        if (h.firstBootPending()) new FirstBoot(c).complete(h.host());
        db.set(h.host(), Host.ENABLED, true);
    }

    /** The PBD connecting this host to {@code sr}, or NULL. */
    String pbdOf(String sr, String host) {
        return storage.pbdOf(sr, host);
    }
}
