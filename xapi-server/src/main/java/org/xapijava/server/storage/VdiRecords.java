package org.xapijava.server.storage;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.OnBoot;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * VDI records made and removed in the database only, shared by the drivers' callbacks ({@code VDI.db_introduce},
 * {@code VDI.db_forget}) and the API's {@code VDI.pool_introduce} and {@code VDI.forget}: Xapi's
 * {@code introduce_dbonly} and {@code db_forget} with what its database GC does after a VDI row goes. Stateless.
 */
public final class VdiRecords {
    /** What Xapi's {@code Scanf "%02x%02x%02x%02x-%02x%02x-..."} accepts as a uuid: 8-4-4-4-12 hex digits. */
    private static final Pattern UUID_SHAPE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private VdiRecords() {}

    /** The fields of {@code introduce_dbonly}, as its callers give them. */
    public record Introduced(
            String uuid,
            String nameLabel,
            String nameDescription,
            String sr,
            VdiType type,
            boolean sharable,
            boolean readOnly,
            Map<String, String> otherConfig,
            String location,
            Map<String, String> xenstoreData,
            Map<String, String> smConfig,
            boolean managed,
            long virtualSize,
            long physicalUtilisation,
            String metadataOfPool,
            boolean isASnapshot,
            DateTime snapshotTime,
            String snapshotOf,
            boolean cbtEnabled) {}

    /**
     * {@code introduce_dbonly}: the row, unless the SR has a VDI at the same location ({@code LOCATION_NOT_UNIQUE [sr,
     * location]}) or the uuid is not one ({@code UUID_INVALID [VDI, uuid]}); the SR's VDIs are checked in the same step
     * as the insert. Returns the new ref (allowed_operations are the caller's).
     */
    public static String introduce(Db data, Introduced v) {
        String sr = v.sr();
        if (!data.exists(SR.XAPI_CLASS, sr)) throw new ApiError(ErrorCodes.HANDLE_INVALID, SR.XAPI_CLASS, sr);
        String ref = Refs.fresh();
        FieldValues row = FieldValues.of(VDI.XAPI_CLASS)
                .with(VDI.UUID, v.uuid())
                .with(VDI.NAME_LABEL, v.nameLabel())
                .with(VDI.NAME_DESCRIPTION, v.nameDescription())
                .with(VDI.IS_A_SNAPSHOT, v.isASnapshot())
                .with(VDI.SNAPSHOT_OF, v.snapshotOf())
                .with(VDI.SNAPSHOT_TIME, v.snapshotTime())
                .with(VDI.SR, sr)
                .with(VDI.VIRTUAL_SIZE, v.virtualSize())
                .with(VDI.PHYSICAL_UTILISATION, v.physicalUtilisation())
                .with(VDI.TYPE, v.type().wire())
                .with(VDI.SHARABLE, v.sharable())
                .with(VDI.READ_ONLY, v.readOnly())
                .with(VDI.XENSTORE_DATA, v.xenstoreData())
                .with(VDI.SM_CONFIG, v.smConfig())
                .with(VDI.OTHER_CONFIG, v.otherConfig())
                .with(VDI.STORAGE_LOCK, false)
                .with(VDI.LOCATION, v.location())
                .with(VDI.MANAGED, v.managed())
                .with(VDI.MISSING, false)
                .with(VDI.PARENT, Refs.NULL)
                .with(VDI.TAGS, List.of())
                .with(VDI.ON_BOOT, OnBoot.PERSIST.wire())
                .with(VDI.ALLOW_CACHING, false)
                .with(VDI.METADATA_OF_POOL, v.metadataOfPool())
                .with(VDI.METADATA_LATEST, false)
                .with(VDI.IS_TOOLS_ISO, false)
                .with(VDI.CBT_ENABLED, v.cbtEnabled());
        Db.retrying(() -> {
            // the SR's VDIs as checked, in the same step as the new row: two plugins may introduce at once
            List<String> siblings = data.where(VDI.SR, sr);
            for (String vdi : siblings) {
                if (v.location().equals(data.get(vdi, VDI.LOCATION)))
                    throw new ApiError(ErrorCodes.LOCATION_NOT_UNIQUE, sr, v.location());
            }
            if (!UUID_SHAPE.matcher(v.uuid()).matches())
                throw new ApiError(ErrorCodes.UUID_INVALID, VDI.XAPI_CLASS, v.uuid());
            data.apply(Update.builder()
                    .require(List.of(new Update.SameRows(VDI.XAPI_CLASS, VDI.SR, sr, Set.copyOf(siblings))))
                    .create(ref, row)
                    .build());
        });
        return ref;
    }

    /**
     * The record goes; a CD drive that held it is left empty, and (what Xapi's database GC does moments later) the
     * VDI's other VBDs are destroyed and a VM suspended onto it loses the link. Nothing happens if it is gone already.
     */
    public static void forget(Db data, String vdi) {
        Db.retrying(() -> {
            Update.Builder u = Update.builder();
            data.version(VDI.XAPI_CLASS, vdi)
                    .ifPresent(m -> u.unchanged(VDI.XAPI_CLASS, vdi, m).delete(VDI.XAPI_CLASS, vdi));
            if (u.isEmpty()) return; // forgotten meanwhile
            for (String vbd : data.where(VBD.VDI, vdi)) {
                data.version(VBD.XAPI_CLASS, vbd).ifPresent(m -> {
                    u.unchanged(VBD.XAPI_CLASS, vbd, m);
                    if (VbdType.CD.wire().equals(data.get(vbd, VBD.TYPE))) {
                        u.set(vbd, VBD.VDI, Refs.NULL).set(vbd, VBD.EMPTY, true);
                    } else {
                        u.delete(VBD.XAPI_CLASS, vbd);
                    }
                });
            }
            for (String vm : data.where(VM.SUSPEND_VDI, vdi)) {
                u.expect(vm, VM.SUSPEND_VDI, vdi, null).set(vm, VM.SUSPEND_VDI, Refs.NULL);
            }
            data.apply(u.build());
        });
    }
}
