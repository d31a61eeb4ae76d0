package org.xapijava.server.storage.rpc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.enums.OnBoot;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.DpState;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;

/**
 * The storage socket's one seam to this host's {@link Smapiv2}: SMAPIv2 datapath calls named as xenopsd names them
 * (SR by uuid, VDI by location, datapath by its name) turned into calls on {@link StorageBackends#storage()} (SR by
 * uuid, attached from its plugged PBD on first use), and the datapath states the socket reports
 * ({@code DP.stat_vdi}) kept as {@code storage_smapiv1_wrapper} keeps them: per datapath and VDI, with its
 * transitions checked ({@code Illegal_transition}: no read-only → read-write upgrade, no activation before an
 * attach, no detach of an active datapath). Errors are xcp-idl's {@link StorageError}s: the driver's failure as
 * {@code Backend_error} with the XenAPI error Xapi makes of it; an SR that is not plugged here as
 * {@code No_storage_plugin_for_sr}. An SR whose type has no driver here is served from the states alone (its
 * attach answers no implementation), as the disks of such SRs were only recorded before.
 *
 * <p>Every call on one VDI is serialized (one lock per VDI, as the wrapper has). Thread-safe.
 */
public final class Datapaths {
    private record Key(String srRef, String vdi) {}

    /** What one datapath holds of one VDI. */
    private static final class Held {
        DpState state = DpState.DETACHED;
        AttachInfo info;
    }

    private final Db data;
    private final StorageBackends backends;
    /** VDI → datapath → what it holds; the VDI's map is its lock. */
    private final Map<Key, Map<String, Held>> vdis = new java.util.concurrent.ConcurrentHashMap<>();

    public Datapaths(Db data, StorageBackends backends) {
        this.data = data;
        this.backends = backends;
    }

    private Smapiv2 storage() {
        return backends.storage();
    }

    /** The database it reads. */
    Db data() {
        return data;
    }

    /** The storage layer it calls. */
    StorageBackends backends() {
        return backends;
    }

    /**
     * The SR ref of {@code srUuid}, attached in the storage layer; {@code No_storage_plugin_for_sr} for an unknown
     * SR or one not plugged here.
     */
    String srRef(String srUuid) {
        String ref = data.findByUuid(SR.XAPI_CLASS, srUuid).orElseThrow(() -> StorageError.noPlugin(srUuid));
        if (!backends.hasBackend(data, ref)) return ref;
        try {
            backends.attached(data, ref);
        } catch (ApiError e) {
            throw StorageError.noPlugin(srUuid);
        }
        return ref;
    }

    /**
     * Whether the SR's type has a driver here. One without (ISO libraries, udev: their SMAPIv1 drivers are not yet
     * run) is served from the datapath states alone, its attach answering no implementation.
     */
    private boolean driven(String ref) {
        return backends.hasBackend(data, ref);
    }

    private Map<String, Held> dps(Key k) {
        return vdis.computeIfAbsent(k, x -> new LinkedHashMap<>());
    }

    /** The driver's failure as xapi reports it ({@link StorageBackends#toApiError}) in a {@code Backend_error}. */
    private StorageError backendError(StorageException e, String srRef, String location) {
        String found = StorageBackends.vdiAt(data, srRef, location);
        String vdiRef = found == null ? org.xapijava.model.types.Refs.NULL : found;
        ApiError a = StorageBackends.toApiError(e, srRef, vdiRef);
        return StorageError.backend(a.code(), a.params());
    }

    /** {@code VDI.attach3}: the datapath attaches the VDI; again from the same datapath, the same answer. */
    public AttachInfo attach(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite) {
        String ref = srRef(sr);
        Map<String, Held> dps = dps(new Key(ref, vdi));
        synchronized (dps) {
            Held h = dps.computeIfAbsent(dp, x -> new Held());
            if (h.state.attached() && readWrite && !h.state.readWrite()) {
                throw StorageError.illegalTransition(h.state, DpState.attached(true));
            }
            if (h.state.attached()) return h.info;
            try {
                h.info = driven(ref) ? storage().vdiAttach(ctx, dp, sr, vdi, vm, readWrite) : null;
            } catch (StorageException e) {
                if (!h.state.attached()) dps.remove(dp);
                throw backendError(e, ref, vdi);
            }
            h.state = DpState.attached(readWrite);
            return h.info;
        }
    }

    /**
     * {@code VDI.activate3} ({@code readOnly} false: in the mode of the attach) or {@code VDI.activate_readonly}
     * ({@code readOnly} true).
     */
    public void activate(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readOnly) {
        String ref = srRef(sr);
        Map<String, Held> dps = dps(new Key(ref, vdi));
        synchronized (dps) {
            Held h = dps.get(dp);
            if (h == null || !h.state.attached()) {
                dps.remove(dp);
                throw StorageError.illegalTransition(DpState.DETACHED, DpState.activated(!readOnly));
            }
            boolean rw = h.state.readWrite() && !readOnly;
            if (h.state.activated()) return;
            try {
                if (driven(ref)) storage().vdiActivate(ctx, dp, sr, vdi, vm, rw);
            } catch (StorageException e) {
                throw backendError(e, ref, vdi);
            }
            h.state = DpState.activated(h.state.readWrite());
        }
    }

    /** {@code VDI.deactivate}: idempotent. */
    public void deactivate(StorageContext ctx, String dp, String sr, String vdi, String vm) {
        String ref = srRef(sr);
        Map<String, Held> dps = dps(new Key(ref, vdi));
        synchronized (dps) {
            Held h = dps.get(dp);
            try {
                if (driven(ref)) storage().vdiDeactivate(ctx, dp, sr, vdi, vm);
            } catch (StorageException e) {
                throw backendError(e, ref, vdi);
            }
            if (h != null && h.state.activated()) h.state = DpState.attached(h.state.readWrite());
        }
    }

    /** {@code VDI.detach}: idempotent; an activated datapath must be deactivated first. */
    public void detach(StorageContext ctx, String dp, String sr, String vdi, String vm) {
        String ref = srRef(sr);
        Map<String, Held> dps = dps(new Key(ref, vdi));
        synchronized (dps) {
            Held h = dps.get(dp);
            if (h != null && h.state.activated()) throw StorageError.illegalTransition(h.state, DpState.DETACHED);
            try {
                if (driven(ref)) storage().vdiDetach(ctx, dp, sr, vdi, vm);
            } catch (StorageException e) {
                throw backendError(e, ref, vdi);
            }
            dps.remove(dp);
        }
    }

    /**
     * {@code VDI.epoch_begin}: a VM is about to use the VDI; when its {@code on_boot} is {@code reset}
     * ({@code persistent} false) the storage layer runs the driver's {@code vdi_epoch_begin}, which resets it. Xapi
     * runs the driver for a persistent VDI too, where every sm driver returns at once (sm's {@code SRCommand}): here
     * that exec is skipped (decisions.md). Nothing for an SR without a driver.
     */
    public void epochBegin(StorageContext ctx, String sr, String vdi, String vm, boolean persistent) {
        String ref = srRef(sr);
        if (!driven(ref) || persistent) return;
        synchronized (dps(new Key(ref, vdi))) {
            try {
                storage().vdiEpochBegin(ctx, sr, vdi, vm, false);
            } catch (StorageException e) {
                throw backendError(e, ref, vdi);
            }
        }
    }

    /**
     * {@code VDI.epoch_end}: the VM no longer uses the VDI; the driver's {@code vdi_epoch_end} for a VDI reset on boot
     * (its {@code on_boot}, which cannot change while a VM uses it: the one {@code epoch_begin} ran the driver for;
     * sm drivers do nothing for it either way, skipped otherwise as above).
     */
    public void epochEnd(StorageContext ctx, String sr, String vdi, String vm) {
        String ref = srRef(sr);
        if (!driven(ref)) return;
        String vdiRef = StorageBackends.vdiAt(data, ref, vdi);
        if (vdiRef == null || !OnBoot.RESET.wire().equals(data.get(vdiRef, VDI.ON_BOOT))) return;
        synchronized (dps(new Key(ref, vdi))) {
            try {
                storage().vdiEpochEnd(ctx, sr, vdi, vm);
            } catch (StorageException e) {
                throw backendError(e, ref, vdi);
            }
        }
    }

    /** {@code DP.destroy}: everything the datapath holds deactivated and detached (unknown datapath: nothing). */
    public void destroy(StorageContext ctx, String dp) {
        for (Map.Entry<Key, Map<String, Held>> e : vdis.entrySet()) {
            Map<String, Held> dps = e.getValue();
            synchronized (dps) {
                if (dps.remove(dp) == null) continue;
            }
        }
        try {
            storage().dpDestroy(ctx, dp);
        } catch (StorageException e) {
            ApiError a = StorageBackends.toApiError(
                    e, org.xapijava.model.types.Refs.NULL, org.xapijava.model.types.Refs.NULL);
            throw StorageError.backend(a.code(), a.params());
        }
    }

    /** {@code DP.attach_info}: what the datapath's attach answered; {@code Illegal_transition} when not attached. */
    public AttachInfo attachInfo(String sr, String vdi, String dp) {
        String ref = srRef(sr);
        Map<String, Held> dps = dps(new Key(ref, vdi));
        synchronized (dps) {
            Held h = dps.get(dp);
            if (h == null || !h.state.attached()) {
                throw StorageError.illegalTransition(DpState.DETACHED, DpState.attached(false));
            }
            return h.info;
        }
    }

    /**
     * {@code DP.stat_vdi}: the state of every datapath holding the VDI (those the storage layer holds but this socket
     * did not attach, such as xapi's own or any from before a restart of xapi, with the storage layer's state) and
     * the superstate.
     */
    public Stat stat(String sr, String vdi) {
        String ref = srRef(sr);
        Map<String, Held> dps = dps(new Key(ref, vdi));
        Map<String, DpState> states = new LinkedHashMap<>();
        synchronized (dps) {
            for (Map.Entry<String, Held> e : dps.entrySet()) {
                if (e.getValue().state.attached()) states.put(e.getKey(), e.getValue().state);
            }
            if (driven(ref)) storage().dpStatVdi(sr, vdi).forEach(states::putIfAbsent);
        }
        return new Stat(DpState.superstate(new ArrayList<>(states.values())), states);
    }

    /** {@code dp_stat_t}. */
    public record Stat(DpState superstate, Map<String, DpState> dps) {}

    /** The datapaths holding the VDI in this host's {@link Smapiv2} itself ({@code dpsOf}; tests, diagnostics). */
    public List<String> storageDps(String sr, String vdi) {
        String ref = srRef(sr);
        return driven(ref) ? storage().dpsOf(sr, vdi) : List.of();
    }

    /** The datapaths holding the VDI (tests, diagnostics). */
    public List<String> dpsOf(String sr, String vdi) {
        return new ArrayList<>(stat(sr, vdi).dps().keySet());
    }
}
