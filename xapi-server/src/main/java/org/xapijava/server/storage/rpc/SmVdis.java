package org.xapijava.server.storage.rpc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;

/**
 * The VDIs of an SR as SMAPIv2 shows them over SMAPIv1 ({@code storage_smapiv1.ml}): {@code SR.scan} (the driver's
 * {@code sr_scan}, then the SR's VDI records) and {@code vdi_info_of_vdi_rec} (a VDI named by its location; its
 * {@code content_id} that of {@code other_config}, else the location). Used by both ends of
 * {@code SR.update_snapshot_info_src}/{@code _dest}. Stateless.
 */
public final class SmVdis {
    /** The {@code other_config} key of a VDI's content id (Xapi's PR-1255 workaround). */
    public static final String CONTENT_ID = "content_id";

    private SmVdis() {}

    /**
     * {@code SR.scan}: the driver's {@code sr_scan} and {@code sr_update} (an SR type without a driver here is read
     * from the database alone), then the VDIs of the SR in the database.
     *
     * @throws StorageError {@code No_storage_plugin_for_sr} when the SR is not plugged here; {@code Backend_error}
     *                      with the XenAPI error Xapi makes of the driver's failure
     */
    public static List<String> scan(Db data, StorageBackends backends, StorageContext ctx, String srRef) {
        if (backends.hasBackend(data, srRef)) {
            String uuid = data.get(srRef, SR.UUID);
            try {
                backends.attached(data, srRef);
            } catch (org.xapijava.model.errors.ApiError e) {
                throw StorageError.noPlugin(uuid);
            }
            try {
                backends.storage().srScan(ctx, uuid);
                backends.storage().srStat(ctx, uuid);
            } catch (StorageException e) {
                var a = StorageBackends.toApiError(e, srRef, org.xapijava.model.types.Refs.NULL);
                throw StorageError.backend(a.code(), a.params());
            }
        }
        return data.where(VDI.SR, srRef);
    }

    /** Among {@code vdis}, the one at {@code location}, or null. */
    public static String at(Db data, List<String> vdis, String location) {
        for (String vdi : vdis) {
            if (location.equals(data.get(vdi, VDI.LOCATION))) return vdi;
        }
        return null;
    }

    /** The VDI's {@code content_id}: {@code other_config:content_id}, else its location. */
    public static String contentId(Db data, String vdi) {
        String id = data.get(vdi, VDI.OTHER_CONFIG).get(CONTENT_ID);
        return id != null ? id : data.get(vdi, VDI.LOCATION);
    }

    /** {@code VDI.set_content_id}'s write: {@code other_config:content_id} replaced. */
    public static void setContentId(Db data, String vdi, String contentId) {
        data.apply(org.xapijava.db.Update.builder()
                .exists(VDI.XAPI_CLASS, vdi)
                .removeFromMap(vdi, VDI.OTHER_CONFIG, CONTENT_ID)
                .addToMap(vdi, VDI.OTHER_CONFIG, CONTENT_ID, contentId)
                .build());
    }

    /**
     * {@code update_snapshot_info}'s write: {@code vdi} is a snapshot of {@code of}, taken at {@code time}
     * ({@code snapshot_time}, {@code snapshot_of}, {@code is_a_snapshot} in one step; {@code HANDLE_INVALID} when
     * {@code vdi} is gone).
     */
    public static void markSnapshot(Db data, String vdi, String of, DateTime time) {
        data.apply(org.xapijava.db.Update.builder()
                .exists(VDI.XAPI_CLASS, vdi)
                .set(vdi, VDI.SNAPSHOT_TIME, time)
                .set(vdi, VDI.SNAPSHOT_OF, of)
                .set(vdi, VDI.IS_A_SNAPSHOT, true)
                .build());
    }

    /**
     * The VDI's {@code vdi_info} as ocaml-rpc marshals it (members last field first): {@code snapshot_of} the uuid
     * of the disk it is a snapshot of (empty when none), {@code persistent} whether {@code on_boot} is
     * {@code persist}, {@code metadata_of_pool} the pool's ref.
     */
    public static Map<String, Object> vdiInfo(Db data, String vdi) {
        Map<String, Object> rec = data.record(VDI.XAPI_CLASS, vdi);
        String of = Db.value(rec, VDI.SNAPSHOT_OF);
        String ofUuid = data.exists(VDI.XAPI_CLASS, of) ? data.get(of, VDI.UUID) : "";
        DateTime time = Db.value(rec, VDI.SNAPSHOT_TIME);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tags", new ArrayList<>(Db.value(rec, VDI.TAGS)));
        r.put("sm_config", new LinkedHashMap<>(Db.value(rec, VDI.SM_CONFIG)));
        r.put("sharable", Db.value(rec, VDI.SHARABLE));
        r.put("persistent", "persist".equals(Db.value(rec, VDI.ON_BOOT)));
        r.put("physical_utilisation", Db.value(rec, VDI.PHYSICAL_UTILISATION));
        r.put("virtual_size", Db.value(rec, VDI.VIRTUAL_SIZE));
        r.put("cbt_enabled", Db.value(rec, VDI.CBT_ENABLED));
        r.put("read_only", Db.value(rec, VDI.READ_ONLY));
        r.put("snapshot_of", ofUuid);
        r.put("snapshot_time", time.toString());
        r.put("is_a_snapshot", Db.value(rec, VDI.IS_A_SNAPSHOT));
        r.put("metadata_of_pool", Db.value(rec, VDI.METADATA_OF_POOL));
        r.put("ty", Db.value(rec, VDI.TYPE));
        r.put("name_description", Db.value(rec, VDI.NAME_DESCRIPTION));
        r.put("name_label", Db.value(rec, VDI.NAME_LABEL));
        r.put("content_id", contentId(data, vdi));
        r.put("uuid", Db.value(rec, VDI.UUID));
        r.put("vdi", Db.value(rec, VDI.LOCATION));
        return r;
    }
}
