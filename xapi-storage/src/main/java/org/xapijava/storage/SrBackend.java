package org.xapijava.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * One SR's storage, in the shape of SMAPIv2's VDI calls (Xapi's {@code storage_interface.ml}).
 * Locations are the backend's own keys ({@code VDI.location}); a location the backend does not
 * know, or one that would lead outside the SR, is refused with {@link SmError#VDI_UNAVAILABLE}.
 * Every method may throw {@link StorageException}. Implementations are thread-safe.
 */
public interface SrBackend {

    /** Creates a VDI as {@code request} asks and returns what was made (with its location). */
    VdiInfo create(VdiInfo request);

    /** Deletes a VDI; deleting one that no longer exists succeeds, as the SM drivers do. */
    void destroy(String location);

    /** A new, writable VDI with the same content as {@code location}; returns it. */
    VdiInfo clone(String location);

    /** A point-in-time copy of {@code location}, as a new VDI; returns it. */
    VdiInfo snapshot(String location);

    /** Grows a VDI to {@code newSize} bytes; returns the VDI as it is afterwards. */
    VdiInfo resize(String location, long newSize);

    /**
     * Replaces the content of the existing VDI {@code location} by the bytes of {@code source} (a file
     * or block device readable by this process); the VDI keeps its size if the source is smaller.
     */
    void copyInto(String location, Path source);

    /**
     * Makes the VDI available to this host and returns the local path of its data (a regular file or
     * a block device).
     */
    Path attach(String location, boolean writable);

    /** Undoes {@link #attach}. */
    void detach(String location);

    /** The VDI as it is now. */
    VdiInfo stat(String location);

    /** Every VDI of the SR. */
    List<VdiInfo> scan();

    /** The SR's totals. */
    SrStat statSr();
}
