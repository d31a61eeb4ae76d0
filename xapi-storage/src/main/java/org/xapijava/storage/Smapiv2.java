package org.xapijava.storage;

import java.util.List;
import java.util.Map;

/**
 * The server's only way to storage: SMAPIv2 as Xapi's {@code storage_interface.ml} declares it, reduced to the
 * calls this project makes. SRs are named by uuid ({@code sr}), VDIs by their location inside their SR
 * ({@code vdi}, Xapi's {@code VDI.location}), datapaths by the name their user gives ({@code dp}, e.g.
 * {@code vbd/<domid>/<device>}). Every call takes a {@link StorageContext}. Errors are
 * {@link StorageException}s carrying the driver's error. Implementations are thread-safe.
 *
 * <p>The calls with a default body came with the SMAPIv1 stack (issue 12); a backend that cannot do one answers
 * {@link SmError#UNIMPLEMENTED}, which the server reports as Xapi does for a driver without the capability.
 */
public interface Smapiv2 {

    private static StorageException unimplemented(String call) {
        return new StorageException(SmError.UNIMPLEMENTED, call);
    }

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

    /**
     * {@code SR.create}: creates the SR's storage (the SR record and its PBDs exist already, as in Xapi) and returns
     * the device_config to keep in its PBDs.
     */
    default Map<String, String> srCreate(
            StorageContext ctx,
            String sr,
            String type,
            String nameLabel,
            String nameDescription,
            Map<String, String> deviceConfig,
            long physicalSize) {
        throw unimplemented("SR.create");
    }

    /** {@code SR.destroy}: deletes the SR's storage (every datapath of it is torn down first); it is then unbound. */
    default void srDestroy(StorageContext ctx, String sr) {
        throw unimplemented("SR.destroy");
    }

    /**
     * {@code SR.probe} of an SR of {@code type}: what storage {@code deviceConfig} leads to, as the driver's raw XML
     * ({@code Raw} of SMAPIv2).
     */
    default String srProbe(
            StorageContext ctx, String type, Map<String, String> deviceConfig, Map<String, String> smConfig) {
        throw unimplemented("SR.probe");
    }

    /** {@code SR.update}: the driver refreshes the SR's totals in the database. */
    default void srUpdate(StorageContext ctx, String sr) {
        throw unimplemented("SR.update");
    }

    // ------------------------------------------------------------------ VDI

    /** {@code VDI.snapshot} with the caller's driver parameters. */
    default VdiInfo vdiSnapshot(StorageContext ctx, String sr, String vdi, Map<String, String> driverParams) {
        if (!driverParams.isEmpty()) throw unimplemented("VDI.snapshot with driver_params");
        return vdiSnapshot(ctx, sr, vdi);
    }

    /** {@code VDI.clone} with the caller's driver parameters. */
    default VdiInfo vdiClone(StorageContext ctx, String sr, String vdi, Map<String, String> driverParams) {
        if (!driverParams.isEmpty()) throw unimplemented("VDI.clone with driver_params");
        return vdiClone(ctx, sr, vdi);
    }

    /** {@code VDI.introduce}: makes the driver know the storage at {@code location} as a VDI with {@code uuid}. */
    default VdiInfo vdiIntroduce(
            StorageContext ctx, String sr, String uuid, Map<String, String> smConfig, String location) {
        throw unimplemented("VDI.introduce");
    }

    /** {@code VDI.epoch_begin}: a VM starts using the VDI ({@code persistent} false: its writes are dropped after). */
    default void vdiEpochBegin(StorageContext ctx, String sr, String vdi, String vm, boolean persistent) {
        throw unimplemented("VDI.epoch_begin");
    }

    /** {@code VDI.epoch_end}: the VM stopped using the VDI. */
    default void vdiEpochEnd(StorageContext ctx, String sr, String vdi, String vm) {
        throw unimplemented("VDI.epoch_end");
    }

    /** {@code VDI.set_persistent}: false makes the driver reset the VDI's content at its next epoch. */
    default void vdiSetPersistent(StorageContext ctx, String sr, String vdi, boolean persistent) {
        throw unimplemented("VDI.set_persistent");
    }

    /** {@code VDI.compose}: {@code vdi2}'s differences are put on top of {@code vdi1}. */
    default void vdiCompose(StorageContext ctx, String sr, String vdi1, String vdi2) {
        throw unimplemented("VDI.compose");
    }

    /** {@code VDI.similar_content}: VDIs of the SR with content like {@code vdi}'s, nearest first. */
    default List<VdiInfo> vdiSimilarContent(StorageContext ctx, String sr, String vdi) {
        throw unimplemented("VDI.similar_content");
    }

    /** {@code VDI.revert}: {@code vdi} gets the content of its snapshot {@code snapshot}. */
    default void vdiRevert(StorageContext ctx, String sr, String snapshot, String vdi) {
        throw unimplemented("VDI.revert");
    }

    /** {@code VDI.generate_config}: what attaches the VDI without xapi (the driver's string, as it is). */
    default String vdiGenerateConfig(StorageContext ctx, String sr, String vdi) {
        throw unimplemented("VDI.generate_config");
    }

    /** The SMAPIv2 calls on a VDI's changed block tracking. */
    enum CbtCall {
        /** {@code VDI.enable_cbt} */
        ENABLE,
        /** {@code VDI.disable_cbt} */
        DISABLE,
        /** {@code VDI.data_destroy}: the data goes, the CBT metadata stays */
        DATA_DESTROY
    }

    /** {@code VDI.enable_cbt}, {@code VDI.disable_cbt} or {@code VDI.data_destroy}. */
    default void vdiCbt(StorageContext ctx, String sr, String vdi, CbtCall call) {
        throw unimplemented("VDI." + call.name().toLowerCase(java.util.Locale.ROOT));
    }

    /** {@code VDI.list_changed_blocks}: the blocks that differ between two VDIs, as the driver encodes them. */
    default String vdiListChangedBlocks(StorageContext ctx, String sr, String vdiFrom, String vdiTo) {
        throw unimplemented("VDI.list_changed_blocks");
    }

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

    /**
     * {@code DP.destroy2} with Xapi's {@code allow_leak}: when a teardown step fails and {@code allowLeak} is true the
     * datapath is forgotten anyway; when false it stays (as leaked) and the failure is raised.
     */
    default void dpDestroy(StorageContext ctx, String dp, boolean allowLeak) {
        dpDestroy(ctx, dp);
    }

    /** {@code DP.create}: names a datapath; returns {@code id} (datapaths exist by being used). */
    default String dpCreate(StorageContext ctx, String id) {
        return id;
    }

    /** {@code DP.diagnostics}: a human-readable dump of the datapaths' state. */
    default String dpDiagnostics(StorageContext ctx) {
        throw unimplemented("DP.diagnostics");
    }

    /** The datapaths that hold the VDI attached (for {@code VDI_IN_USE} checks and diagnostics). */
    List<String> dpsOf(String sr, String vdi);

    /**
     * {@code DP.stat_vdi}: the state of each datapath holding the VDI on this host (none: detached); the VDI's
     * superstate is {@link DpState#superstate} of the values.
     */
    default Map<String, DpState> dpStatVdi(String sr, String vdi) {
        Map<String, DpState> m = new java.util.LinkedHashMap<>();
        for (String dp : dpsOf(sr, vdi)) m.put(dp, DpState.attached(false));
        return m;
    }

    /**
     * Whether a datapath of this host has the VDI attached read-write, or may have (a datapath whose teardown failed
     * is counted): what decides whether its image may be read directly ({@link #vdiOpenDirect}). A backend that
     * cannot tell answers true.
     */
    default boolean vdiAttachedReadWrite(String sr, String vdi) {
        return true;
    }

    /**
     * The VDI's image file, to be read directly (an export reading a qcow2 chain itself instead of through a
     * datapath), or null when that is not possible: a backend whose images are not files it knows, a VDI attached
     * read-write on this host ({@link #vdiAttachedReadWrite}). Until the answer is closed, a read-write attach of the
     * VDI on this host is refused as it is while a datapath has it attached read-only, and delete, resize and
     * revert of the VDI, detach and destroy of its SR are refused with {@link SmError#VDI_IN_USE}. Other hosts are not covered: the caller checks that no
     * other host can attach the VDI (a local SR).
     *
     * @param deviceConfig the SR's {@code device_config} on this host (its plugged PBD's)
     */
    default DirectImage vdiOpenDirect(StorageContext ctx, String sr, String vdi, Map<String, String> deviceConfig) {
        return null;
    }

    /** {@code SR.list}: the SRs attached on this host, by uuid. */
    default java.util.Set<String> srList() {
        return java.util.Set.of();
    }

    // ------------------------------------------------------------------ data

    /**
     * {@code DATA.copy_into}: the content of {@code vdi} of {@code sr} becomes the content of {@code destVdi} of
     * {@code destSr} (the destination keeps its size when the source is smaller), through temporary datapaths.
     */
    void dataCopyInto(StorageContext ctx, String sr, String vdi, String destSr, String destVdi);

    /**
     * {@code DATA.MIRROR.start} on this host: the content of {@code vdi}, activated read-write here by a running VM,
     * starts being copied into {@code target} (the local path of the destination VDI's own datapath, of the same
     * size) as it is at this instant, and the writes made from now on are counted, to be copied by
     * {@link #dataMirrorSync} rounds and by the last round, which runs when the VM's datapath deactivates the VDI
     * (its guest then stopped: xenopsd's switch to the destination). Drivers without {@code VDI_MIRROR} answer
     * {@link SmError#UNIMPLEMENTED}.
     */
    default void dataMirrorStart(StorageContext ctx, String sr, String vdi, java.nio.file.Path target) {
        throw unimplemented("DATA.MIRROR.start");
    }

    /** Waits up to {@code timeout} for the first copy of {@link #dataMirrorStart}; says where it stands. */
    default MirrorState dataMirrorWait(StorageContext ctx, String sr, String vdi, java.time.Duration timeout) {
        throw unimplemented("DATA.MIRROR.stat");
    }

    /** One round copying the writes made since the last one, waited for up to {@code timeout}. */
    default MirrorState dataMirrorSync(StorageContext ctx, String sr, String vdi, java.time.Duration timeout) {
        throw unimplemented("DATA.MIRROR.stat");
    }

    /**
     * How the mirror of {@code vdi} ended when its datapath was deactivated ({@link MirrorState#COPIED}: the
     * destination holds every byte; {@link MirrorState#FAILED}), or {@link MirrorState#NONE} while it runs or when
     * there is none; the record is forgotten by {@link #dataMirrorStop}.
     */
    default MirrorState dataMirrorOutcome(String sr, String vdi) {
        return new MirrorState(MirrorState.NONE, 0, 0, 0, "");
    }

    /** {@code DATA.MIRROR.stop}: the mirror of {@code vdi} abandoned (or its record forgotten); idempotent. */
    default void dataMirrorStop(StorageContext ctx, String sr, String vdi) {
        throw unimplemented("DATA.MIRROR.stop");
    }
}
