package org.xapijava.server.storage;

import java.nio.file.Path;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageDrivers;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.StorageMux;

/**
 * The server's way to storage: every SR and VDI operation goes through {@link Smapiv2} (a {@link StorageMux} over
 * the {@link StorageDrivers} this host has), addressed by SR ref and VDI {@code location}. An SR is attached in
 * the mux on first use, from this host's plugged PBD's {@code device_config} ({@code SR_HAS_NO_PBDS [sr]} without
 * one); an SR whose type has no driver here (udev, ISO, ...) answers {@code SR_OPERATION_NOT_SUPPORTED [sr]} to
 * VDI operations. Thread-safe.
 */
public final class StorageBackends {
    private final Db data;
    private final String hostRef;
    private final StorageDrivers drivers;
    private final Smapiv2 storage;

    public StorageBackends(Db data, String hostRef) {
        this(data, hostRef, StorageDrivers.standard());
    }

    public StorageBackends(Db data, String hostRef, StorageDrivers drivers) {
        this.data = data;
        this.hostRef = hostRef;
        this.drivers = drivers;
        this.storage = new StorageMux(drivers);
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

    /** Whether {@code sr} is of a type with a driver here (its PBD is not looked at). */
    public boolean hasBackend(Db db, String sr) {
        return drivers.get(db.get(sr, SR.TYPE)) != null;
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
        if (drivers.get(type) == null) throw new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
        Map<String, String> config = pluggedConfig(db, sr);
        try {
            storage.srAttach(StorageContext.of("SR.attach"), sr, type, config);
        } catch (StorageException e) {
            throw toApiError(e, sr, Refs.NULL);
        }
        return sr;
    }

    /** This host's plugged PBD's {@code device_config} for {@code sr} (with a location), or {@code SR_NO_PBDS}. */
    private Map<String, String> pluggedConfig(Db db, String sr) {
        String host = hostRef;
        java.util.List<String> pbds = db.get(sr, SR.PBDS);
        for (String pbd : pbds) {
            if (!host.equals(db.get(pbd, PBD.HOST))) continue;
            // Xapi looks at the first PBD of this host only
            if (!Boolean.TRUE.equals(db.get(pbd, PBD.CURRENTLY_ATTACHED))) break;
            Map<String, String> dc = db.get(pbd, PBD.DEVICE_CONFIG);
            String location = dc.get("location");
            if (location != null && !location.isEmpty()) return dc;
            break;
        }
        throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
    }

    /**
     * Attaches {@code vdi} on this host through a datapath of its own ({@code xapi/<vdi>}) and returns the local
     * path of its data: what a device model or the xenopsd simulator opens for a VBD.
     *
     * @throws ApiError {@code HANDLE_INVALID}, {@code SR_OPERATION_NOT_SUPPORTED}, {@code SR_NO_PBDS} or the
     *                  driver's failure
     */
    public Path attach(String vdi, boolean writable) {
        Db db = data;
        String sr = db.get(vdi, VDI.SR);
        String location = db.get(vdi, VDI.LOCATION);
        StorageContext ctx = StorageContext.of("VDI.attach");
        try {
            AttachInfo a = storage.vdiAttach(ctx, datapath(vdi), attached(db, sr), location, "", writable);
            storage.vdiActivate(ctx, datapath(vdi), sr, location, "", writable);
            return a.path();
        } catch (StorageException e) {
            throw toApiError(e, sr, vdi);
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

    private static String datapath(String vdi) {
        return "xapi/" + vdi;
    }

    /**
     * Writes the SR's totals ({@code physical_size}, {@code physical_utilisation},
     * {@code virtual_allocation}) from its driver, as the FileSR driver does after each VDI change.
     * Does nothing for SRs without a driver or when the SR is gone.
     */
    public void refreshSr(String sr) {
        Db db = data;
        if (!db.exists(SR.XAPI_CLASS, sr) || !hasBackend(db, sr)) return;
        SrStat st;
        try {
            st = storage.srStat(StorageContext.of("SR.stat"), attached(db, sr));
        } catch (StorageException e) {
            throw toApiError(e, sr, Refs.NULL);
        }
        Db.retrying(() -> data.version(SR.XAPI_CLASS, sr)
                .ifPresent(m -> data.apply(Update.builder()
                        .unchanged(SR.XAPI_CLASS, sr, m)
                        .set(sr, SR.PHYSICAL_SIZE, st.physicalSize())
                        .set(sr, SR.PHYSICAL_UTILISATION, st.physicalUtilisation())
                        .set(sr, SR.VIRTUAL_ALLOCATION, st.virtualAllocation())
                        .build())));
    }

    /**
     * The XenAPI error Xapi gives for a driver failure ({@code sm_exec.ml}): driver code 24 is
     * {@code VDI_IN_USE []}, 38 (unimplemented) {@code SR_OPERATION_NOT_SUPPORTED [sr]}, 144
     * {@code VDI_MISSING [sr, vdi]}, any other N {@code SR_BACKEND_FAILURE_N ["", fault, ""]}.
     */
    public static ApiError toApiError(StorageException e, String sr, String vdi) {
        return switch (e.error()) {
            case VDI_IN_USE -> new ApiError("VDI_IN_USE");
            case UNIMPLEMENTED -> new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
            case VDI_MISSING -> new ApiError("VDI_MISSING", sr, vdi);
            default -> new ApiError("SR_BACKEND_FAILURE_" + e.error().code(), "", e.faultString(), "");
        };
    }
}
