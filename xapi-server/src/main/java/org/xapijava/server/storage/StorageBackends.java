package org.xapijava.server.storage;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.DirectImage;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;

/**
 * The server's way to storage: every SR and VDI operation goes through {@link Smapiv2} (the SMAPIv1 drivers of
 * this host, {@code org.xapijava.storage.smapiv1.Smapiv1Storage}), SRs named by uuid and VDIs by {@code location}
 * as SMAPIv2 names them. An SR is bound to its driver on first use, from this host's plugged PBD's
 * {@code device_config} ({@code SR_HAS_NO_PBDS [sr]} without one); an SR whose type has no driver here answers
 * {@code SR_OPERATION_NOT_SUPPORTED [sr]} to VDI operations. The drivers keep the SR's totals themselves. Thread-safe.
 */
public final class StorageBackends {
    private final Db data;
    private final String hostRef;
    private final Predicate<String> drivers;
    private final Smapiv2 storage;

    /**
     * @param data    this host's view of the database
     * @param hostRef this host
     * @param storage SMAPIv2 on this host (SRs named by uuid)
     * @param drivers whether an SR type has a storage driver here
     */
    public StorageBackends(Db data, String hostRef, Smapiv2 storage, Predicate<String> drivers) {
        this.data = data;
        this.hostRef = hostRef;
        this.drivers = drivers;
        this.storage = storage;
    }

    /** SMAPIv2 on this host. */
    public Smapiv2 storage() {
        return storage;
    }

    /** The storage context of a call: its label, task and session. */
    public static StorageContext context(CallContext ctx) {
        if (ctx == null) return StorageContext.of("xapi");
        return new StorageContext(
                ctx.label(),
                ctx.taskRef() == null ? Refs.NULL : ctx.taskRef(),
                ctx.sessionRef() == null ? Refs.NULL : ctx.sessionRef());
    }

    /** The VDI of {@code sr} at {@code location} (unique in its SR: {@code LOCATION_NOT_UNIQUE}), or null. */
    public static String vdiAt(Db data, String sr, String location) {
        for (String vdi : data.where(VDI.LOCATION, location)) {
            if (sr.equals(data.get(vdi, VDI.SR))) return vdi;
        }
        return null;
    }

    /** Whether SR type {@code type} has a driver here. */
    public boolean hasDriver(String type) {
        return drivers.test(type);
    }

    /** Whether {@code sr} is of a type with a driver here (its PBD is not looked at). */
    public boolean hasBackend(Db db, String sr) {
        return drivers.test(db.get(sr, SR.TYPE));
    }

    /**
     * Makes sure {@code sr} is attached in {@link #storage()}, checked as Xapi checks before a VDI operation, and
     * returns it.
     *
     * @throws ApiError {@code HANDLE_INVALID [SR, sr]}; {@code SR_OPERATION_NOT_SUPPORTED [sr]} for an SR type
     *                  without a driver; {@code SR_HAS_NO_PBDS [sr]} when this host has no plugged PBD for it
     *                  ({@code Sm.assert_pbd_is_plugged}); the driver's failure to open it
     */
    public String attached(Db db, String sr) {
        String type = db.get(sr, SR.TYPE);
        if (!drivers.test(type)) throw new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
        Map<String, String> config = pluggedConfig(db, sr);
        String uuid = db.get(sr, SR.UUID);
        try {
            storage.srAttach(StorageContext.of("SR.attach"), uuid, type, config);
        } catch (StorageException e) {
            throw toApiError(e, sr, Refs.NULL);
        }
        return uuid;
    }

    /** This host's plugged PBD's {@code device_config} for {@code sr}, or {@code SR_HAS_NO_PBDS}. */
    private Map<String, String> pluggedConfig(Db db, String sr) {
        String host = hostRef;
        java.util.List<String> pbds = db.get(sr, SR.PBDS);
        for (String pbd : pbds) {
            if (!host.equals(db.get(pbd, PBD.HOST))) continue;
            // Xapi looks at the first PBD of this host only
            if (!Boolean.TRUE.equals(db.get(pbd, PBD.CURRENTLY_ATTACHED))) break;
            return db.get(pbd, PBD.DEVICE_CONFIG);
        }
        throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
    }

    /**
     * Attaches {@code vdi} on this host through a datapath of its own ({@code xapi/<vdi>}) and returns the local
     * path of its data: what a device model or the xenopsd simulator opens for a VBD; null when the driver gave no
     * {@code params} (a {@code params_nbd}-only attach, as xapi-project/sm drivers answer).
     *
     * @throws ApiError {@code HANDLE_INVALID}, {@code SR_OPERATION_NOT_SUPPORTED}, {@code SR_NO_PBDS} or the
     *                  driver's failure
     */
    public Path attach(String vdi, boolean writable) {
        return attach(vdi, writable, datapath(vdi));
    }

    /**
     * {@link #attach(String, boolean)} through the datapath {@code dp} (a transfer's own, so that two transfers of a
     * VDI do not share one); undone by {@link #destroyDatapath}.
     */
    public Path attach(String vdi, boolean writable, String dp) {
        Db db = data;
        String sr = db.get(vdi, VDI.SR);
        String location = db.get(vdi, VDI.LOCATION);
        StorageContext ctx = StorageContext.of("VDI.attach");
        try {
            String srId = attached(db, sr);
            AttachInfo a = storage.vdiAttach(ctx, dp, srId, location, "", writable);
            storage.vdiActivate(ctx, dp, srId, location, "", writable);
            return a.path();
        } catch (StorageException e) {
            throw toApiError(e, sr, vdi);
        }
    }

    /**
     * {@code vdi}'s image to be read directly on this host instead of through a datapath, held against a read-write
     * attach until closed ({@link Smapiv2#vdiOpenDirect}); null when it cannot be: an SR another host may attach from
     * ({@code shared}, or an activation tag {@code host_<ref>} of another host in the VDI's {@code sm_config}), an SR
     * this host has not plugged, a driver whose images xapi does not know, a VDI attached read-write here.
     */
    public DirectImage openDirect(String vdi) {
        Db db = data;
        String sr = db.get(vdi, VDI.SR);
        if (db.get(sr, SR.SHARED)) return null;
        for (String key : db.get(vdi, VDI.SM_CONFIG).keySet()) {
            if (key.startsWith("host_") && !key.equals("host_" + hostRef)) return null;
        }
        try {
            String srId = attached(db, sr);
            return storage.vdiOpenDirect(
                    StorageContext.of("VDI.open_direct"), srId, db.get(vdi, VDI.LOCATION), pluggedConfig(db, sr));
        } catch (StorageException | ApiError e) {
            return null; // the datapath gives the caller the precise error
        }
    }

    /** Undoes {@link #attach}. */
    public void detach(String vdi) {
        try {
            storage.dpDestroy(StorageContext.of("VDI.detach"), datapath(vdi));
        } catch (StorageException e) {
            throw toApiError(e, Refs.NULL, vdi);
        }
    }

    /** Destroys datapath {@code dp} (what {@link #attach(String, boolean, String)} made): deactivated, detached. */
    public void destroyDatapath(String dp) {
        try {
            storage.dpDestroy(StorageContext.of("DP.destroy"), dp);
        } catch (StorageException e) {
            throw toApiError(e, Refs.NULL, Refs.NULL);
        }
    }

    private static String datapath(String vdi) {
        return "xapi/" + vdi;
    }

    /**
     * The XenAPI error Xapi gives for a driver failure ({@code sm_exec.ml}): driver code 24 is
     * {@code VDI_IN_USE []}, 38 (unimplemented) {@code SR_OPERATION_NOT_SUPPORTED [sr]}, 144
     * {@code VDI_MISSING [sr, vdi]}, any other N {@code SR_BACKEND_FAILURE_N ["", fault, ""]}.
     */
    public static ApiError toApiError(StorageException e, String sr, String vdi) {
        ApiError exact = e.xapiError();
        if (exact != null) return exact;
        return switch (e.error()) {
            case VDI_IN_USE -> new ApiError("VDI_IN_USE");
            case UNIMPLEMENTED -> new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
            case VDI_MISSING -> new ApiError("VDI_MISSING", sr, vdi);
            default -> new ApiError("SR_BACKEND_FAILURE_" + e.error().code(), "", e.faultString(), "");
        };
    }
}
