package org.xapijava.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Smapiv2} on this host: the SRs attached here, each served by the driver its type has in
 * {@link StorageDrivers} (Xapi's {@code storage_mux}, routing by SR), and the datapaths' state (which datapath
 * holds which VDI attached, which one has it active: Xapi's {@code storage_smapiv1_wrapper}). The state is kept in
 * memory: after a restart of the server, the callers re-attach what they use (as xapi's resync does).
 *
 * <p>Thread-safe: the SR table is concurrent; the datapath state of one VDI, and the driver calls that change
 * it, are serialized per VDI, so different VDIs never wait for each other.
 */
public final class StorageMux implements Smapiv2 {
    private record AttachedSr(String type, Map<String, String> config, SrBackend driver) {}

    /** Datapaths holding one VDI: dp → read-write; the one active dp (or null) and whether it writes. */
    private static final class VdiPaths {
        final Map<String, Boolean> attached = new LinkedHashMap<>();
        AttachInfo info;
        String activeDp;
    }

    private final StorageDrivers drivers;
    private final Map<String, AttachedSr> srs = new ConcurrentHashMap<>();
    private final Map<String, VdiPaths> paths = new ConcurrentHashMap<>();

    public StorageMux(StorageDrivers drivers) {
        this.drivers = drivers;
    }

    private static String key(String sr, String vdi) {
        return sr + "/" + vdi;
    }

    private SrBackend driver(String sr) {
        AttachedSr a = srs.get(sr);
        if (a == null) throw new StorageException(SmError.SR_UNAVAILABLE, "SR " + sr + " is not attached");
        return a.driver();
    }

    // ------------------------------------------------------------------ SR

    @Override
    public void srAttach(StorageContext ctx, String sr, String type, Map<String, String> deviceConfig) {
        SrDriverFactory f = drivers.get(type);
        if (f == null) throw new StorageException(SmError.UNIMPLEMENTED, "no driver for SR type " + type);
        AttachedSr was = srs.get(sr);
        if (was != null && was.type().equals(type) && was.config().equals(deviceConfig)) return;
        srs.put(sr, new AttachedSr(type, Map.copyOf(deviceConfig), f.open(deviceConfig)));
    }

    @Override
    public void srDetach(StorageContext ctx, String sr) {
        for (Map.Entry<String, VdiPaths> e : paths.entrySet()) {
            if (e.getKey().startsWith(sr + "/")) {
                synchronized (e.getValue()) {
                    if (!e.getValue().attached.isEmpty()) {
                        throw new StorageException(SmError.VDI_IN_USE, "SR " + sr + " has attached VDIs");
                    }
                }
            }
        }
        srs.remove(sr);
    }

    @Override
    public boolean srAttached(String sr) {
        return srs.containsKey(sr);
    }

    @Override
    public SrStat srStat(StorageContext ctx, String sr) {
        return driver(sr).statSr();
    }

    @Override
    public List<VdiInfo> srScan(StorageContext ctx, String sr) {
        return driver(sr).scan();
    }

    /** {@code SR.update}: the in-process drivers compute their totals when asked; nothing to refresh. */
    @Override
    public void srUpdate(StorageContext ctx, String sr) {
        driver(sr);
    }

    // ------------------------------------------------------------------ VDI

    /** {@code VDI.epoch_begin}: the in-process drivers keep no per-epoch state (reset-on-boot is not offered). */
    @Override
    public void vdiEpochBegin(StorageContext ctx, String sr, String vdi, String vm, boolean persistent) {
        driver(sr);
    }

    @Override
    public void vdiEpochEnd(StorageContext ctx, String sr, String vdi, String vm) {
        driver(sr);
    }

    @Override
    public VdiInfo vdiCreate(StorageContext ctx, String sr, VdiInfo request) {
        return driver(sr).create(request);
    }

    @Override
    public void vdiDestroy(StorageContext ctx, String sr, String vdi) {
        SrBackend d = driver(sr);
        VdiPaths p = paths.computeIfAbsent(key(sr, vdi), k -> new VdiPaths());
        synchronized (p) {
            if (!p.attached.isEmpty()) {
                throw new StorageException(SmError.VDI_IN_USE, "attached by " + String.join(", ", p.attached.keySet()));
            }
            d.destroy(vdi);
            paths.remove(key(sr, vdi));
        }
    }

    @Override
    public VdiInfo vdiClone(StorageContext ctx, String sr, String vdi) {
        return driver(sr).clone(vdi);
    }

    @Override
    public VdiInfo vdiSnapshot(StorageContext ctx, String sr, String vdi) {
        return driver(sr).snapshot(vdi);
    }

    @Override
    public VdiInfo vdiResize(StorageContext ctx, String sr, String vdi, long newSize) {
        return driver(sr).resize(vdi, newSize);
    }

    @Override
    public VdiInfo vdiStat(StorageContext ctx, String sr, String vdi) {
        return driver(sr).stat(vdi);
    }

    // ------------------------------------------------------------------ datapaths

    @Override
    public AttachInfo vdiAttach(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite) {
        SrBackend d = driver(sr);
        VdiPaths p = paths.computeIfAbsent(key(sr, vdi), k -> new VdiPaths());
        synchronized (p) {
            Boolean had = p.attached.get(dp);
            if (had != null && (had || !readWrite)) return new AttachInfo(p.info.path(), had);
            boolean anyRw = readWrite || p.attached.containsValue(Boolean.TRUE);
            if (p.info == null || (anyRw && !p.info.readWrite())) {
                p.info = new AttachInfo(d.attach(vdi, anyRw), anyRw);
            }
            p.attached.put(dp, readWrite);
            return new AttachInfo(p.info.path(), readWrite);
        }
    }

    @Override
    public void vdiActivate(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite) {
        driver(sr);
        VdiPaths p = paths.computeIfAbsent(key(sr, vdi), k -> new VdiPaths());
        synchronized (p) {
            Boolean attachedRw = p.attached.get(dp);
            if (attachedRw == null) throw new StorageException(SmError.VDI_UNAVAILABLE, "not attached by " + dp);
            if (readWrite && !attachedRw)
                throw new StorageException(SmError.INVALID_ARG, dp + " attached it read-only");
            if (p.activeDp != null && !p.activeDp.equals(dp) && (readWrite || p.attached.get(p.activeDp))) {
                throw new StorageException(SmError.VDI_IN_USE, "active on " + p.activeDp);
            }
            if (readWrite || p.activeDp == null) p.activeDp = dp;
        }
    }

    @Override
    public void vdiDeactivate(StorageContext ctx, String dp, String sr, String vdi, String vm) {
        VdiPaths p = paths.get(key(sr, vdi));
        if (p == null) return;
        synchronized (p) {
            if (dp.equals(p.activeDp)) p.activeDp = null;
        }
    }

    @Override
    public void vdiDetach(StorageContext ctx, String dp, String sr, String vdi, String vm) {
        VdiPaths p = paths.get(key(sr, vdi));
        if (p == null) return;
        synchronized (p) {
            if (dp.equals(p.activeDp)) p.activeDp = null;
            if (p.attached.remove(dp) == null) return;
            if (p.attached.isEmpty()) {
                p.info = null;
                AttachedSr a = srs.get(sr);
                if (a != null) a.driver().detach(vdi);
            }
        }
    }

    @Override
    public void dpDestroy(StorageContext ctx, String dp) {
        for (Map.Entry<String, VdiPaths> e : paths.entrySet()) {
            boolean holds;
            synchronized (e.getValue()) {
                holds = e.getValue().attached.containsKey(dp);
            }
            if (holds) {
                int slash = e.getKey().indexOf('/');
                vdiDetach(ctx, dp, e.getKey().substring(0, slash), e.getKey().substring(slash + 1), "");
            }
        }
    }

    @Override
    public String dpDiagnostics(StorageContext ctx) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, VdiPaths> e : paths.entrySet()) {
            synchronized (e.getValue()) {
                if (e.getValue().attached.isEmpty()) continue;
                b.append(e.getKey()).append(": ").append(e.getValue().attached);
                if (e.getValue().activeDp != null) b.append(" active ").append(e.getValue().activeDp);
                b.append('\n');
            }
        }
        return b.toString();
    }

    @Override
    public List<String> dpsOf(String sr, String vdi) {
        VdiPaths p = paths.get(key(sr, vdi));
        if (p == null) return List.of();
        synchronized (p) {
            return new ArrayList<>(p.attached.keySet());
        }
    }

    // ------------------------------------------------------------------ data

    @Override
    public void dataCopyInto(StorageContext ctx, String sr, String vdi, String destSr, String destVdi) {
        SrBackend dest = driver(destSr);
        String dp = "copy/" + UUID.randomUUID();
        AttachInfo src = vdiAttach(ctx, dp, sr, vdi, "", false);
        try {
            dest.copyInto(destVdi, src.path());
        } finally {
            dpDestroy(ctx, dp);
        }
    }
}
