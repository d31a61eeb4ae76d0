package org.xapijava.server.storage.rpc;

import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.VDI;
import org.xapijava.model.types.DateTime;
import org.xapijava.storage.StorageContext;

/**
 * The storage interface's calls xapi's storage mux answers from its own database ({@code storage_mux.ml},
 * {@code storage_smapiv1.ml}) rather than through a driver: {@code SR.update_snapshot_info_dest}, the receiving end
 * of a cross-pool {@code VM.migrate_send} marking the copied snapshots' disks as snapshots, and
 * {@code VDI.set_content_id}, which the copy uses beforehand. SRs are named by uuid (an SR not plugged here:
 * {@code No_storage_plugin_for_sr}), VDIs by location. Writes go through {@link Db}. Stateless; thread-safe.
 */
final class SnapshotInfoCalls {
    /** Xapi's {@code Storage_utils.No_VDI}, as the interface's error matcher prints it. */
    private static final String NO_VDI = "Storage_utils.No_VDI";

    private final Datapaths dps;

    SnapshotInfoCalls(Datapaths dps) {
        this.dps = dps;
    }

    /**
     * {@code SR.update_snapshot_info_dest dbg sr vdi src_vdi snapshot_pairs}: the SR scanned ({@code SR.scan2}),
     * then for each pair (a VDI here, the {@code vdi_info} of the disk it is a copy of): the VDI is among the SR's
     * ({@code Vdi_does_not_exist}), both content ids match ({@code Content_ids_do_not_match}), and it gets the
     * source's {@code snapshot_time}, {@code snapshot_of} = {@code vdi} and {@code is_a_snapshot} = true.
     *
     * @param pairs each local snapshot's location to the source snapshot's {@code vdi_info}, in the call's order
     */
    void updateSnapshotInfoDest(
            StorageContext ctx, String sr, String vdi, Map<?, ?> srcVdi, Map<String, Map<?, ?>> pairs) {
        Db data = dps.data();
        String srRef = dps.srRef(sr);
        List<String> local = SmVdis.scan(data, dps.backends(), ctx, srRef);
        for (Map.Entry<String, Map<?, ?>> p : pairs.entrySet()) {
            String snapshot = SmVdis.at(data, local, p.getKey());
            if (snapshot == null) throw StorageError.vdiDoesNotExist(p.getKey());
            Map<?, ?> src = p.getValue();
            if (!SmVdis.contentId(data, snapshot).equals(member(src, "content_id", ""))) {
                throw StorageError.contentIdsDoNotMatch(p.getKey(), member(src, "vdi", ""));
            }
            DateTime time;
            try {
                time = DateTime.parse(member(src, "snapshot_time", DateTime.EPOCH.toString()));
            } catch (IllegalArgumentException e) {
                throw StorageError.internal("Invalid_argument(" + e.getMessage() + ")");
            }
            String self = find(data, srRef, p.getKey());
            String of = find(data, srRef, vdi);
            SmVdis.markSnapshot(data, self, of, time);
        }
    }

    /** {@code VDI.set_content_id dbg sr vdi content_id}: the VDI's {@code other_config:content_id} replaced. */
    void setContentId(String sr, String vdi, String contentId) {
        Db data = dps.data();
        SmVdis.setContentId(data, find(data, dps.srRef(sr), vdi), contentId);
    }

    /** {@code Storage_utils.find_vdi}: the SR's VDI at {@code location}, else {@code No_VDI}. */
    private static String find(Db data, String srRef, String location) {
        String vdi = SmVdis.at(data, data.where(VDI.SR, srRef), location);
        if (vdi == null) throw StorageError.internal(NO_VDI);
        return vdi;
    }

    /** A string member of a {@code vdi_info}, its default when absent. */
    private static String member(Map<?, ?> info, String name, String dflt) {
        Object v = info.get(name);
        return v instanceof String s ? s : dflt;
    }
}
