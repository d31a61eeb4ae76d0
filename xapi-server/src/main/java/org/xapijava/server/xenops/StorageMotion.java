package org.xapijava.server.xenops;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VDIApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.task.TaskManager;
import org.xapijava.storage.MirrorState;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.xenopsd.Xenops;

/**
 * {@code VDI.pool_migrate}: a disk of a running VM moved to another SR of its host while the VM runs, as Xapi's
 * {@code vdi_pool_migrate} does through {@code VM.migrate_send} to the VM's own host with a VDI map
 * ({@code xapi_vm_migrate.ml}, {@code storage_smapiv1_migrate.ml}). The forwarding layer has marked the VM
 * {@code migrate_send} and the VDI {@code mirror} and checked both; here:
 *
 * <ol>
 *   <li>Xapi's checks (CBT, the VBD, the SRs' {@code VDI_MIRROR}/{@code VDI_MIRROR_IN}, on_boot, who sees the SR);
 *   <li>the destination VDI made in the destination SR with the source's names, type, size and tags
 *       ({@code receive_start}: {@code sm_config:base_mirror}) and activated on a datapath of its own,
 *       {@code mirror_<the VBD's datapath>};
 *   <li>the mirror ({@link Smapiv2#dataMirrorStart}): a point-in-time copy while the writes made since are counted,
 *       then rounds copying those writes; the task is cancellable meanwhile;
 *   <li>the switch: xenopsd migrates the VM to its own host with the VDI map (the guest stopped, the old datapath
 *       released, which runs the mirror's last round, the new disk attached and activated), no longer cancellable;
 *   <li>the VBD points to the new VDI ({@code intra_pool_vdi_remap}), the mirror's datapath goes, and the old VDI is
 *       destroyed.
 * </ol>
 *
 * A failure before the switch destroys the new VDI and leaves the VM on its disk; a mirror whose last round failed
 * moves the VM back to its old disk (which has every byte) and fails with {@code MIRROR_FAILED}. Thread-safe.
 */
public final class StorageMotion implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(StorageMotion.class);
    /** How long one wait for the mirror lasts before the task's cancellation is looked at again. */
    private static final Duration WAIT_STEP = Duration.ofSeconds(1);
    /** Rounds of the writes made during the copy, at most, before the switch (its last round copies the rest). */
    private static final int ROUNDS = 3;
    /** Xapi's {@code vdi_other_config_sync_keys}: carried to the new VDI by {@code intra_pool_vdi_remap}. */
    public static final List<String> OTHER_CONFIG_SYNC_KEYS = List.of("config-drive");

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final Lifecycle lifecycle;
    private final TaskBinding taskBinding;
    private final StateSync sync;
    private final StorageBackends backends;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final Migration migration;
    private final MigrateSend migrateSend;

    public StorageMotion(
            XenopsService service,
            Db data,
            String hostRef,
            StorageBackends backends,
            TaskManager tasks,
            AllowedOperations allowed,
            Migration migration,
            MigrateSend migrateSend) {
        this.migrateSend = migrateSend;
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = service.xenops();
        this.lifecycle = service.lifecycle();
        this.taskBinding = service.tasks();
        this.sync = service.sync();
        this.backends = backends;
        this.tasks = tasks;
        this.allowed = allowed;
        this.migration = migration;
    }

    @Override
    public void bind(MessageTable table) {
        VDIApi.bind(table, new VDIApi() {
            @Override
            public String poolMigrate(CallContext ctx, String vdi, String sr, Map<String, String> options) {
                return StorageMotion.this.poolMigrate(ctx, vdi, sr, options);
            }
        });
    }

    /** The disk being moved: its VBD, VM, SRs and locators. */
    private record Move(
            String vdi,
            String vbd,
            String vm,
            String srcSr,
            String dstSr,
            String srcSrUuid,
            String dstSrUuid,
            String location,
            String dp) {
        String srcLocator() {
            return srcSrUuid + "/" + location;
        }

        /** Whether the destination SR is one only other hosts see (the VM moves there with its disk). */
        boolean otherHost() {
            return location == null;
        }
    }

    String poolMigrate(CallContext ctx, String vdi, String sr, Map<String, String> options) {
        Move m = check(vdi, sr);
        if (m == null) return vdi; // the same SR: Xapi mirrors nothing and the VBD keeps its VDI
        if (m.otherHost()) return moveVm(ctx, m);
        String task = ctx.taskRef();
        if (task != null) tasks.setCancellable(task, null);
        Smapiv2 storage = backends.storage();
        StorageContext sctx = StorageBackends.context(ctx);
        String mirrorDp = "mirror_" + m.dp();
        String created = createDestination(ctx, m);
        String dstLocation = data.get(created, VDI.LOCATION);
        boolean switched = false;
        try {
            Path target = backends.attach(created, true, mirrorDp);
            if (target == null) throw new ApiError(ErrorCodes.MIRROR_FAILED, vdi);
            try {
                storage.dataMirrorStart(sctx, m.srcSrUuid(), m.location(), target);
            } catch (StorageException e) {
                throw StorageBackends.toApiError(e, m.srcSr(), vdi);
            }
            mirror(ctx, storage, sctx, m);
            ctx.checkCancelled();
            if (task != null) tasks.setNotCancellable(task);
            switchDisk(ctx, m, Map.of(m.srcLocator(), m.dstSrUuid() + "/" + dstLocation));
            switched = true;
            MirrorState end = storage.dataMirrorOutcome(m.srcSrUuid(), m.location());
            if (!MirrorState.COPIED.equals(end.state())) {
                LOG.error("VDI.pool_migrate {}: the mirror's last round: {}", vdi, end);
                switchDisk(ctx, m, Map.of(m.dstSrUuid() + "/" + dstLocation, m.srcLocator()));
                switched = false;
                throw new ApiError(ErrorCodes.MIRROR_FAILED, vdi);
            }
        } catch (RuntimeException e) {
            if (!switched) abandon(ctx, storage, sctx, m, mirrorDp, created, e);
            throw e;
        }
        quietly(() -> storage.dataMirrorStop(sctx, m.srcSrUuid(), m.location()));
        quietly(() -> backends.destroyDatapath(mirrorDp));
        remap(m, created);
        ctx.apiInOwnTask().vdi().destroy(vdi); // its own task: the VDI is marked mirror under ours
        allowed.update(VDI.XAPI_CLASS, created);
        allowed.update(VBD.XAPI_CLASS, m.vbd());
        return created;
    }

    /** Xapi's checks in its order; null when the VDI is in {@code sr} already. */
    private Move check(String vdi, String sr) {
        Db db = data;
        if (!db.exists(SR.XAPI_CLASS, sr)) throw ApiError.handleInvalid(SR.XAPI_CLASS, sr);
        if ("cbt_metadata".equals(db.get(vdi, VDI.TYPE))) {
            throw new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, vdi, "cbt_metadata");
        }
        if (Boolean.TRUE.equals(db.get(vdi, VDI.CBT_ENABLED))) throw new ApiError(ErrorCodes.VDI_CBT_ENABLED, vdi);
        List<String> vbds = db.get(vdi, VDI.VBDS);
        if (vbds.isEmpty()) throw new ApiError(ErrorCodes.VDI_NEEDS_VM_FOR_MIGRATE, vdi);
        String vm = db.get(vbds.getFirst(), VBD.VM);
        String vbd = null;
        for (String v : vbds) if (vm.equals(db.get(v, VBD.VM)) && vbd == null) vbd = v;
        if (vbd == null) throw new ApiError(ErrorCodes.VBD_MISSING);
        // Xapi mirrors through the disk's running tapdisk; a VM not running here has none (see decisions.md)
        if (!"Running".equals(db.get(vm, VM.POWER_STATE))
                || !Boolean.TRUE.equals(db.get(vbd, VBD.CURRENTLY_ATTACHED))
                || Boolean.TRUE.equals(db.get(vbd, VBD.EMPTY))) {
            throw new ApiError(ErrorCodes.VDI_NEEDS_VM_FOR_MIGRATE, vdi);
        }
        String srcSr = db.get(vdi, VDI.SR);
        if (!seesSr(db, hostRef, sr)) return new Move(vdi, vbd, vm, srcSr, sr, null, null, null, null);
        if (srcSr.equals(sr)) return null;
        if ("reset".equals(db.get(vdi, VDI.ON_BOOT))) {
            throw new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION, vdi);
        }
        supported(db, srcSr, List.of("VDI_SNAPSHOT", "VDI_MIRROR"));
        supported(db, sr, List.of("VDI_SNAPSHOT", "VDI_MIRROR_IN"));
        if (db.get(vdi, VDI.SM_CONFIG).containsKey("key_hash")) throw new ApiError(ErrorCodes.VDI_IS_ENCRYPTED, vdi);
        String srcSrUuid = backends.attached(db, srcSr);
        String dstSrUuid = backends.attached(db, sr);
        String dp = "vbd/" + db.get(vm, VM.DOMID) + "/" + db.get(vbd, VBD.DEVICE);
        return new Move(vdi, vbd, vm, srcSr, sr, srcSrUuid, dstSrUuid, db.get(vdi, VDI.LOCATION), dp);
    }

    /**
     * Xapi's {@code vdi_pool_migrate} to an SR this host does not see: the VM moves, with {@code VM.migrate_send}, to a
     * host that sees that SR and the SRs of the VM's other disks, which stay where they are ({@code NO_HOSTS_AVAILABLE}
     * without one), reached on its management network; the VBD's new VDI is the answer.
     */
    private String moveVm(CallContext ctx, Move m) {
        Map<String, String> vdiMap = new LinkedHashMap<>();
        vdiMap.put(m.vdi(), m.dstSr());
        for (String vbd : data.get(m.vm(), VM.VBDS)) {
            if (data.get(vbd, VBD.EMPTY)) continue;
            String other = data.get(vbd, VBD.VDI);
            if (!other.equals(m.vdi())) vdiMap.put(other, data.get(other, VDI.SR));
        }
        String dest = null;
        for (String h : data.all(org.xapijava.model.api.Host.XAPI_CLASS)) {
            if (dest == null && vdiMap.values().stream().allMatch(sr -> seesSr(data, h, sr))) dest = h;
        }
        if (dest == null) throw new ApiError(ErrorCodes.NO_HOSTS_AVAILABLE);
        String network = null;
        for (String pif : data.get(dest, org.xapijava.model.api.Host.PIFS)) {
            if (network == null && data.get(pif, org.xapijava.model.api.PIF.MANAGEMENT)) {
                network = data.get(pif, org.xapijava.model.api.PIF.NETWORK);
            }
        }
        if (network == null) throw new ApiError(ErrorCodes.HOST_HAS_NO_MANAGEMENT_IP);
        LOG.info("VDI.pool_migrate {}: the VM moves to host {} with it", m.vdi(), dest);
        migrateSend.migrateSend(
                ctx, m.vm(), migrateSend.migrateReceive(ctx, dest, network), vdiMap, Map.of(), Map.of());
        return data.get(m.vbd(), VBD.VDI);
    }

    /** {@code Helpers.host_has_pbd_for_sr} with the PBD plugged ({@code assert_can_see_specified_SRs}). */
    private static boolean seesSr(Db db, String host, String sr) {
        for (String pbd : db.get(sr, SR.PBDS)) {
            if (host.equals(db.get(pbd, PBD.HOST)) && Boolean.TRUE.equals(db.get(pbd, PBD.CURRENTLY_ATTACHED))) {
                return true;
            }
        }
        return false;
    }

    /** {@code supported_on}: {@code SR_DOES_NOT_SUPPORT_MIGRATION [sr, missing capabilities joined by ";"]}. */
    static void supported(org.xapijava.db.FieldReads db, String sr, List<String> ops) {
        String type = db.get(sr, SR.TYPE);
        Set<String> features = Set.of();
        for (String sm : db.all(SM.XAPI_CLASS)) {
            if (type.equals(db.get(sm, SM.TYPE))) {
                features = db.get(sm, SM.FEATURES).keySet(); // features_of_sr: the first SM of the type
                break;
            }
        }
        List<String> missing = new ArrayList<>();
        for (String op : ops) if (!features.contains(op)) missing.add(op);
        if (!missing.isEmpty()) {
            throw new ApiError(ErrorCodes.SR_DOES_NOT_SUPPORT_MIGRATION, sr, String.join(";", missing));
        }
    }

    /** {@code receive_start}'s leaf: {@code VDI.create} of the source's description, then its tags. */
    private String createDestination(CallContext ctx, Move m) {
        Map<String, Object> src = data.record(VDI.XAPI_CLASS, m.vdi());
        return ctx.api().vdi().create(destinationRecord(src, m.dstSr(), Map.of("base_mirror", m.srcLocator())));
    }

    /**
     * The {@code VDI.create} record of a storage migration's destination disk in {@code sr}: the source's names, size,
     * type, sharable, read_only and tags, no other_config or xenstore_data, {@code smConfig}.
     */
    static Map<String, Object> destinationRecord(Map<String, Object> src, String sr, Map<String, String> smConfig) {
        Map<String, Object> rec = new LinkedHashMap<>();
        for (org.xapijava.model.Field<?> f : List.of(
                VDI.NAME_LABEL,
                VDI.NAME_DESCRIPTION,
                VDI.VIRTUAL_SIZE,
                VDI.TYPE,
                VDI.SHARABLE,
                VDI.READ_ONLY,
                VDI.TAGS)) {
            rec.put(f.name(), src.get(f.name()));
        }
        rec.put(VDI.SR.name(), sr);
        rec.put(VDI.OTHER_CONFIG.name(), Map.of());
        rec.put(VDI.XENSTORE_DATA.name(), Map.of());
        rec.put(VDI.SM_CONFIG.name(), smConfig);
        return rec;
    }

    /** The first copy, then rounds of the writes made meanwhile; the task's cancellation looked at every step. */
    private void mirror(CallContext ctx, Smapiv2 storage, StorageContext sctx, Move m) {
        MirrorState s;
        do {
            ctx.checkCancelled();
            s = call(m, () -> storage.dataMirrorWait(sctx, m.srcSrUuid(), m.location(), WAIT_STEP));
            if (MirrorState.COPYING.equals(s.state()) && s.total() > 0) {
                ctx.setProgress(0.9 * s.done() / s.total());
            }
        } while (MirrorState.COPYING.equals(s.state()));
        for (int round = 0; round < ROUNDS && MirrorState.COPIED.equals(s.state()) && s.dirty() > 0; round++) {
            do {
                ctx.checkCancelled();
                s = call(m, () -> storage.dataMirrorSync(sctx, m.srcSrUuid(), m.location(), WAIT_STEP));
            } while (MirrorState.COPYING.equals(s.state()));
        }
        if (!MirrorState.COPIED.equals(s.state())) {
            LOG.error("VDI.pool_migrate {}: the mirror: {}", m.vdi(), s);
            throw new ApiError(ErrorCodes.MIRROR_FAILED, m.vdi());
        }
        ctx.setProgress(0.9);
    }

    private static MirrorState call(Move m, java.util.function.Supplier<MirrorState> f) {
        try {
            return f.get();
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, m.srcSr(), m.vdi());
        }
    }

    /** xenopsd's localhost migration with {@code vdiMap}, the VM's events ignored meanwhile ({@code with_suppressed}). */
    private void switchDisk(CallContext ctx, Move m, Map<String, String> vdiMap) {
        String dbg = TaskBinding.dbg(ctx);
        String id = lifecycle.uuid(m.vm());
        String url = migration.localXenopsUrl(ctx.sessionRef());
        lifecycle.transform(
                m.vm(),
                () -> sync.withSuppressed(dbg, id, () -> {
                    LOG.info("xenops: VM.migrate {} to this host with vdi_map {}", id, vdiMap);
                    taskBinding.syncWithTask(
                            ctx,
                            xenops.vmMigrate(dbg, id, url, true, vdiMap, Migration.xenopsVifMap(data, m.vm()), false),
                            false);
                    return null;
                }));
    }

    /** {@code intra_pool_vdi_remap}: the VBD takes the new VDI, which takes the keys Xapi syncs of the old one. */
    private void remap(Move m, String created) {
        remap(data, m.vbd(), m.vdi(), created);
    }

    /**
     * {@code intra_pool_vdi_remap} of one VBD: it takes {@code created}, which takes the keys Xapi syncs
     * ({@link #OTHER_CONFIG_SYNC_KEYS}) of {@code vdi}.
     */
    static void remap(Db data, String vbd, String vdi, String created) {
        Map<String, String> old = data.get(vdi, VDI.OTHER_CONFIG);
        Map<String, String> now = new LinkedHashMap<>(data.get(created, VDI.OTHER_CONFIG));
        for (String k : OTHER_CONFIG_SYNC_KEYS) {
            now.remove(k);
            if (old.containsKey(k)) now.put(k, old.get(k));
        }
        data.apply(org.xapijava.db.Update.builder()
                .exists(VBD.XAPI_CLASS, vbd)
                .set(vbd, VBD.VDI, created)
                .set(created, VDI.OTHER_CONFIG, now)
                .build());
    }

    /** Undoes a storage migration that did not switch: the mirror, its datapath and the new VDI go. */
    private void abandon(
            CallContext ctx,
            Smapiv2 storage,
            StorageContext sctx,
            Move m,
            String mirrorDp,
            String created,
            RuntimeException e) {
        LOG.warn("VDI.pool_migrate {}: cleaning up after {}", m.vdi(), e.toString());
        quietly(() -> storage.dataMirrorStop(sctx, m.srcSrUuid(), m.location()));
        quietly(() -> backends.destroyDatapath(mirrorDp));
        quietly(() -> ctx.apiInOwnTask().vdi().destroy(created));
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("VDI.pool_migrate: clean-up step failed: {}", e.toString());
        }
    }
}
