package org.xapijava.server;

import java.time.Clock;
import org.xapijava.db.Db;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.sm.SmSessions;
import org.xapijava.server.storage.SrOperations;
import org.xapijava.server.storage.SrRecords;
import org.xapijava.server.storage.StaticVdiMessages;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.storage.StorageMessages;
import org.xapijava.server.storage.StorageResync;
import org.xapijava.server.storage.StorageStartup;
import org.xapijava.server.storage.VdiOperations;
import org.xapijava.storage.smapiv1.StaticVdis;

/**
 * A host's link to its storage, wired as one: the {@code __sm__backend} sessions its drivers call back with, its SMAPIv2 backends
 * ({@link StorageStartup}: driver discovery and the SM records), the SR, PBD and VDI messages ({@link
 * StorageMessages}, {@link VdiOperations}, {@link StaticVdiMessages}, {@link SrRecords}, {@link SrOperations}) and,
 * once the server answers calls, Xapi's start-up resync and plug of the host's PBDs ({@link #resync}).
 */
final class StorageLink {
    private final Db data;
    private final String hostRef;
    private final SmSessions smSessions;
    private final StorageBackends backends;
    private final SrOperations srOperations;
    private final StaticVdis staticVdis;

    private StorageLink(
            Db data,
            String hostRef,
            SmSessions smSessions,
            StorageBackends backends,
            SrOperations ops,
            StaticVdis staticVdis) {
        this.staticVdis = staticVdis;
        this.data = data;
        this.hostRef = hostRef;
        this.smSessions = smSessions;
        this.backends = backends;
        this.srOperations = ops;
    }

    /** Finds the drivers, syncs the SM records and binds the storage messages into {@code table}. */
    static StorageLink bind(
            XapiConfig config,
            Db data,
            Clock clock,
            String hostRef,
            String poolRef,
            AllowedOperations allowed,
            MessageTable table) {
        SmSessions smSessions = new SmSessions(data, clock, hostRef);
        StorageMessages storage =
                new StorageMessages(data, clock, allowed, StorageStartup.start(config, data, hostRef, smSessions));
        storage.bind(table);
        StorageBackends backends = storage.backends();
        VdiOperations vdiOperations = new VdiOperations(data, allowed, backends, poolRef);
        vdiOperations.bind(table);
        StaticVdis staticVdis = StorageStartup.staticVdis(config);
        new StaticVdiMessages(data, vdiOperations, staticVdis).bind(table);
        SrRecords srRecords = new SrRecords(data, allowed);
        srRecords.bind(table);
        SrOperations srOperations = new SrOperations(data, hostRef, backends, srRecords);
        srOperations.bind(table);
        return new StorageLink(data, hostRef, smSessions, backends, srOperations, staticVdis);
    }

    /** This host's storage (SMAPIv2 over its drivers). */
    StorageBackends backends() {
        return backends;
    }

    /** This host's static VDIs ({@code host.attach_static_vdis}; the pool's redo log is one). */
    StaticVdis staticVdis() {
        return staticVdis;
    }

    /** The sessions storage plugins call back with ({@code __sm__backend}). */
    SmSessions smSessions() {
        return smSessions;
    }

    /**
     * Xapi's start-up PBD resync and plug (run once the Unix socket listens: the drivers call back while PBDs are
     * plugged).
     */
    void resync(MessageStore alerts) {
        new StorageResync(data, hostRef, backends, srOperations, alerts).run();
    }
}
