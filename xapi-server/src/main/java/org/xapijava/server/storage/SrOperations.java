package org.xapijava.server.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.PBDApi;
import org.xapijava.server.api.gen.SRApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;

/**
 * The SR and PBD messages that run the SR's driver, as Xapi's {@code xapi_sr.ml} and {@code xapi_pbd.ml}:
 * {@code SR.create}, {@code destroy}, {@code probe} (and {@code probe_ext}), {@code scan} (the driver brings the database in line with the
 * disks itself; xapi then counts {@code virtual_allocation}), {@code update} (the driver's totals), {@code PBD.plug}
 * and {@code unplug}. The placement stage runs them on a host with the SR plugged; the lock plan marks the SR for a
 * scan. Thread-safe.
 */
public final class SrOperations implements SRApi, Messages {
    private static final Logger LOG = LoggerFactory.getLogger(SrOperations.class);

    private final Db data;
    private final String hostRef;
    private final StorageBackends backends;
    private final SrRecords records;

    public SrOperations(Db data, String hostRef, StorageBackends backends, SrRecords records) {
        this.data = data;
        this.hostRef = hostRef;
        this.backends = backends;
        this.records = records;
    }

    @Override
    public void bind(MessageTable table) {
        SRApi.bind(table, this);
        PBDApi.bind(table, new PBDApi() {
            @Override
            public void plug(CallContext ctx, String self) {
                plugPbd(ctx, self);
            }

            @Override
            public void unplug(CallContext ctx, String self) {
                unplugPbd(ctx, self);
            }
        });
    }

    private void requireDriver(String type) {
        if (!backends.hasDriver(type)) throw new ApiError(ErrorCodes.SR_UNKNOWN_DRIVER, type);
    }

    /**
     * {@code SR.create} as {@code xapi_sr.ml}: the SR record first (drivers read its sm_config), a PBD for every host
     * when shared (the master's first) or for this host, {@code sr_create} with {@code SRmaster=true}, the device_config
     * the driver returns written into the PBDs, then each PBD plugged. A failed {@code sr_create} removes the records.
     */
    @Override
    public String create(
            CallContext ctx,
            String host,
            Map<String, String> deviceConfig,
            long physicalSize,
            String nameLabel,
            String nameDescription,
            String type,
            String contentType,
            boolean shared,
            Map<String, String> smConfig) {
        String lower = type.toLowerCase(Locale.ROOT);
        requireDriver(lower);
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        SrRecords.assertNoSrMasterKey(deviceConfig);
        String sr = records.introduce(ctx, "", nameLabel, nameDescription, lower, contentType, shared, smConfig);
        List<String> hosts = new ArrayList<>();
        if (shared) {
            String master = data.get(data.all(Pool.XAPI_CLASS).get(0), Pool.MASTER);
            hosts.add(master);
            for (String h : data.all(Host.XAPI_CLASS)) if (!h.equals(master)) hosts.add(h);
        } else {
            hosts.add(host);
        }
        List<String> pbds = new ArrayList<>();
        Map<String, String> made;
        try {
            for (String h : hosts) pbds.add(records.createPbd(pbdRecord(h, sr, deviceConfig)));
            made = backends.storage()
                    .srCreate(
                            StorageBackends.context(ctx),
                            data.get(sr, SR.UUID),
                            lower,
                            nameLabel,
                            nameDescription,
                            data.get(pbds.get(0), PBD.DEVICE_CONFIG),
                            physicalSize);
        } catch (RuntimeException e) {
            for (String pbd : pbds) records.destroyPbd(pbd);
            data.delete(SR.XAPI_CLASS, sr);
            if (e instanceof StorageException se) throw StorageBackends.toApiError(se, sr, Refs.NULL);
            throw e;
        }
        Map<String, String> config = new LinkedHashMap<>(made);
        config.remove(SrRecords.SR_MASTER_KEY);
        for (String pbd : pbds) data.set(pbd, PBD.DEVICE_CONFIG, config);
        plugAll(ctx, pbds);
        return sr;
    }

    /**
     * Xapi's end of {@code SR.create}: every PBD plugged, each on its own host; a plug that fails leaves its PBD
     * unplugged and the SR made ({@code Tasks.wait_for_all} on the plugs raises nothing). Xapi plugs them in
     * parallel ({@code Client.Async.PBD.plug}); here one after the other, under the caller's task.
     */
    private static void plugAll(CallContext ctx, List<String> pbds) {
        for (String pbd : pbds) {
            try {
                ctx.api().pbd().plug(pbd);
            } catch (RuntimeException e) {
                LOG.warn("SR.create: plugging PBD {} failed: {}", pbd, e.getMessage());
            }
        }
    }

    private static Map<String, Object> pbdRecord(String host, String sr, Map<String, String> config) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(PBD.HOST.name(), host);
        r.put(PBD.SR.name(), sr);
        r.put(PBD.DEVICE_CONFIG.name(), config);
        r.put(PBD.OTHER_CONFIG.name(), Map.of());
        return r;
    }

    /**
     * {@code SR.destroy}: every PBD unplugged ({@code SR_HAS_PBD}), not {@code other_config:indestructible}
     * ({@code SR_INDESTRUCTIBLE}), no host's local cache SR ({@code SR_IS_CACHE_SR}); then the driver attaches it
     * (this host's PBD marked attached meanwhile, as Xapi's {@code destroy_sr}) and deletes it, and the records go.
     */
    @Override
    public void destroy(CallContext ctx, String sr) {
        records.assertAllPbdsUnplugged(sr);
        if ("true".equals(data.get(sr, SR.OTHER_CONFIG).get("indestructible"))) {
            throw new ApiError(ErrorCodes.SR_INDESTRUCTIBLE, sr);
        }
        for (String h : data.all(Host.XAPI_CLASS)) {
            if (sr.equals(data.get(h, Host.LOCAL_CACHE_SR))) throw new ApiError(ErrorCodes.SR_IS_CACHE_SR, h);
        }
        String type = data.get(sr, SR.TYPE);
        requireDriver(type);
        String pbd = null;
        for (String p : data.get(sr, SR.PBDS)) if (hostRef.equals(data.get(p, PBD.HOST))) pbd = p;
        if (pbd == null) throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
        String uuid = data.get(sr, SR.UUID);
        StorageContext sctx = StorageBackends.context(ctx);
        try {
            backends.storage().srAttach(sctx, uuid, type, data.get(pbd, PBD.DEVICE_CONFIG));
            data.set(pbd, PBD.CURRENTLY_ATTACHED, true);
            try {
                backends.storage().srDestroy(sctx, uuid);
            } catch (StorageException e) {
                backends.storage().srDetach(sctx, uuid);
                throw e;
            } finally {
                data.set(pbd, PBD.CURRENTLY_ATTACHED, false);
            }
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        records.reallyForget(sr);
    }

    /** {@code SR.probe}: the driver's {@code sr_probe} answer, an XML document, as it is. */
    @Override
    public String probe(
            CallContext ctx, String host, Map<String, String> deviceConfig, String type, Map<String, String> smConfig) {
        String lower = type.toLowerCase(Locale.ROOT);
        requireDriver(lower);
        try {
            return backends.storage().srProbe(StorageBackends.context(ctx), lower, deviceConfig, smConfig);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, Refs.NULL, Refs.NULL);
        }
    }

    /**
     * {@code SR.probe_ext}: the probe runs as {@code SR.probe}; an SMAPIv1 driver answers raw XML, which Xapi does not
     * turn into probe results: {@code SR_OPERATION_NOT_SUPPORTED []}.
     */
    @Override
    public List<Map<String, Object>> probeExt(
            CallContext ctx, String host, Map<String, String> deviceConfig, String type, Map<String, String> smConfig) {
        probe(ctx, host, deviceConfig, type, smConfig);
        throw new ApiError(ErrorCodes.SR_OPERATION_NOT_SUPPORTED);
    }

    /**
     * {@code SR.get_live_hosts}: the hosts with a plugged PBD of {@code sr} whose metrics say live
     * ({@code possible_hosts} with {@code assert_can_see_specified_SRs}).
     */
    @Override
    public List<String> getLiveHosts(CallContext ctx, String sr) {
        List<String> out = new ArrayList<>();
        for (String host : data.all(Host.XAPI_CLASS)) {
            boolean sees = false;
            for (String pbd : data.get(host, Host.PBDS)) {
                if (data.exists(PBD.XAPI_CLASS, pbd)
                        && data.get(pbd, PBD.CURRENTLY_ATTACHED)
                        && sr.equals(data.get(pbd, PBD.SR))) sees = true;
            }
            String m = data.get(host, Host.METRICS);
            if (sees && data.exists(HostMetrics.XAPI_CLASS, m) && data.get(m, HostMetrics.LIVE)) out.add(host);
        }
        return out;
    }

    /**
     * {@code PBD.plug}: unless attached, a non-shared SR attached on another host is refused ({@code SR_NOT_SHARABLE
     * [sr, host]}), then {@code SR.attach} with the PBD's device_config and the PBD marked attached.
     */
    void plugPbd(CallContext ctx, String pbd) {
        if (data.get(pbd, PBD.CURRENTLY_ATTACHED)) return;
        String sr = data.get(pbd, PBD.SR);
        String type = data.get(sr, SR.TYPE);
        requireDriver(type);
        if (!data.get(sr, SR.SHARED)) {
            for (String other : data.get(sr, SR.PBDS)) {
                String h = data.get(other, PBD.HOST);
                if (data.get(other, PBD.CURRENTLY_ATTACHED) && !h.equals(data.get(pbd, PBD.HOST))) {
                    throw new ApiError(ErrorCodes.SR_NOT_SHARABLE, sr, h);
                }
            }
        }
        try {
            backends.storage()
                    .srAttach(
                            StorageBackends.context(ctx),
                            data.get(sr, SR.UUID),
                            type,
                            data.get(pbd, PBD.DEVICE_CONFIG));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        data.set(pbd, PBD.CURRENTLY_ATTACHED, true);
    }

    /**
     * {@code PBD.unplug}: refused while a VM running on the PBD's host uses a VDI of the SR ({@code VDI_IN_USE [vdi...]},
     * metadata VDIs aside), then {@code SR.detach} and the PBD marked unplugged.
     */
    void unplugPbd(CallContext ctx, String pbd) {
        if (!data.get(pbd, PBD.CURRENTLY_ATTACHED)) return;
        String sr = data.get(pbd, PBD.SR);
        String host = data.get(pbd, PBD.HOST);
        List<String> inUse = new ArrayList<>();
        for (String vm : data.where(VM.RESIDENT_ON, host)) {
            for (String vbd : data.get(vm, VM.VBDS)) {
                if (!(data.get(vbd, VBD.CURRENTLY_ATTACHED) || data.get(vbd, VBD.RESERVED))) continue;
                if (data.get(vbd, VBD.EMPTY)) continue;
                String vdi = data.get(vbd, VBD.VDI);
                if (!data.exists(VDI.XAPI_CLASS, vdi) || !sr.equals(data.get(vdi, VDI.SR))) continue;
                if (!"metadata".equals(data.get(vdi, VDI.TYPE))) inUse.add(vdi);
            }
        }
        if (!inUse.isEmpty()) throw new ApiError(ErrorCodes.VDI_IN_USE, inUse.toArray(String[]::new));
        try {
            backends.storage().srDetach(StorageBackends.context(ctx), data.get(sr, SR.UUID));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        data.set(pbd, PBD.CURRENTLY_ATTACHED, false);
    }

    /**
     * {@code SR.scan}: {@code sr_scan} (the driver introduces and forgets VDI records through its callbacks), then
     * {@code sr_update} as Xapi runs on every scan, then {@code virtual_allocation} = the sum of the VDIs' virtual
     * sizes.
     */
    @Override
    public void scan(CallContext ctx, String sr) {
        String id = backends.attached(data, sr);
        try {
            backends.storage().srScan(StorageBackends.context(ctx), id);
            backends.storage().srStat(StorageBackends.context(ctx), id);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        long total = 0;
        for (String vdi : data.where(VDI.SR, sr)) total += data.get(vdi, VDI.VIRTUAL_SIZE);
        data.set(sr, SR.VIRTUAL_ALLOCATION, total);
    }

    /** {@code SR.update}: {@code SR.stat} ({@code sr_update}); physical size and utilisation from its answer. */
    @Override
    public void update(CallContext ctx, String sr) {
        String id = backends.attached(data, sr);
        SrStat st;
        try {
            st = backends.storage().srStat(StorageBackends.context(ctx), id);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        data.set(sr, SR.PHYSICAL_SIZE, st.physicalSize());
        data.set(sr, SR.PHYSICAL_UTILISATION, st.physicalUtilisation());
    }
}
