package org.xapijava.server.storage;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.OnBoot;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.ops.AllowedOperations;
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

    private final Db data;
    private final Clock clock;
    private final AllowedOperations allowed;
    private final StorageBackends backends;

    public VdiService(Db data, Clock clock, AllowedOperations allowed, StorageBackends backends) {
        this.data = data;
        this.clock = clock;
        this.allowed = allowed;
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
    public String create(CallContext ctx, Map<String, Object> rec) {
        String sr = Db.value(rec, VDI.SR);
        Db db = data;
        requireBackendType(db, sr);
        String type = Db.value(rec, VDI.TYPE);
        if (type.equals("cbt_metadata")) throw new ApiError("VDI_INCOMPATIBLE_TYPE", "", "cbt_metadata");
        String srId = backends.attached(db, sr);
        Map<String, String> smConfig = Db.value(rec, VDI.SM_CONFIG);
        VdiInfo req = VdiInfo.request(
                "",
                Db.value(rec, VDI.NAME_LABEL),
                Db.value(rec, VDI.NAME_DESCRIPTION),
                type,
                Db.value(rec, VDI.VIRTUAL_SIZE),
                Db.value(rec, VDI.READ_ONLY),
                Db.value(rec, VDI.SHARABLE),
                smConfig);
        VdiInfo made;
        try {
            made = storage().vdiCreate(StorageBackends.context(ctx), srId, req);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        Map<String, String> sm = new LinkedHashMap<>(made.smConfig());
        for (String k : SM_CONFIG_PASS_THROUGH) {
            String v = smConfig.get(k);
            if (v != null && !v.isEmpty()) sm.put(k, v);
        }
        FieldValues row = row(
                        made,
                        sr,
                        Db.value(rec, VDI.NAME_LABEL),
                        Db.value(rec, VDI.NAME_DESCRIPTION),
                        type,
                        Db.value(rec, VDI.SHARABLE),
                        Db.value(rec, VDI.READ_ONLY),
                        sm)
                .with(VDI.OTHER_CONFIG, Db.value(rec, VDI.OTHER_CONFIG))
                .with(VDI.XENSTORE_DATA, Db.value(rec, VDI.XENSTORE_DATA))
                .with(VDI.TAGS, Db.value(rec, VDI.TAGS));
        String ref = insert(ctx, sr, srId, made, row);
        allowed.update(VDI.XAPI_CLASS, ref);
        return ref;
    }

    // ------------------------------------------------------------------ destroy

    /** {@code VDI.destroy}: the backend's data, the row, its VBDs and any VM's {@code suspend_VDI} link. */
    public void destroy(CallContext ctx, String vdi) {
        Db db = data;
        String sr = db.get(vdi, VDI.SR);
        requireBackendType(db, sr);
        String srId = backends.attached(db, sr);
        assertManaged(db, vdi);
        List<String> vbds = db.get(vdi, VDI.VBDS);
        for (String vbd : vbds) {
            if (Boolean.TRUE.equals(db.get(vbd, VBD.CURRENTLY_ATTACHED))
                    || Boolean.TRUE.equals(db.get(vbd, VBD.RESERVED))) {
                throw new ApiError("VDI_IN_USE", vdi, "destroy");
            }
        }
        try {
            storage().vdiDestroy(StorageBackends.context(ctx), srId, db.get(vdi, VDI.LOCATION));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
        Db.retrying(() -> {
            // each row as read: one deleted or changed meanwhile is read again
            Update.Builder u = Update.builder();
            data.version(VDI.XAPI_CLASS, vdi)
                    .ifPresent(m -> u.unchanged(VDI.XAPI_CLASS, vdi, m).delete(VDI.XAPI_CLASS, vdi));
            for (String vbd : vbds) {
                data.version(VBD.XAPI_CLASS, vbd)
                        .ifPresent(m -> u.unchanged(VBD.XAPI_CLASS, vbd, m).delete(VBD.XAPI_CLASS, vbd));
            }
            for (String vm : data.where(VM.SUSPEND_VDI, vdi)) {
                u.expect(vm, VM.SUSPEND_VDI, vdi, null).set(vm, VM.SUSPEND_VDI, Refs.NULL);
            }
            if (!u.isEmpty()) data.apply(u.build());
        });
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

    private String snapshotOrClone(CallContext ctx, String vdi, Map<String, String> driverParams, boolean snapshot) {
        Db db = data;
        String sr = db.get(vdi, VDI.SR);
        requireBackendType(db, sr);
        String srId = backends.attached(db, sr);
        assertManaged(db, vdi);
        Map<String, Object> src = db.record(VDI.XAPI_CLASS, vdi);
        VdiInfo made;
        try {
            String location = Db.value(src, VDI.LOCATION);
            made = snapshot
                    ? storage().vdiSnapshot(StorageBackends.context(ctx), srId, location)
                    : storage().vdiClone(StorageBackends.context(ctx), srId, location);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
        Map<String, String> sm = new LinkedHashMap<>(made.smConfig());
        for (String k : SM_CONFIG_KEPT_ON_CLONE) {
            String v = driverParams.get(k);
            if (v != null) sm.put(k, v);
        }
        FieldValues row = row(
                        made,
                        sr,
                        Db.value(src, VDI.NAME_LABEL),
                        Db.value(src, VDI.NAME_DESCRIPTION),
                        Db.value(src, VDI.TYPE),
                        Db.value(src, VDI.SHARABLE),
                        false,
                        sm)
                .with(VDI.OTHER_CONFIG, Db.value(src, VDI.OTHER_CONFIG))
                .with(VDI.XENSTORE_DATA, Db.value(src, VDI.XENSTORE_DATA))
                .with(VDI.TAGS, Db.value(src, VDI.TAGS))
                .with(VDI.ON_BOOT, Db.value(src, VDI.ON_BOOT))
                .with(VDI.ALLOW_CACHING, Db.value(src, VDI.ALLOW_CACHING))
                // the SMAPIv1 layer stamps every clone and snapshot with the time it was made
                .with(VDI.SNAPSHOT_TIME, DateTime.ofInstant(clock.instant()))
                .with(VDI.IS_A_SNAPSHOT, snapshot);
        if (snapshot) row.with(VDI.SNAPSHOT_OF, vdi);
        String ref = insert(ctx, sr, srId, made, row);
        allowed.update(VDI.XAPI_CLASS, ref);
        return ref;
    }

    // ------------------------------------------------------------------ copy

    /**
     * {@code VDI.copy}: the content of {@code vdi} written into {@code intoVdi} when that is a valid
     * VDI, else into a new VDI made in {@code sr} with {@code VDI.create} (destroyed again on failure).
     * {@code baseVdi} only tells which blocks may be skipped; this copies them all.
     */
    public String copy(CallContext ctx, String vdi, String sr, String baseVdi, String intoVdi) {
        Db db = data;
        assertManaged(db, vdi);
        Map<String, Object> src = db.record(VDI.XAPI_CLASS, vdi);
        String created = null;
        try {
            String dst;
            if (db.exists(VDI.XAPI_CLASS, intoVdi)) {
                dst = intoVdi;
            } else {
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put(VDI.NAME_LABEL.name(), src.get(VDI.NAME_LABEL.name()));
                rec.put(VDI.NAME_DESCRIPTION.name(), src.get(VDI.NAME_DESCRIPTION.name()));
                rec.put(VDI.SR.name(), sr);
                rec.put(VDI.VIRTUAL_SIZE.name(), src.get(VDI.VIRTUAL_SIZE.name()));
                rec.put(VDI.TYPE.name(), src.get(VDI.TYPE.name()));
                rec.put(VDI.SHARABLE.name(), src.get(VDI.SHARABLE.name()));
                // Xapi always makes the copy writable, so that read-only sources can be copied too
                rec.put(VDI.READ_ONLY.name(), false);
                rec.put(VDI.OTHER_CONFIG.name(), src.get(VDI.OTHER_CONFIG.name()));
                rec.put(VDI.XENSTORE_DATA.name(), src.get(VDI.XENSTORE_DATA.name()));
                // the SM layer keeps locks in sm_config: a copy starts without
                rec.put(VDI.SM_CONFIG.name(), Map.of());
                rec.put(VDI.TAGS.name(), src.get(VDI.TAGS.name()));
                created = ctx.api().vdi().create(rec);
                dst = created;
                if ("reset".equals(Db.value(src, VDI.ON_BOOT))) {
                    try {
                        ctx.api().vdi().setOnBoot(created, OnBoot.RESET);
                    } catch (ApiError ignored) {
                        // Xapi ignores a failure to carry on_boot over
                    }
                }
                data.set(created, VDI.ALLOW_CACHING, Db.value(src, VDI.ALLOW_CACHING));
            }
            Db now = data;
            if (Boolean.TRUE.equals(now.get(dst, VDI.READ_ONLY))) throw new ApiError("VDI_READONLY", dst);
            long srcSize = Db.value(src, VDI.VIRTUAL_SIZE);
            if (now.get(dst, VDI.VIRTUAL_SIZE) < srcSize) {
                throw new ApiError("VDI_TOO_SMALL", dst, Long.toString(srcSize));
            }
            copyData(ctx, now, vdi, dst);
            allowed.update(VDI.XAPI_CLASS, dst);
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
    private void copyData(CallContext ctx, Db db, String src, String dst) {
        String srcSr = db.get(src, VDI.SR);
        String dstSr = db.get(dst, VDI.SR);
        String srcId = backends.attached(db, srcSr);
        String dstId = backends.attached(db, dstSr);
        String dstLocation = db.get(dst, VDI.LOCATION);
        StorageContext sctx = StorageBackends.context(ctx);
        try {
            storage().dataCopyInto(sctx, srcId, db.get(src, VDI.LOCATION), dstId, dstLocation);
            VdiInfo after = storage().vdiStat(sctx, dstId, dstLocation);
            Db.retrying(() -> data.version(VDI.XAPI_CLASS, dst)
                    .ifPresent(m -> data.apply(Update.builder()
                            .unchanged(VDI.XAPI_CLASS, dst, m)
                            .set(dst, VDI.PHYSICAL_UTILISATION, after.physicalUtilisation())
                            .build())));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, dstSr, dst);
        }
    }

    // ------------------------------------------------------------------ resize, names

    /** {@code VDI.resize}: the backend grows the VDI; the database takes the size it reports. */
    public void resize(CallContext ctx, String vdi, long size) {
        Db db = data;
        String sr = db.get(vdi, VDI.SR);
        requireBackendType(db, sr);
        String srId = backends.attached(db, sr);
        assertManaged(db, vdi);
        VdiInfo after;
        try {
            after = storage().vdiResize(StorageBackends.context(ctx), srId, db.get(vdi, VDI.LOCATION), size);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
        Db.retrying(() -> data.version(VDI.XAPI_CLASS, vdi)
                .ifPresent(m -> data.apply(Update.builder()
                        .unchanged(VDI.XAPI_CLASS, vdi, m)
                        .set(vdi, VDI.VIRTUAL_SIZE, after.virtualSize())
                        .set(vdi, VDI.PHYSICAL_UTILISATION, after.physicalUtilisation())
                        .build())));
    }

    /** {@code VDI.set_name_label}: the SMAPIv1 layer keeps names in the database only. */
    public void setNameLabel(CallContext ctx, String vdi, String value) {
        data.set(vdi, VDI.NAME_LABEL, value);
    }

    /** {@code VDI.set_name_description}, as {@link #setNameLabel}. */
    public void setNameDescription(CallContext ctx, String vdi, String value) {
        data.set(vdi, VDI.NAME_DESCRIPTION, value);
    }

    // ------------------------------------------------------------------ helpers

    /** {@code SR_OPERATION_NOT_SUPPORTED [sr]} for an SR type without a backend (after HANDLE_INVALID). */
    private void requireBackendType(Db db, String sr) {
        if (!backends.hasBackend(db, sr)) throw new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
    }

    /** {@code Xapi_vdi_helpers.assert_managed}. */
    private static void assertManaged(Db db, String vdi) {
        if (!Boolean.TRUE.equals(db.get(vdi, VDI.MANAGED))) throw new ApiError("VDI_NOT_MANAGED", vdi);
    }

    /**
     * The row Xapi makes for a VDI a driver reports ({@code Xapi_sr.update_vdis}), with the
     * higher-level fields given; callers put the rest.
     */
    private static FieldValues row(
            VdiInfo made,
            String sr,
            String name,
            String description,
            String type,
            boolean sharable,
            boolean readOnly,
            Map<String, String> smConfig) {
        return FieldValues.of(VDI.XAPI_CLASS)
                .with(VDI.UUID, made.uuid().isEmpty() ? UUID.randomUUID().toString() : made.uuid())
                .with(VDI.NAME_LABEL, name)
                .with(VDI.NAME_DESCRIPTION, description)
                .with(VDI.IS_A_SNAPSHOT, false)
                .with(VDI.SNAPSHOT_OF, Refs.NULL)
                .with(VDI.SNAPSHOT_TIME, DateTime.EPOCH)
                .with(VDI.SR, sr)
                .with(VDI.VIRTUAL_SIZE, made.virtualSize())
                .with(VDI.PHYSICAL_UTILISATION, made.physicalUtilisation())
                .with(VDI.TYPE, type)
                .with(VDI.SHARABLE, sharable)
                .with(VDI.READ_ONLY, readOnly)
                .with(VDI.XENSTORE_DATA, Map.of())
                .with(VDI.SM_CONFIG, smConfig)
                .with(VDI.OTHER_CONFIG, Map.of())
                .with(VDI.STORAGE_LOCK, false)
                .with(VDI.LOCATION, made.location())
                .with(VDI.MANAGED, true)
                .with(VDI.MISSING, false)
                .with(VDI.PARENT, Refs.NULL)
                .with(VDI.TAGS, List.of())
                .with(VDI.ON_BOOT, "persist")
                .with(VDI.ALLOW_CACHING, false)
                .with(VDI.METADATA_OF_POOL, Refs.NULL)
                .with(VDI.METADATA_LATEST, false)
                .with(VDI.IS_TOOLS_ISO, false)
                .with(VDI.CBT_ENABLED, false);
    }

    /**
     * {@code update_vdi_db}: a driver that keeps the database itself (SMAPIv1: {@code VDI.db_introduce}) has made the
     * row already: it takes the fields xapi sets over the driver's ({@code xapi_vdi.ml} create, and the names, times
     * and snapshot fields of {@code storage_smapiv1.ml} for clones and snapshots), the driver's size, location and
     * sm_config stay. Otherwise the row is created. If that fails the driver's VDI is removed again.
     */
    private String insert(CallContext ctx, String sr, String srId, VdiInfo made, FieldValues row) {
        String existing = StorageBackends.vdiAt(data, sr, made.location());
        try {
            if (existing != null) {
                String ref = existing;
                Update.Builder u = Update.builder().exists(VDI.XAPI_CLASS, ref);
                for (org.xapijava.model.Field<?> f : XAPI_SETS) setFrom(u, ref, row, f);
                data.apply(u.build());
                return ref;
            }
            String ref = Refs.fresh();
            data.create(ref, row);
            return ref;
        } catch (RuntimeException e) {
            try {
                storage().vdiDestroy(StorageBackends.context(ctx), srId, made.location());
            } catch (StorageException ignored) {
                // the database error is the one to report
            }
            throw e;
        }
    }

    /** The fields xapi writes over a driver-made row. */
    private static final List<org.xapijava.model.Field<?>> XAPI_SETS = List.of(
            VDI.NAME_LABEL,
            VDI.NAME_DESCRIPTION,
            VDI.OTHER_CONFIG,
            VDI.SHARABLE,
            VDI.TAGS,
            VDI.XENSTORE_DATA,
            VDI.ON_BOOT,
            VDI.ALLOW_CACHING,
            VDI.SNAPSHOT_TIME,
            VDI.IS_A_SNAPSHOT,
            VDI.SNAPSHOT_OF,
            VDI.SM_CONFIG);

    @SuppressWarnings("unchecked")
    private static <T> void setFrom(Update.Builder u, String ref, FieldValues row, org.xapijava.model.Field<T> f) {
        Object v = row.byName().get(f.name());
        if (v != null) u.set(ref, f, (T) v);
    }
}
