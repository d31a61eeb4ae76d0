package org.xapijava.storage.smapiv1;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.DirectImage;
import org.xapijava.storage.DpState;
import org.xapijava.storage.MirrorState;
import org.xapijava.storage.SmError;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.VdiInfo;
import org.xapijava.storage.smapiv1.Smapiv1Adapter.Target;
import org.xapijava.storage.smapiv1.VdiAutomaton.Op;
import org.xapijava.storage.smapiv1.VdiAutomaton.State;

/**
 * {@link Smapiv2} served by SMAPIv1 driver executables, as Xapi's {@code storage_smapiv1.ml} (the v2→v1 adapter)
 * under {@code storage_smapiv1_wrapper.ml} (the datapath state wrapper). SRs are bound to their type's driver by
 * {@link #srAttach}; every driver call gets the PBD's device_config with {@code SRmaster}, a fresh
 * {@code __sm__backend} session from the {@link Smapiv1Host}, and the task as {@code subtask_of}. Drivers keep the
 * database themselves; results ({@code vdi_info}) are re-read from the host after the call.
 *
 * <p>Datapaths ({@link Smapiv1Datapaths}, the wrapper's part): each VDI's datapaths have a {@link State}; a request
 * moves one datapath, and only the backend operations that the VDI's superstate change needs are run ({@link
 * VdiAutomaton}). A read-only attach cannot become read-write, activation needs an attach, detach needs a
 * deactivation. A failed step leaves the datapath where it failed; a datapath whose teardown failed is remembered as
 * leaked and torn down again before the next attach or epoch. The state is written to {@code <stateDir>/storage.db}
 * after each change and read back at construction. Locks: one read/write lock per SR (SR attach, detach and destroy
 * take it exclusively), one lock per VDI.
 */
public final class Smapiv1Storage implements Smapiv2 {
    private static final String EPOCH = "19700101T00:00:00Z";

    private final Smapiv1Executor executor;
    private final Smapiv1Host host;
    private final Smapiv1Adapter adapter;
    private final Smapiv1VdiCalls vdiCalls;
    private final Map<String, DriverInfo> drivers = new ConcurrentHashMap<>();
    private final Smapiv1Mirror mirror;
    private final Smapiv1Datapaths datapaths;

    /**
     * @param executor runs the drivers
     * @param host     the database and sessions
     * @param drivers  the SMAPIv1 drivers found ({@link DriverDiscovery}), by their {@link DriverInfo#type()}
     * @param stateDir where {@code storage.db} lives (Xapi: {@code /var/run/nonpersistent/xapi})
     */
    public Smapiv1Storage(Smapiv1Executor executor, Smapiv1Host host, Collection<DriverInfo> drivers, Path stateDir) {
        this.executor = executor;
        this.host = host;
        this.adapter = new Smapiv1Adapter(executor, host);
        this.vdiCalls = new Smapiv1VdiCalls(adapter, host);
        setDrivers(drivers);
        this.mirror = new Smapiv1Mirror(executor.config().xapiSocket());
        this.datapaths = new Smapiv1Datapaths(adapter, host, this::driverOrFail, stateDir, mirror);
    }

    /** Replaces the known drivers (after a new discovery). */
    public void setDrivers(Collection<DriverInfo> found) {
        Map<String, DriverInfo> m = new HashMap<>();
        for (DriverInfo d : found) m.put(d.type(), d);
        drivers.keySet().retainAll(m.keySet());
        drivers.putAll(m);
    }

    /** The driver of SR type {@code type}, or null. */
    public DriverInfo driver(String type) {
        return drivers.get(type);
    }

    /** The SR types that have a driver. */
    public Set<String> types() {
        return Set.copyOf(drivers.keySet());
    }

    /** The SRs bound here (attached), with their type: what a restarted server finds in the state file. */
    public Map<String, String> attachedSrs() {
        return datapaths.attachedSrs();
    }

    /** The datapaths of a VDI with their states. */
    public Map<String, State> dpStates(String sr, String vdi) {
        return datapaths.dpStates(sr, vdi);
    }

    /** The datapaths of a VDI whose teardown failed. */
    public List<String> leaked(String sr, String vdi) {
        return datapaths.leaked(sr, vdi);
    }

    // ------------------------------------------------------------------ plumbing

    private DriverInfo driverOrFail(String type) {
        DriverInfo d = drivers.get(type);
        if (d == null) throw StorageException.xapi(SmError.SR_UNAVAILABLE, "SR_UNKNOWN_DRIVER", List.of(type));
        return d;
    }

    private Target target(String sr) {
        return datapaths.target(sr);
    }

    // ------------------------------------------------------------------ SR

    @Override
    public Map<String, String> srCreate(
            StorageContext ctx,
            String sr,
            String type,
            String nameLabel,
            String nameDescription,
            Map<String, String> deviceConfig,
            long physicalSize) {
        DriverInfo d = driverOrFail(type);
        String ref = adapter.srRefOrFail(sr);
        Smapiv1Call c = Smapiv1Call.builder(host.hostRef(), "sr_create", List.of(Long.toString(physicalSize)))
                .deviceConfig(adapter.deviceConfig(deviceConfig, true))
                .sr(ref, sr)
                .subtaskOf(Smapiv1Adapter.subtask(ctx))
                .localCacheSr(host.localCacheSrUuid())
                .build();
        adapter.exec(d, c, ref);
        Map<String, String> out = new LinkedHashMap<>(deviceConfig);
        out.remove("SRmaster");
        return out;
    }

    @Override
    public void srAttach(StorageContext ctx, String sr, String type, Map<String, String> deviceConfig) {
        DriverInfo d = driverOrFail(type);
        datapaths.bindSr(sr, type, () -> {
            String ref = adapter.srRefOrFail(sr);
            Smapiv1Call c = Smapiv1Call.builder(host.hostRef(), "sr_attach", List.of())
                    .deviceConfig(adapter.deviceConfig(deviceConfig, host.isSrMaster(ref)))
                    .sr(ref, sr)
                    .subtaskOf(Smapiv1Adapter.subtask(ctx))
                    .localCacheSr(host.localCacheSrUuid())
                    .build();
            adapter.exec(d, c, ref);
        });
    }

    @Override
    public void srDetach(StorageContext ctx, String sr) {
        detachOrDestroy(ctx, sr, "sr_detach");
    }

    @Override
    public void srDestroy(StorageContext ctx, String sr) {
        detachOrDestroy(ctx, sr, "sr_delete");
    }

    /** Tears down every datapath of the SR (all VDI locks held), then runs {@code command} and unbinds the SR. */
    private void detachOrDestroy(StorageContext ctx, String sr, String command) {
        datapaths.unbindSr(
                ctx,
                sr,
                t -> adapter.exec(t, adapter.call(ctx, t, command, List.of()).build()));
    }

    @Override
    public boolean srAttached(String sr) {
        return datapaths.srAttached(sr);
    }

    @Override
    public String srProbe(
            StorageContext ctx, String type, Map<String, String> deviceConfig, Map<String, String> smConfig) {
        DriverInfo d = driverOrFail(type);
        if (!d.has("SR_PROBE")) {
            throw StorageException.xapi(
                    SmError.UNIMPLEMENTED,
                    "SR_BACKEND_FAILURE",
                    List.of("Operation 'sr_probe' not supported by this SR type", "", ""));
        }
        Smapiv1Call c = Smapiv1Call.builder(host.hostRef(), "sr_probe", List.of())
                .deviceConfig(adapter.deviceConfig(deviceConfig, true))
                .srSmConfig(smConfig)
                .subtaskOf(Smapiv1Adapter.subtask(ctx))
                .localCacheSr(host.localCacheSrUuid())
                .build();
        Object r = adapter.exec(d, c, null);
        if (!(r instanceof String s)) throw Smapiv1Adapter.parseFailure(r, "expected a string");
        return s;
    }

    @Override
    public void srUpdate(StorageContext ctx, String sr) {
        Target t = target(sr);
        adapter.exec(t, adapter.call(ctx, t, "sr_update", List.of()).build());
    }

    @Override
    public SrStat srStat(StorageContext ctx, String sr) {
        Target t = target(sr);
        adapter.exec(t, adapter.call(ctx, t, "sr_update", List.of()).build());
        return host.srTotals(t.srRef());
    }

    @Override
    public List<VdiInfo> srScan(StorageContext ctx, String sr) {
        Target t = target(sr);
        adapter.exec(t, adapter.call(ctx, t, "sr_scan", List.of()).build());
        return host.vdis(t.srRef());
    }

    // ------------------------------------------------------------------ VDI

    @Override
    public VdiInfo vdiCreate(StorageContext ctx, String sr, VdiInfo request) {
        Target t = target(sr);
        Smapiv1Call.Builder b = adapter.call(
                        ctx,
                        t,
                        "vdi_create",
                        List.of(
                                Long.toUnsignedString(request.virtualSize()),
                                request.nameLabel(),
                                request.nameDescription(),
                                "",
                                "false",
                                EPOCH,
                                "",
                                Boolean.toString(request.readOnly())))
                .vdiType(request.type())
                .vdiSmConfig(request.smConfig());
        if (!request.uuid().isEmpty()) b.vdiUuid(request.uuid());
        return adapter.reread(t, Smapiv1Adapter.location(adapter.exec(t, b.build())));
    }

    @Override
    public void vdiDestroy(StorageContext ctx, String sr, String vdi) {
        datapaths.withVdi(sr, vdi, t -> {
            datapaths.directReaders.refuseWhileHeld(sr, vdi);
            datapaths.removeDatapaths(ctx, t, vdi, false);
            adapter.exec(
                    t,
                    adapter.vdiCall(ctx, t, "vdi_delete", List.of(), adapter.vdiRefOrFail(t, vdi))
                            .build());
            datapaths.forgetVdi(sr, vdi);
            return null;
        });
    }

    @Override
    public VdiInfo vdiSnapshot(StorageContext ctx, String sr, String vdi) {
        return vdiSnapshot(ctx, sr, vdi, Map.of());
    }

    @Override
    public VdiInfo vdiClone(StorageContext ctx, String sr, String vdi) {
        return vdiClone(ctx, sr, vdi, Map.of());
    }

    @Override
    public VdiInfo vdiSnapshot(StorageContext ctx, String sr, String vdi, Map<String, String> driverParams) {
        return snapshotOrClone(ctx, sr, vdi, "vdi_snapshot", driverParams);
    }

    @Override
    public VdiInfo vdiClone(StorageContext ctx, String sr, String vdi, Map<String, String> driverParams) {
        return snapshotOrClone(ctx, sr, vdi, "vdi_clone", driverParams);
    }

    /**
     * Runs {@code vdi_snapshot}/{@code vdi_clone}, copies the source's {@code content_id} to the new VDI and runs
     * {@code vdi_update} on it when the driver has VDI_UPDATE. (Xapi also sets the new VDI's names, snapshot time
     * and is_a_snapshot here; the server does, as it holds them.)
     */
    private VdiInfo snapshotOrClone(
            StorageContext ctx, String sr, String vdi, String command, Map<String, String> driverParams) {
        Target t = target(sr);
        String src = adapter.vdiRefOrFail(t, vdi);
        String loc = Smapiv1Adapter.location(adapter.exec(
                t,
                adapter.vdiCall(ctx, t, command, List.of(), src)
                        .driverParams(driverParams)
                        .build()));
        String made = adapter.vdiRefOrFail(t, loc);
        String contentId = host.contentId(src);
        if (contentId != null) host.setContentId(made, contentId);
        if (t.driver().has("VDI_UPDATE"))
            adapter.exec(
                    t, adapter.vdiCall(ctx, t, "vdi_update", List.of(), made).build());
        return adapter.reread(t, loc);
    }

    @Override
    public VdiInfo vdiResize(StorageContext ctx, String sr, String vdi, long newSize) {
        return datapaths.withVdi(sr, vdi, t -> {
            datapaths.directReaders.refuseWhileHeld(sr, vdi);
            String ref = adapter.vdiRefOrFail(t, vdi);
            String loc = Smapiv1Adapter.location(adapter.exec(
                    t,
                    adapter.vdiCall(ctx, t, "vdi_resize", List.of(Long.toUnsignedString(newSize)), ref)
                            .build()));
            return adapter.reread(t, loc);
        });
    }

    @Override
    public VdiInfo vdiStat(StorageContext ctx, String sr, String vdi) {
        return vdiCalls.stat(ctx, target(sr), vdi);
    }

    @Override
    public void vdiEpochBegin(StorageContext ctx, String sr, String vdi, String vm, boolean persistent) {
        datapaths.withVdi(sr, vdi, t -> {
            datapaths.removeDatapaths(ctx, t, vdi, true);
            adapter.exec(
                    t,
                    adapter.vdiCall(ctx, t, "vdi_epoch_begin", List.of(), adapter.vdiRefOrFail(t, vdi))
                            .build());
            return null;
        });
    }

    @Override
    public void vdiEpochEnd(StorageContext ctx, String sr, String vdi, String vm) {
        datapaths.withVdi(sr, vdi, t -> {
            adapter.exec(
                    t,
                    adapter.vdiCall(ctx, t, "vdi_epoch_end", List.of(), adapter.vdiRefOrFail(t, vdi))
                            .build());
            return null;
        });
    }

    @Override
    public VdiInfo vdiIntroduce(
            StorageContext ctx, String sr, String uuid, Map<String, String> smConfig, String location) {
        return vdiCalls.introduce(ctx, target(sr), uuid, smConfig, location);
    }

    @Override
    public void vdiSetPersistent(StorageContext ctx, String sr, String vdi, boolean persistent) {
        if (!persistent) vdiCalls.makeNonPersistent(ctx, target(sr), vdi);
    }

    @Override
    public void vdiCompose(StorageContext ctx, String sr, String vdi1, String vdi2) {
        vdiCalls.compose(ctx, target(sr), vdi1, vdi2);
    }

    @Override
    public void vdiRevert(StorageContext ctx, String sr, String snapshot, String vdi) {
        datapaths.withVdi(sr, vdi, t -> {
            datapaths.directReaders.refuseWhileHeld(sr, vdi);
            vdiCalls.revert(ctx, t, snapshot, vdi);
            return null;
        });
    }

    @Override
    public List<VdiInfo> vdiSimilarContent(StorageContext ctx, String sr, String vdi) {
        return adapter.similarContent(target(sr), vdi);
    }

    @Override
    public String vdiGenerateConfig(StorageContext ctx, String sr, String vdi) {
        return vdiCalls.generateConfig(ctx, target(sr), vdi);
    }

    @Override
    public void vdiCbt(StorageContext ctx, String sr, String vdi, CbtCall call) {
        vdiCalls.cbt(ctx, target(sr), vdi, call);
    }

    @Override
    public String vdiListChangedBlocks(StorageContext ctx, String sr, String vdiFrom, String vdiTo) {
        return vdiCalls.listChangedBlocks(ctx, target(sr), vdiFrom, vdiTo);
    }

    // ------------------------------------------------------------------ data

    /** {@code DATA.copy_into}: {@link DataCopy#copyInto}. */
    @Override
    public void dataCopyInto(StorageContext ctx, String sr, String vdi, String destSr, String destVdi) {
        DataCopy.copyInto(this, ctx, sr, vdi, destSr, destVdi);
    }

    @Override
    public void dataMirrorStart(StorageContext ctx, String sr, String vdi, Path target) {
        datapaths.withVdi(sr, vdi, t -> {
            mirror.start(t, vdi, target);
            return null;
        });
    }

    @Override
    public MirrorState dataMirrorWait(StorageContext ctx, String sr, String vdi, Duration timeout) {
        return mirror.await(target(sr), vdi, timeout);
    }

    @Override
    public MirrorState dataMirrorSync(StorageContext ctx, String sr, String vdi, Duration timeout) {
        return mirror.sync(target(sr), vdi, timeout);
    }

    @Override
    public MirrorState dataMirrorOutcome(String sr, String vdi) {
        return mirror.outcome(sr, vdi);
    }

    @Override
    public void dataMirrorStop(StorageContext ctx, String sr, String vdi) {
        datapaths.withVdi(sr, vdi, t -> {
            mirror.stop(t, vdi);
            return null;
        });
    }

    // ------------------------------------------------------------------ datapaths

    @Override
    public AttachInfo vdiAttach(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite) {
        return datapaths.withVdi(sr, vdi, t -> {
            datapaths.removeDatapaths(ctx, t, vdi, true);
            State s = datapaths.perform(ctx, t, dp, vdi, vm, Op.attach(readWrite));
            return datapaths.attachInfo(sr, vdi, s);
        });
    }

    @Override
    public void vdiActivate(StorageContext ctx, String dp, String sr, String vdi, String vm, boolean readWrite) {
        datapaths.withVdi(sr, vdi, t -> datapaths.perform(ctx, t, dp, vdi, vm, Op.ACTIVATE));
    }

    @Override
    public void vdiDeactivate(StorageContext ctx, String dp, String sr, String vdi, String vm) {
        datapaths.withVdi(sr, vdi, t -> datapaths.perform(ctx, t, dp, vdi, vm, Op.DEACTIVATE));
    }

    @Override
    public void vdiDetach(StorageContext ctx, String dp, String sr, String vdi, String vm) {
        datapaths.withVdi(sr, vdi, t -> datapaths.perform(ctx, t, dp, vdi, vm, Op.DETACH));
    }

    @Override
    public void dpDestroy(StorageContext ctx, String dp) {
        dpDestroy(ctx, dp, false);
    }

    @Override
    public void dpDestroy(StorageContext ctx, String dp, boolean allowLeak) {
        datapaths.destroy(ctx, dp, allowLeak);
    }

    @Override
    public boolean vdiAttachedReadWrite(String sr, String vdi) {
        return datapaths.attachedReadWrite(sr, vdi);
    }

    /**
     * The image of a VDI of a bundled file driver ({@link FileImages}) when no datapath of this host has it attached
     * read-write (nor leaked); taken under the VDI lock, which every attach holds too.
     */
    @Override
    public DirectImage vdiOpenDirect(StorageContext ctx, String sr, String vdi, Map<String, String> deviceConfig) {
        return datapaths.withVdi(
                sr,
                vdi,
                t -> datapaths.directReaders.open(
                        t.driver(), sr, vdi, deviceConfig, () -> datapaths.attachedReadWrite(sr, vdi)));
    }

    @Override
    public List<String> dpsOf(String sr, String vdi) {
        return new ArrayList<>(dpStates(sr, vdi).keySet());
    }

    @Override
    public Map<String, DpState> dpStatVdi(String sr, String vdi) {
        Map<String, DpState> m = new LinkedHashMap<>();
        dpStates(sr, vdi).forEach((dp, st) -> m.put(dp, dpState(st)));
        return m;
    }

    private static DpState dpState(State s) {
        if (s.activated()) return DpState.activated(s.readWrite());
        return s.attached() ? DpState.attached(s.readWrite()) : DpState.DETACHED;
    }

    @Override
    public Set<String> srList() {
        return attachedSrs().keySet();
    }

    @Override
    public String dpDiagnostics(StorageContext ctx) {
        return datapaths.diagnostics();
    }
}
