package org.xapijava.server.storage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.OnBoot;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.VdiInfo;

/**
 * The VDI messages that reach storage ({@code xapi_vdi.ml} with the SMAPIv1 layer of
 * {@code storage_smapiv1.ml}): create, destroy, clone, snapshot, copy, resize. Each checks what Xapi's
 * implementation checks, calls the SR's backend outside any database transaction, then writes the
 * database rows Xapi writes, updates the SR's totals and recomputes the new object's
 * {@code allowed_operations}. Operation marking ({@code current_operations}) is the forwarding
 * layer's, not this class's. Thread-safe.
 */
public final class VdiService {
    /** {@code sm_config} keys of a creation request the SM drivers keep ({@code VDI.py}). */
    static final List<String> SM_CONFIG_PASS_THROUGH = List.of("base_mirror", "key_hash");
    /** {@code sm_config} keys of the driver parameters a clone or snapshot keeps ({@code storage_smapiv1.ml}). */
    static final List<String> SM_CONFIG_KEPT_ON_CLONE = List.of("base_mirror");

    private final Services services;
    private final StorageBackends backends;

    public VdiService(Services services, StorageBackends backends) {
        this.services = services;
        this.backends = backends;
    }

    public StorageBackends backends() {
        return backends;
    }

    private Smapiv2 storage() {
        return backends.storage();
    }

    // ------------------------------------------------------------------ create

    /**
     * {@code VDI.create}: {@code rec} holds the constructor fields (name_label, name_description, SR,
     * virtual_size, type, sharable, read_only, other_config, xenstore_data, sm_config, tags).
     */
    @SuppressWarnings("unchecked")
    public String create(CallContext ctx, Map<String, Object> rec) {
        String sr = (String) rec.get("SR");
        DbReader db = ctx.db().snapshot();
        requireBackendType(db, sr);
        String type = (String) rec.get("type");
        if (type.equals("cbt_metadata")) throw new ApiError("VDI_INCOMPATIBLE_TYPE", "", "cbt_metadata");
        backends.attached(db, sr);
        Map<String, String> smConfig = (Map<String, String>) rec.get("sm_config");
        VdiInfo req = VdiInfo.request(
                "",
                (String) rec.get("name_label"),
                (String) rec.get("name_description"),
                type,
                (Long) rec.get("virtual_size"),
                (Boolean) rec.get("read_only"),
                (Boolean) rec.get("sharable"),
                smConfig);
        VdiInfo made;
        try {
            made = storage().vdiCreate(StorageBackends.context(ctx), sr, req);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        Map<String, String> sm = new LinkedHashMap<>(made.smConfig());
        for (String k : SM_CONFIG_PASS_THROUGH) {
            String v = smConfig.get(k);
            if (v != null && !v.isEmpty()) sm.put(k, v);
        }
        Map<String, Object> row = row(
                made,
                sr,
                (String) rec.get("name_label"),
                (String) rec.get("name_description"),
                type,
                (Boolean) rec.get("sharable"),
                (Boolean) rec.get("read_only"),
                sm);
        row.put("other_config", rec.get("other_config"));
        row.put("xenstore_data", rec.get("xenstore_data"));
        row.put("tags", rec.get("tags"));
        String ref = insert(ctx, sr, made, row);
        backends.refreshSr(sr);
        services.allowed().update("VDI", ref);
        return ref;
    }

    // ------------------------------------------------------------------ destroy

    /** {@code VDI.destroy}: the backend's data, the row, its VBDs and any VM's {@code suspend_VDI} link. */
    @SuppressWarnings("unchecked")
    public void destroy(CallContext ctx, String vdi) {
        DbReader db = ctx.db().snapshot();
        String sr = (String) db.get(vdi, VDI.SR);
        requireBackendType(db, sr);
        backends.attached(db, sr);
        assertManaged(db, vdi);
        List<String> vbds = (List<String>) db.get(vdi, VDI.VBDS);
        for (String vbd : vbds) {
            if (Boolean.TRUE.equals(db.get(vbd, VBD.CURRENTLY_ATTACHED))
                    || Boolean.TRUE.equals(db.get(vbd, VBD.RESERVED))) {
                throw new ApiError("VDI_IN_USE", vdi, "destroy");
            }
        }
        try {
            storage().vdiDestroy(StorageBackends.context(ctx), sr, (String) db.get(vdi, VDI.LOCATION));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
        ctx.db().transact(tx -> {
            if (tx.exists("VDI", vdi)) tx.delete("VDI", vdi);
            for (String vbd : vbds) {
                if (tx.exists("VBD", vbd)) tx.delete("VBD", vbd);
            }
            for (String vm : tx.getAllWhere("VM", "field \"suspend_VDI\" = \"" + vdi + "\"")) {
                tx.set(vm, VM.SUSPEND_VDI, Refs.NULL);
            }
        });
        backends.refreshSr(sr);
    }

    // ------------------------------------------------------------------ clone, snapshot

    /** {@code VDI.clone}: a new, writable VDI in the same SR with the same content and metadata. */
    public String clone(CallContext ctx, String vdi, Map<String, String> driverParams) {
        return snapshotOrClone(ctx, vdi, driverParams, false);
    }

    /** {@code VDI.snapshot}: as a clone, recorded as a snapshot of {@code vdi}. */
    public String snapshot(CallContext ctx, String vdi, Map<String, String> driverParams) {
        return snapshotOrClone(ctx, vdi, driverParams, true);
    }

    @SuppressWarnings("unchecked")
    private String snapshotOrClone(CallContext ctx, String vdi, Map<String, String> driverParams, boolean snapshot) {
        DbReader db = ctx.db().snapshot();
        String sr = (String) db.get(vdi, VDI.SR);
        requireBackendType(db, sr);
        backends.attached(db, sr);
        assertManaged(db, vdi);
        Map<String, Object> src = db.getRecord("VDI", vdi);
        VdiInfo made;
        try {
            String location = (String) src.get("location");
            made = snapshot
                    ? storage().vdiSnapshot(StorageBackends.context(ctx), sr, location)
                    : storage().vdiClone(StorageBackends.context(ctx), sr, location);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
        Map<String, String> sm = new LinkedHashMap<>(made.smConfig());
        for (String k : SM_CONFIG_KEPT_ON_CLONE) {
            String v = driverParams.get(k);
            if (v != null) sm.put(k, v);
        }
        Map<String, Object> row = row(
                made,
                sr,
                (String) src.get("name_label"),
                (String) src.get("name_description"),
                (String) src.get("type"),
                (Boolean) src.get("sharable"),
                false,
                sm);
        row.put("other_config", src.get("other_config"));
        row.put("xenstore_data", src.get("xenstore_data"));
        row.put("tags", src.get("tags"));
        row.put("on_boot", src.get("on_boot"));
        row.put("allow_caching", src.get("allow_caching"));
        // the SMAPIv1 layer stamps every clone and snapshot with the time it was made
        row.put("snapshot_time", DateTime.ofInstant(services.clock().instant()));
        row.put("is_a_snapshot", snapshot);
        if (snapshot) row.put("snapshot_of", vdi);
        String ref = insert(ctx, sr, made, row);
        backends.refreshSr(sr);
        services.allowed().update("VDI", ref);
        return ref;
    }

    // ------------------------------------------------------------------ copy

    /**
     * {@code VDI.copy}: the content of {@code vdi} written into {@code intoVdi} when that is a valid
     * VDI, else into a new VDI made in {@code sr} with {@code VDI.create} (destroyed again on failure).
     * {@code baseVdi} only tells which blocks may be skipped; this copies them all.
     */
    public String copy(CallContext ctx, String vdi, String sr, String baseVdi, String intoVdi) {
        DbReader db = ctx.db().snapshot();
        assertManaged(db, vdi);
        Map<String, Object> src = db.getRecord("VDI", vdi);
        String created = null;
        try {
            String dst;
            if (db.exists("VDI", intoVdi)) {
                dst = intoVdi;
            } else {
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("name_label", src.get("name_label"));
                rec.put("name_description", src.get("name_description"));
                rec.put("SR", sr);
                rec.put("virtual_size", src.get("virtual_size"));
                rec.put("type", src.get("type"));
                rec.put("sharable", src.get("sharable"));
                // Xapi always makes the copy writable, so that read-only sources can be copied too
                rec.put("read_only", false);
                rec.put("other_config", src.get("other_config"));
                rec.put("xenstore_data", src.get("xenstore_data"));
                // the SM layer keeps locks in sm_config: a copy starts without
                rec.put("sm_config", Map.of());
                rec.put("tags", src.get("tags"));
                created = ctx.api().vdi().create(rec);
                dst = created;
                if ("reset".equals(src.get("on_boot"))) {
                    try {
                        ctx.api().vdi().setOnBoot(created, OnBoot.RESET);
                    } catch (ApiError ignored) {
                        // Xapi ignores a failure to carry on_boot over
                    }
                }
                ctx.db().set(created, VDI.ALLOW_CACHING, (Boolean) src.get("allow_caching"));
            }
            DbReader now = ctx.db().snapshot();
            if (Boolean.TRUE.equals(now.get(dst, VDI.READ_ONLY))) throw new ApiError("VDI_READONLY", dst);
            long srcSize = (Long) src.get("virtual_size");
            if ((Long) now.get(dst, VDI.VIRTUAL_SIZE) < srcSize) {
                throw new ApiError("VDI_TOO_SMALL", dst, Long.toString(srcSize));
            }
            copyData(ctx, now, vdi, dst);
            services.allowed().update("VDI", dst);
            return dst;
        } catch (RuntimeException e) {
            if (created != null) {
                try {
                    ctx.api().vdi().destroy(created);
                } catch (RuntimeException ignored) {
                    // the copy's own error is the one to report
                }
            }
            throw e;
        }
    }

    /** Copies the bytes of {@code src} into {@code dst} (both attached here), then re-reads dst's use. */
    private void copyData(CallContext ctx, DbReader db, String src, String dst) {
        String srcSr = (String) db.get(src, VDI.SR);
        String dstSr = (String) db.get(dst, VDI.SR);
        backends.attached(db, srcSr);
        backends.attached(db, dstSr);
        String dstLocation = (String) db.get(dst, VDI.LOCATION);
        StorageContext sctx = StorageBackends.context(ctx);
        try {
            storage().dataCopyInto(sctx, srcSr, (String) db.get(src, VDI.LOCATION), dstSr, dstLocation);
            VdiInfo after = storage().vdiStat(sctx, dstSr, dstLocation);
            services.db().transact(tx -> {
                if (tx.exists("VDI", dst)) tx.set(dst, VDI.PHYSICAL_UTILISATION, after.physicalUtilisation());
            });
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, dstSr, dst);
        }
        backends.refreshSr(dstSr);
    }

    // ------------------------------------------------------------------ resize, names

    /** {@code VDI.resize}: the backend grows the VDI; the database takes the size it reports. */
    public void resize(CallContext ctx, String vdi, long size) {
        DbReader db = ctx.db().snapshot();
        String sr = (String) db.get(vdi, VDI.SR);
        requireBackendType(db, sr);
        backends.attached(db, sr);
        assertManaged(db, vdi);
        VdiInfo after;
        try {
            after = storage().vdiResize(StorageBackends.context(ctx), sr, (String) db.get(vdi, VDI.LOCATION), size);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
        ctx.db().transact(tx -> {
            if (!tx.exists("VDI", vdi)) return;
            tx.set(vdi, VDI.VIRTUAL_SIZE, after.virtualSize());
            tx.set(vdi, VDI.PHYSICAL_UTILISATION, after.physicalUtilisation());
        });
        backends.refreshSr(sr);
    }

    /** {@code VDI.set_name_label}: the SMAPIv1 layer keeps names in the database only. */
    public void setNameLabel(CallContext ctx, String vdi, String value) {
        ctx.db().set(vdi, VDI.NAME_LABEL, value);
    }

    /** {@code VDI.set_name_description}, as {@link #setNameLabel}. */
    public void setNameDescription(CallContext ctx, String vdi, String value) {
        ctx.db().set(vdi, VDI.NAME_DESCRIPTION, value);
    }

    // ------------------------------------------------------------------ helpers

    /** {@code SR_OPERATION_NOT_SUPPORTED [sr]} for an SR type without a backend (after HANDLE_INVALID). */
    private void requireBackendType(DbReader db, String sr) {
        if (!backends.hasBackend(db, sr)) throw new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
    }

    /** {@code Xapi_vdi_helpers.assert_managed}. */
    private static void assertManaged(DbReader db, String vdi) {
        if (!Boolean.TRUE.equals(db.get(vdi, VDI.MANAGED))) throw new ApiError("VDI_NOT_MANAGED", vdi);
    }

    /**
     * The row Xapi makes for a VDI a driver reports ({@code Xapi_sr.update_vdis}), with the
     * higher-level fields given; callers put the rest.
     */
    private static Map<String, Object> row(
            VdiInfo made,
            String sr,
            String name,
            String description,
            String type,
            boolean sharable,
            boolean readOnly,
            Map<String, String> smConfig) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("uuid", made.uuid().isEmpty() ? UUID.randomUUID().toString() : made.uuid());
        v.put("name_label", name);
        v.put("name_description", description);
        v.put("is_a_snapshot", false);
        v.put("snapshot_of", Refs.NULL);
        v.put("snapshot_time", DateTime.EPOCH);
        v.put("SR", sr);
        v.put("virtual_size", made.virtualSize());
        v.put("physical_utilisation", made.physicalUtilisation());
        v.put("type", type);
        v.put("sharable", sharable);
        v.put("read_only", readOnly);
        v.put("xenstore_data", Map.of());
        v.put("sm_config", smConfig);
        v.put("other_config", Map.of());
        v.put("storage_lock", false);
        v.put("location", made.location());
        v.put("managed", true);
        v.put("missing", false);
        v.put("parent", Refs.NULL);
        v.put("tags", List.of());
        v.put("on_boot", "persist");
        v.put("allow_caching", false);
        v.put("metadata_of_pool", Refs.NULL);
        v.put("metadata_latest", false);
        v.put("is_tools_iso", false);
        v.put("cbt_enabled", false);
        return v;
    }

    /** Creates the row; if that fails the driver's VDI is removed again. */
    private String insert(CallContext ctx, String sr, VdiInfo made, Map<String, Object> row) {
        String ref = Refs.fresh();
        try {
            services.db().create("VDI", ref, row);
        } catch (RuntimeException e) {
            try {
                storage().vdiDestroy(StorageBackends.context(ctx), sr, made.location());
            } catch (StorageException ignored) {
                // the database error is the one to report
            }
            throw e;
        }
        return ref;
    }
}
