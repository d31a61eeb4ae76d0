package org.xapijava.server.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.storage.DpState;
import org.xapijava.storage.Smapiv2;

/**
 * What Xapi does with this host's storage when it starts, before the host is enabled ({@code dbsync_slave.ml}):
 * <ol>
 *   <li>{@code resynchronise_pbds}: each PBD of this host is {@code currently_attached} exactly when the storage
 *       layer has its SR attached ({@code SR.list}, from the datapath state that survived the restart);
 *   <li>{@code plug_unplugged_pbds}: every other PBD of this host is plugged ({@code PBD.plug}); a failure is
 *       logged, and when a PBD is left unplugged the host gets a {@code PBD_PLUG_FAILED_ON_SERVER_START} alert;
 *   <li>{@code refresh_local_vdi_activations}: the activation tags the drivers keep in {@code VDI.sm_config}
 *       ({@code host_<ref>} = {@code RO}/{@code RW}) are recomputed from the datapath state: a VDI activated here
 *       gets this host's tag, any other VDI loses every tag when one of them is this host's (it was activated before
 *       a restart) or when none of them names a host that exists (tags leaked by a pool join).
 * </ol>
 * PBDs of SR types without a driver on this host (the installer's {@code udev} SRs: no removable devices exist
 * here) are left as start-up made them (decisions.md).
 */
public final class StorageResync {
    private static final Logger LOG = LoggerFactory.getLogger(StorageResync.class);
    /** {@code VDI.sm_config} key prefix of a driver's activation tag. */
    static final String HOST_TAG_PREFIX = "host_";
    /** Xapi's {@code Api_messages.pbd_plug_failed_on_server_start}: name and priority. */
    static final String PBD_PLUG_FAILED_ON_SERVER_START = "PBD_PLUG_FAILED_ON_SERVER_START";

    private static final long PBD_PLUG_FAILED_PRIORITY = 3;

    private final Db data;
    private final String hostRef;
    private final StorageBackends backends;
    private final SrOperations operations;
    private final MessageStore alerts;

    public StorageResync(
            Db data, String hostRef, StorageBackends backends, SrOperations operations, MessageStore alerts) {
        this.data = data;
        this.hostRef = hostRef;
        this.backends = backends;
        this.operations = operations;
        this.alerts = alerts;
    }

    /** The three steps, in Xapi's order. */
    public void run() {
        List<String> pbds = myDrivenPbds();
        resynchronisePbds(pbds);
        plugUnpluggedPbds(pbds);
        refreshLocalVdiActivations();
    }

    private List<String> myDrivenPbds() {
        List<String> mine = new ArrayList<>();
        for (String pbd : data.where(PBD.HOST, hostRef)) {
            String sr = data.get(pbd, PBD.SR);
            if (data.exists(SR.XAPI_CLASS, sr) && backends.hasDriver(data.get(sr, SR.TYPE))) mine.add(pbd);
        }
        return mine;
    }

    void resynchronisePbds(List<String> pbds) {
        Set<String> attached = storage().srList();
        for (String pbd : pbds) {
            boolean value = attached.contains(data.get(data.get(pbd, PBD.SR), SR.UUID));
            if (data.get(pbd, PBD.CURRENTLY_ATTACHED) != value) data.set(pbd, PBD.CURRENTLY_ATTACHED, value);
        }
    }

    void plugUnpluggedPbds(List<String> pbds) {
        boolean failed = false;
        for (String pbd : pbds) {
            if (data.get(pbd, PBD.CURRENTLY_ATTACHED)) continue;
            try {
                operations.plugPbd(null, pbd);
            } catch (ApiError e) {
                failed = true;
                LOG.error("could not plug in PBD {}: {}", data.get(pbd, PBD.UUID), e.toString());
            }
        }
        if (failed) {
            alerts.createForcedLater(
                    PBD_PLUG_FAILED_ON_SERVER_START,
                    PBD_PLUG_FAILED_PRIORITY,
                    Host.XAPI_CLASS,
                    data.get(hostRef, Host.UUID),
                    "");
        }
    }

    void refreshLocalVdiActivations() {
        Set<String> hosts = Set.copyOf(data.all(Host.XAPI_CLASS));
        Set<String> attached = storage().srList();
        String myTag = HOST_TAG_PREFIX + hostRef;
        for (String vdi : data.all(VDI.XAPI_CLASS)) {
            String sr = data.get(vdi, VDI.SR);
            String srUuid = data.exists(SR.XAPI_CLASS, sr) ? data.get(sr, SR.UUID) : null;
            DpState state = DpState.DETACHED;
            if (srUuid != null && attached.contains(srUuid)) {
                state = DpState.superstate(
                        storage().dpStatVdi(srUuid, data.get(vdi, VDI.LOCATION)).values());
            }
            Map<String, String> smConfig = data.get(vdi, VDI.SM_CONFIG);
            if (state.activated()) {
                if (!smConfig.containsKey(myTag)) {
                    LOG.info("locking VDI {} to this host", vdi);
                    data.addToMap(vdi, VDI.SM_CONFIG, myTag, state.readWrite() ? "RW" : "RO");
                }
                continue;
            }
            List<String> tagged = new ArrayList<>();
            for (String k : smConfig.keySet()) {
                if (k.startsWith(HOST_TAG_PREFIX)) tagged.add(k.substring(HOST_TAG_PREFIX.length()));
            }
            if (tagged.isEmpty()) continue;
            boolean mine = tagged.contains(hostRef);
            boolean leaked = tagged.stream().noneMatch(hosts::contains);
            if (!mine && !leaked) continue;
            LOG.info("unlocking VDI {} ({})", vdi, mine ? "locked here before a restart" : "tags of unknown hosts");
            for (String h : tagged) data.removeFromMap(vdi, VDI.SM_CONFIG, HOST_TAG_PREFIX + h);
        }
    }

    private Smapiv2 storage() {
        return backends.storage();
    }
}
