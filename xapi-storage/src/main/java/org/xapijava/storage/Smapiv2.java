package org.xapijava.storage;

import java.util.List;
import java.util.Map;

/**
 * The server's only way to storage: SMAPIv2 as Xapi's {@code storage_interface.ml} declares it, reduced to the
 * calls this project makes. SRs are named by uuid ({@code sr}), VDIs by their location inside their SR
 * ({@code vdi}, Xapi's {@code VDI.location}), datapaths by the name their user gives ({@code dp}, e.g.
 * {@code vbd/<domid>/<device>}). Every call takes a {@link StorageContext}. Errors are
 * {@link StorageException}s carrying the driver's error. Implementations are thread-safe.
 */
public interface Smapiv2 {

    // ------------------------------------------------------------------ SR

    /** {@code SR.attach}: makes the SR usable on this host with its PBD's configuration (idempotent). */
    void srAttach(StorageContext ctx, String sr, String type, Map<String, String> deviceConfig);

    /** {@code SR.detach}: the SR is no longer used here; refused while a VDI of it is attached. */
    void srDetach(StorageContext ctx, String sr);

    /** Whether the SR is attached on this host. */
    boolean srAttached(String sr);

    /** {@code SR.stat}: the SR's totals. */
    SrStat srStat(StorageContext ctx, String sr);

    /** {@code SR.scan}: every VDI of the SR. */
    List<VdiInfo> srScan(StorageContext ctx, String sr);

    // ------------------------------------------------------------------ VDI

    VdiInfo vdiCreate(StorageContext ctx, String sr, VdiInfo request);

    void vdiDestroy(StorageContext ctx, String sr, String vdi);

    VdiInfo vdiClone(StorageContext ctx, String sr, String vdi);

    VdiInfo vdiSnapshot(StorageContext ctx, String sr, String vdi);

    VdiInfo vdiResize(StorageContext ctx, String sr, String vdi, long newSize);

    VdiInfo vdiStat(StorageContext ctx, String sr, String vdi);

    // ------------------------------------------------------------------ datapaths

    /**
     * {@code VDI.attach3}: datapath {@code dp} attaches the VDI for {@code vm}; attaching again from the same
     * datapath is allowed and returns the same information.
     */
    AttachInfo vdiAttach(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite);

    /** {@code VDI.activate3}: the datapath starts doing I/O; a VDI is active read-write on one datapath only. */
    void vdiActivate(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite);

    /** {@code VDI.deactivate}: the datapath stops doing I/O (idempotent). */
    void vdiDeactivate(StorageContext ctx, String dp, String sr, String vdi, String vm);

    /** {@code VDI.detach}: the datapath no longer needs the VDI (idempotent; deactivates first). */
    void vdiDetach(StorageContext ctx, String dp, String sr, String vdi, String vm);

    /** {@code DP.destroy2}: deactivates and detaches everything {@code dp} holds. */
    void dpDestroy(StorageContext ctx, String dp);

    /** The datapaths that hold the VDI attached (for {@code VDI_IN_USE} checks and diagnostics). */
    List<String> dpsOf(String sr, String vdi);

    // ------------------------------------------------------------------ data

    /**
     * {@code DATA.copy_into}: the content of {@code vdi} of {@code sr} becomes the content of {@code destVdi} of
     * {@code destSr} (the destination keeps its size when the source is smaller), through temporary datapaths.
     */
    void dataCopyInto(StorageContext ctx, String sr, String vdi, String destSr, String destVdi);
}
