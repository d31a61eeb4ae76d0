package org.xapijava.server.storage;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.xapijava.db.DbReader;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.Services;
import org.xapijava.storage.FileSr;
import org.xapijava.storage.SrBackend;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.StorageException;

/**
 * Which SRs of this host have a storage backend, and the way from an SR or VDI ref to it. An SR has
 * one when its type has a backend here (today only {@code file}: {@link FileSr} on the directory of
 * its PBD's {@code device_config:location}); every other SR (udev, ISO, ...) answers
 * {@code SR_OPERATION_NOT_SUPPORTED [sr]} to VDI operations. Backends are made on first use and kept
 * per directory. Thread-safe.
 */
public final class StorageBackends {
    /** The SR types with a backend here, and how to open one on a PBD's location. */
    private static final Map<String, Function<Path, SrBackend>> TYPES = Map.of("file", FileSr::new);

    private final Services services;
    private final Map<Path, SrBackend> open = new ConcurrentHashMap<>();

    public StorageBackends(Services services) {
        this.services = services;
    }

    /** Whether {@code sr} is of a type with a backend here (its PBD is not looked at). */
    public boolean hasBackend(DbReader db, String sr) {
        return TYPES.containsKey((String) db.get("SR", sr, "type"));
    }

    /**
     * The backend of {@code sr}, checked as Xapi checks before a VDI operation.
     *
     * @throws ApiError {@code HANDLE_INVALID [SR, sr]}; {@code SR_OPERATION_NOT_SUPPORTED [sr]} for
     *                  an SR type without a backend; {@code SR_NO_PBDS [sr]} when this host has no
     *                  plugged PBD for it ({@code Sm.assert_pbd_is_plugged})
     */
    public SrBackend backendFor(DbReader db, String sr) {
        Function<Path, SrBackend> type = TYPES.get((String) db.get("SR", sr, "type"));
        if (type == null) throw new ApiError("SR_OPERATION_NOT_SUPPORTED", sr);
        String location = pluggedLocation(db, sr);
        Path dir = Path.of(location).toAbsolutePath().normalize();
        try {
            return open.computeIfAbsent(dir, type);
        } catch (StorageException e) {
            throw toApiError(e, sr, Refs.NULL);
        }
    }

    /** This host's plugged PBD's {@code device_config:location} for {@code sr}, or {@code SR_NO_PBDS}. */
    private String pluggedLocation(DbReader db, String sr) {
        String host = services.hostRef();
        @SuppressWarnings("unchecked")
        java.util.List<String> pbds = (java.util.List<String>) db.get("SR", sr, "PBDs");
        for (String pbd : pbds) {
            if (!host.equals(db.get("PBD", pbd, "host"))) continue;
            // Xapi looks at the first PBD of this host only
            if (!Boolean.TRUE.equals(db.get("PBD", pbd, "currently_attached"))) break;
            @SuppressWarnings("unchecked")
            Map<String, String> dc = (Map<String, String>) db.get("PBD", pbd, "device_config");
            String location = dc.get("location");
            if (location != null && !location.isEmpty()) return location;
            break;
        }
        throw new ApiError("SR_NO_PBDS", sr);
    }

    /** The backend of the SR holding {@code vdi}; see {@link #backendFor}. */
    public SrBackend backendOfVdi(DbReader db, String vdi) {
        return backendFor(db, (String) db.get("VDI", vdi, "SR"));
    }

    /**
     * Attaches {@code vdi} on this host and returns the local path of its data: what a device model
     * or the xenopsd simulator opens for a VBD.
     *
     * @throws ApiError {@code HANDLE_INVALID}, {@code SR_OPERATION_NOT_SUPPORTED}, {@code SR_NO_PBDS}
     *                  or the backend's failure
     */
    public Path attach(String vdi, boolean writable) {
        DbReader db = services.db().snapshot();
        String sr = (String) db.get("VDI", vdi, "SR");
        SrBackend b = backendFor(db, sr);
        try {
            return b.attach((String) db.get("VDI", vdi, "location"), writable);
        } catch (StorageException e) {
            throw toApiError(e, sr, vdi);
        }
    }

    /** Undoes {@link #attach}. */
    public void detach(String vdi) {
        DbReader db = services.db().snapshot();
        String sr = (String) db.get("VDI", vdi, "SR");
        try {
            backendFor(db, sr).detach((String) db.get("VDI", vdi, "location"));
        } catch (StorageException e) {
            throw toApiError(e, sr, vdi);
        }
    }

    /**
     * Writes the SR's totals ({@code physical_size}, {@code physical_utilisation},
     * {@code virtual_allocation}) from its backend, as the FileSR driver does after each VDI change.
     * Does nothing for SRs without a backend or when the SR is gone.
     */
    public void refreshSr(String sr) {
        DbReader db = services.db().snapshot();
        if (!db.exists("SR", sr) || !hasBackend(db, sr)) return;
        SrStat st;
        try {
            st = backendFor(db, sr).statSr();
        } catch (StorageException e) {
            throw toApiError(e, sr, Refs.NULL);
        }
        services.db().transact(tx -> {
            if (!tx.exists("SR", sr)) return;
            tx.set("SR", sr, "physical_size", st.physicalSize());
            tx.set("SR", sr, "physical_utilisation", st.physicalUtilisation());
            tx.set("SR", sr, "virtual_allocation", st.virtualAllocation());
        });
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
