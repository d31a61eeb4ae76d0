package org.xapijava.server.storage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.types.Refs;
import org.xapijava.server.sm.SmSessions;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.VdiInfo;
import org.xapijava.storage.smapiv1.Smapiv1Host;

/**
 * {@link Smapiv1Host} over this host's view of the database ({@code Db}) and its {@link SmSessions}: what the
 * SMAPIv1 layer reads and writes of xapi's records, as Xapi's {@code storage_smapiv1.ml} and {@code sm.ml} do
 * through {@code Db}. Thread-safe (every method is one database step).
 */
public final class ServerSmapiv1Host implements Smapiv1Host {
    /** {@code other_config} key of a VDI's content id ({@code storage_smapiv1.ml}). */
    static final String CONTENT_ID = "content_id";

    private final Db data;
    private final String hostRef;
    private final SmSessions sessions;

    public ServerSmapiv1Host(Db data, String hostRef, SmSessions sessions) {
        this.data = data;
        this.hostRef = hostRef;
        this.sessions = sessions;
    }

    @Override
    public String hostRef() {
        return hostRef;
    }

    @Override
    public String hostUuid() {
        return data.get(hostRef, Host.UUID);
    }

    @Override
    public String srRef(String srUuid) {
        return data.findByUuid(SR.XAPI_CLASS, srUuid).orElse(null);
    }

    /** {@code Helpers.get_srmaster}: the pool master for a shared SR, the host of the only PBD otherwise. */
    @Override
    public boolean isSrMaster(String srRef) {
        if (data.get(srRef, SR.SHARED)) {
            List<String> pools = data.all(Pool.XAPI_CLASS);
            return !pools.isEmpty() && hostRef.equals(data.get(pools.get(0), Pool.MASTER));
        }
        List<String> pbds = data.get(srRef, SR.PBDS);
        return pbds.size() == 1 && hostRef.equals(data.get(pbds.get(0), PBD.HOST));
    }

    @Override
    public Map<String, String> deviceConfig(String srRef) {
        for (String pbd : data.get(srRef, SR.PBDS)) {
            if (hostRef.equals(data.get(pbd, PBD.HOST))) {
                Map<String, String> dc = new LinkedHashMap<>(data.get(pbd, PBD.DEVICE_CONFIG));
                dc.remove(SrRecords.SR_MASTER_KEY);
                return dc;
            }
        }
        return Map.of();
    }

    @Override
    public String localCacheSrUuid() {
        String sr = data.get(hostRef, Host.LOCAL_CACHE_SR);
        return Refs.isNull(sr) || !data.exists(SR.XAPI_CLASS, sr) ? null : data.get(sr, SR.UUID);
    }

    @Override
    public String vdiRef(String srRef, String location) {
        return StorageBackends.vdiAt(data, srRef, location);
    }

    @Override
    public VdiRecord vdi(String vdiRef) {
        if (!data.exists(VDI.XAPI_CLASS, vdiRef)) return null;
        return new VdiRecord(
                data.get(vdiRef, VDI.UUID),
                data.get(vdiRef, VDI.LOCATION),
                data.get(vdiRef, VDI.ON_BOOT),
                data.get(vdiRef, VDI.ALLOW_CACHING));
    }

    /** {@code vdi_info_of_vdi_rec}. */
    @Override
    public VdiInfo vdiInfo(String vdiRef) {
        if (!data.exists(VDI.XAPI_CLASS, vdiRef)) return null;
        return new VdiInfo(
                data.get(vdiRef, VDI.LOCATION),
                data.get(vdiRef, VDI.UUID),
                data.get(vdiRef, VDI.NAME_LABEL),
                data.get(vdiRef, VDI.NAME_DESCRIPTION),
                data.get(vdiRef, VDI.TYPE),
                data.get(vdiRef, VDI.VIRTUAL_SIZE),
                data.get(vdiRef, VDI.PHYSICAL_UTILISATION),
                data.get(vdiRef, VDI.READ_ONLY),
                data.get(vdiRef, VDI.SHARABLE),
                data.get(vdiRef, VDI.SM_CONFIG));
    }

    @Override
    public List<VdiInfo> vdis(String srRef) {
        return data.where(VDI.SR, srRef).stream()
                .map(this::vdiInfo)
                .filter(java.util.Objects::nonNull)
                .toList();
    }

    @Override
    public SrStat srTotals(String srRef) {
        return new SrStat(
                data.get(srRef, SR.PHYSICAL_SIZE),
                data.get(srRef, SR.PHYSICAL_UTILISATION),
                data.get(srRef, SR.VIRTUAL_ALLOCATION));
    }

    @Override
    public void setVdiSmConfigKey(String vdiRef, String key, String value) {
        setMapKey(vdiRef, VDI.SM_CONFIG, key, value);
    }

    @Override
    public String contentId(String vdiRef) {
        return data.get(vdiRef, VDI.OTHER_CONFIG).get(CONTENT_ID);
    }

    @Override
    public void setContentId(String vdiRef, String value) {
        setMapKey(vdiRef, VDI.OTHER_CONFIG, CONTENT_ID, value);
    }

    /** Sets or removes one key of a map field: remove (if there), then add; a VDI gone meanwhile is left alone. */
    private void setMapKey(
            String vdiRef, org.xapijava.model.Field<Map<String, String>> field, String key, String value) {
        if (!data.exists(VDI.XAPI_CLASS, vdiRef)) return;
        Map<String, String> now = data.get(vdiRef, field);
        if (value == null ? !now.containsKey(key) : value.equals(now.get(key))) return;
        if (now.containsKey(key)) data.removeFromMap(vdiRef, field, key);
        if (value != null) data.addToMap(vdiRef, field, key, value);
    }

    @Override
    public String openSmSession(String srRef) {
        return sessions.open(srRef);
    }

    @Override
    public void closeSmSession(String sessionRef) {
        sessions.close(sessionRef);
    }
}
