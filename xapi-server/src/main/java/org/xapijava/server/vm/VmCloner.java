package org.xapijava.server.vm;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.ops.AllowedOperations;

/**
 * {@code VM.clone}, {@code VM.copy} and {@code VM.snapshot} ({@code xapi_vm_clone.ml}): the disks first
 * (each through {@code VDI.clone}, {@code VDI.copy} or {@code VDI.snapshot}, as Xapi's internal client
 * calls them, so the forwarding layer marks every VDI), then the new VM record, then its VBDs, VIFs
 * and suspend image. A failure removes what was made. CD VBDs keep their VDI; empty VBDs stay empty.
 *
 * <p>The new VM: clones and copies are top-level VMs with a fresh {@code mac_seed} (so fresh MACs),
 * snapshots keep the MACs and seed, point at their VM ({@code snapshot_of}), take its {@code parent}
 * and become its new parent. {@code default_template} and {@code xensource_internal} are dropped from
 * {@code other_config}; a template's name is kept as {@code base_template_name}. Thread-safe.
 */
final class VmCloner {
    /** What happens to each disk. */
    enum DiskOp {
        CLONE,
        COPY,
        SNAPSHOT,
        /** a snapshot with memory: the suspend image is snapshotted too and the new VM stays Suspended */
        CHECKPOINT
    }

    static final String BASE_TEMPLATE_NAME = "base_template_name";
    static final String XENSOURCE_INTERNAL = "xensource_internal";
    /** The VBD {@code other_config} key saying the VM owns the disk (destroyed with it by clients). */
    static final String OWNER = "owner";
    /** {@code Constants._sm_epoch_hint}: a driver parameter naming this batch of disk operations. */
    static final String EPOCH_HINT = "epochhint";

    private final Db data;
    private final Clock clock;
    private final AllowedOperations allowed;

    VmCloner(Db data, Clock clock, AllowedOperations allowed) {
        this.data = data;
        this.clock = clock;
        this.allowed = allowed;
    }

    /** A cloned disk: the source VBD, the new VDI (or the kept CD, or NULL) and whether to delete it on failure. */
    record ClonedDisk(String vbd, String vdi, boolean ownedByUs) {}

    /**
     * Clones, copies ({@code copySr} non-null: into that SR; null: into each disk's own SR) or
     * snapshots {@code vm} into a new VM named {@code newName}; returns its ref.
     */
    String clone(CallContext ctx, String vm, String newName, DiskOp op, String copySr, List<String> ignoreVdis) {
        return clone(ctx, vm, newName, op, copySr, ignoreVdis, null);
    }

    /**
     * As {@link #clone(CallContext, String, String, DiskOp, String, List)}, with the new VM's {@code snapshot_info}
     * given ({@code snapshot_info_record}; null: computed from the VM as it is now).
     */
    String clone(
            CallContext ctx,
            String vm,
            String newName,
            DiskOp op,
            String copySr,
            List<String> ignoreVdis,
            Map<String, String> snapshotInfo) {
        String powerState = data.get(vm, VM.POWER_STATE);
        boolean snapshot = op == DiskOp.SNAPSHOT || op == DiskOp.CHECKPOINT;
        String newPowerState = switch (op) {
            case CHECKPOINT -> powerState.equals("Running") || powerState.equals("Suspended") ? "Suspended" : "Halted";
            case SNAPSHOT -> "Halted";
            case CLONE, COPY -> powerState.equals("Suspended") ? "Suspended" : "Halted";
        };
        List<String> vbds = new ArrayList<>(data.get(vm, VM.VBDS));
        if (snapshot) vbds.removeIf(vbd -> ignoreVdis.contains(data.get(vbd, VBD.VDI)));
        if (!data.get(vm, VM.VGPUS).isEmpty()) throw new ApiError("NOT_IMPLEMENTED", "copying the VGPUs of a VM");
        String original = data.get(vm, VM.SUSPEND_VDI);
        Map<String, String> driverParams = Map.of(EPOCH_HINT, Rows.uuid());
        List<ClonedDisk> disks = cloneDisks(ctx, vbds, op, copySr, driverParams);
        try {
            String taskKey = taskKey(ctx);
            // Xapi_vmss.is_vmss_snapshot: a snapshot made in the snapshot schedule's session
            boolean vmssSnapshot = snapshot && VmssRun.isVmssSession(data, ctx.sessionRef());
            String ref = Db.retrying(
                    () -> copyVmRecord(data, vm, newName, op, newPowerState, taskKey, vmssSnapshot, snapshotInfo));
            try {
                List<String> newVbds = new ArrayList<>();
                List<String> newVifs = new ArrayList<>();
                Db.retrying(() -> {
                    newVbds.clear();
                    newVifs.clear();
                    Update.Builder u = Update.builder()
                            .unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm))
                            .unchanged(VM.XAPI_CLASS, ref, data.modified(VM.XAPI_CLASS, ref));
                    for (ClonedDisk d : disks) {
                        String nv = Vbds.copy(data, u, d.vbd(), ref, d.vdi());
                        newVbds.add(nv);
                        // CA-58405: the new VM owns its new disks, whoever owned the originals
                        if ("Disk".equals(data.get(d.vbd(), VBD.TYPE))
                                && !data.get(d.vbd(), VBD.OTHER_CONFIG).containsKey(OWNER)) {
                            u.addToMap(nv, VBD.OTHER_CONFIG, OWNER, "");
                        }
                    }
                    List<Long> devices = new ArrayList<>();
                    for (String vif : data.get(vm, VM.VIFS))
                        newVifs.add(Vifs.copy(data, u, vif, ref, snapshot, devices));
                    for (String vtpm : data.get(vm, VM.VTPMS)) Vtpms.copy(data, u, vtpm, ref);
                    data.apply(u.build());
                });
                String suspendVdi = Refs.isNull(original) || op == DiskOp.SNAPSHOT
                        ? Refs.NULL
                        : cloneOne(ctx, original, op, copySr, driverParams);
                try {
                    Db.retrying(() -> {
                        Update.Builder u = Update.builder()
                                .unchanged(VM.XAPI_CLASS, ref, data.modified(VM.XAPI_CLASS, ref))
                                .set(ref, VM.SUSPEND_VDI, suspendVdi)
                                .removeFromMap(ref, VM.CURRENT_OPERATIONS, taskKey);
                        Rows.resetPowerState(data, u, ref, newPowerState);
                        data.apply(u.build());
                    });
                } catch (RuntimeException e) {
                    deleteVdis(ctx, List.of(new ClonedDisk(Refs.NULL, suspendVdi, true)));
                    throw e;
                }
                for (String vbd : newVbds) allowed.update(VBD.XAPI_CLASS, vbd);
                for (String vif : newVifs) allowed.update(VIF.XAPI_CLASS, vif);
                allowed.update(VM.XAPI_CLASS, ref);
                return ref;
            } catch (RuntimeException e) {
                deleteVmRows(data, ref);
                throw e;
            }
        } catch (RuntimeException e) {
            deleteVdis(ctx, disks);
            throw e;
        }
    }

    /** The fields of the source VM that {@link #copyVmRecord} keeps as they are. */
    private static final List<Field<?>> COPIED = List.of(
            VM.NAME_DESCRIPTION,
            VM.USER_VERSION,
            VM.AFFINITY,
            VM.MEMORY_OVERHEAD,
            VM.MEMORY_TARGET,
            VM.MEMORY_STATIC_MAX,
            VM.MEMORY_DYNAMIC_MAX,
            VM.MEMORY_DYNAMIC_MIN,
            VM.MEMORY_STATIC_MIN,
            VM.VCPUS_MAX,
            VM.VCPUS_AT_STARTUP,
            VM.VCPUS_PARAMS,
            VM.ACTIONS_AFTER_SOFTREBOOT,
            VM.ACTIONS_AFTER_SHUTDOWN,
            VM.ACTIONS_AFTER_REBOOT,
            VM.ACTIONS_AFTER_CRASH,
            VM.HVM_BOOT_POLICY,
            VM.HVM_BOOT_PARAMS,
            VM.HVM_SHADOW_MULTIPLIER,
            VM.PLATFORM,
            VM.PV_KERNEL,
            VM.PV_RAMDISK,
            VM.PV_ARGS,
            VM.PV_BOOTLOADER,
            VM.PV_BOOTLOADER_ARGS,
            VM.PV_LEGACY_ARGS,
            VM.PCI_BUS,
            VM.LAST_BOOT_CPU_FLAGS,
            VM.IS_CONTROL_DOMAIN,
            VM.LAST_BOOTED_RECORD,
            VM.RECOMMENDATIONS,
            VM.XENSTORE_DATA,
            VM.HA_RESTART_PRIORITY,
            VM.TAGS,
            VM.BIOS_STRINGS,
            VM.HARDWARE_PLATFORM_VERSION,
            VM.HAS_VENDOR_DEVICE,
            VM.REFERENCE_LABEL,
            VM.DOMAIN_TYPE,
            VM.NVRAM);

    /**
     * {@code copy_vm_record}: the new VM row (with the calling task's operation in
     * {@code current_operations} until the clone completes); for a snapshot the source's
     * {@code parent} becomes the snapshot. Conditional on the source VM being as read.
     */
    private String copyVmRecord(
            Db data,
            String vm,
            String newName,
            DiskOp op,
            String newPowerState,
            String taskKey,
            boolean vmssSnapshot,
            Map<String, String> givenSnapshotInfo) {
        Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
        Map<String, Object> all = data.record(VM.XAPI_CLASS, vm);
        boolean snapshot = op == DiskOp.SNAPSHOT || op == DiskOp.CHECKPOINT;
        String powerState = Db.value(all, VM.POWER_STATE);
        boolean template = Boolean.TRUE.equals(Db.value(all, VM.IS_A_TEMPLATE));
        Map<String, String> oc = new LinkedHashMap<>(Db.value(all, VM.OTHER_CONFIG));
        if (!snapshot) {
            if (oc.containsKey(Vms.MAC_SEED)) {
                oc.put(Vms.MAC_SEED, Rows.uuid());
            } else {
                Map<String, String> m = new LinkedHashMap<>();
                m.put(Vms.MAC_SEED, Rows.uuid());
                m.putAll(oc);
                oc = m;
            }
        }
        oc.remove(Vms.DEFAULT_TEMPLATE);
        oc.remove(XENSOURCE_INTERNAL);
        if (template && !oc.containsKey(BASE_TEMPLATE_NAME)) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put(BASE_TEMPLATE_NAME, Db.value(all, VM.NAME_LABEL));
            m.putAll(oc);
            oc = m;
        }
        Map<String, String> snapshotInfo = new LinkedHashMap<>();
        if (givenSnapshotInfo != null) {
            snapshotInfo.putAll(givenSnapshotInfo);
        } else if (snapshot) {
            snapshotInfo.put("disk-snapshot-type", "crash_consistent");
            snapshotInfo.put("power-state-at-snapshot", powerState);
        }
        String metrics = Rows.copyMetrics(data, u, vm);
        String guestMetrics = Rows.copyGuestMetrics(data, u, vm);
        String opName = switch (op) {
            case CLONE -> "clone";
            case COPY -> "copy";
            case SNAPSHOT -> "snapshot";
            case CHECKPOINT -> "checkpoint";
        };
        // the metadata is every database column, internal ones too, which only the database's own reader has
        String metadata = snapshot ? SnapshotMetadata.of(data, vm) : "";
        FieldValues v = Rows.copied(FieldValues.of(VM.XAPI_CLASS), COPIED, all)
                .with(VM.POWER_STATE, newPowerState)
                .with(VM.ALLOWED_OPERATIONS, List.of())
                .with(VM.BLOCKED_OPERATIONS, Map.of())
                .with(VM.NAME_LABEL, newName)
                .with(VM.CURRENT_OPERATIONS, Map.of(taskKey, opName))
                .with(VM.IS_A_TEMPLATE, snapshot || template)
                .with(VM.IS_DEFAULT_TEMPLATE, false)
                .with(VM.IS_A_SNAPSHOT, snapshot)
                .with(VM.SNAPSHOT_OF, snapshot ? vm : Refs.NULL)
                .with(VM.SNAPSHOT_TIME, snapshot ? DateTime.ofInstant(clock.instant()) : DateTime.EPOCH)
                .with(VM.SNAPSHOT_INFO, snapshotInfo)
                .with(VM.SNAPSHOT_METADATA, metadata)
                .with(VM.TRANSPORTABLE_SNAPSHOT_ID, "")
                // CA-52668: clones and copies are new top-level VMs
                .with(VM.PARENT, snapshot ? Db.value(all, VM.PARENT) : Refs.NULL)
                .with(VM.RESIDENT_ON, Refs.NULL)
                .with(VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL)
                .with(VM.SUSPEND_VDI, Refs.NULL)
                .with(VM.OTHER_CONFIG, oc)
                .with(VM.DOMID, -1L)
                .with(VM.DOMARCH, "")
                .with(VM.METRICS, metrics)
                .with(VM.BLOBS, Map.of())
                .with(VM.GUEST_METRICS, guestMetrics)
                .with(VM.HA_ALWAYS_RUN, false)
                .with(VM.PROTECTION_POLICY, Refs.NULL)
                .with(VM.IS_VMSS_SNAPSHOT, vmssSnapshot)
                .with(VM.SNAPSHOT_SCHEDULE, Refs.NULL)
                .with(VM.APPLIANCE, Refs.NULL)
                .with(VM.START_DELAY, 0L)
                .with(VM.SHUTDOWN_DELAY, 0L)
                .with(VM.ORDER, 0L)
                .with(VM.SUSPEND_SR, Refs.NULL)
                .with(VM.VERSION, 0L)
                .with(VM.GENERATION_ID, freshGenerationId(Db.value(all, VM.GENERATION_ID)))
                .with(VM.REQUIRES_REBOOT, false)
                .with(VM.PENDING_GUIDANCES, List.of())
                .with(VM.PENDING_GUIDANCES_RECOMMENDED, List.of())
                .with(VM.PENDING_GUIDANCES_FULL, List.of())
                .with(VM.UUID, Rows.uuid());
        String ref = Rows.create(u, v);
        if (snapshot) u.set(vm, VM.PARENT, ref);
        data.apply(u.build());
        return ref;
    }

    /** {@code fresh_genid}: "" stays "", anything else becomes two random non-negative 64-bit numbers. */
    static String freshGenerationId(String current) {
        if (current.isEmpty()) return "";
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return r.nextLong(Long.MAX_VALUE) + ":" + r.nextLong(Long.MAX_VALUE);
    }

    /**
     * {@code safe_clone_disks}: one new VDI per VBD in order (NULL for an empty VBD, the same VDI for a
     * CD); on failure the VDIs made so far are destroyed. The task's progress follows the bytes done.
     */
    List<ClonedDisk> cloneDisks(
            CallContext ctx, List<String> vbds, DiskOp op, String copySr, Map<String, String> driverParams) {
        long total = 0;
        List<Long> sizes = new ArrayList<>();
        for (String vbd : vbds) {
            long size = 0;
            String vdi = data.get(vbd, VBD.VDI);
            if (!Refs.isNull(vdi) && data.exists(VDI.XAPI_CLASS, vdi)) size = data.get(vdi, VDI.VIRTUAL_SIZE);
            sizes.add(size);
            total += size;
        }
        List<ClonedDisk> done = new ArrayList<>();
        long doneBytes = 0;
        try {
            for (int i = 0; i < vbds.size(); i++) {
                ctx.checkCancelled();
                String vbd = vbds.get(i);
                Map<String, Object> now = data.record(VBD.XAPI_CLASS, vbd);
                String vdi = Db.value(now, VBD.VDI);
                if (Boolean.TRUE.equals(Db.value(now, VBD.EMPTY))) {
                    done.add(new ClonedDisk(vbd, Refs.NULL, false));
                } else if ("CD".equals(Db.value(now, VBD.TYPE))) {
                    done.add(new ClonedDisk(vbd, vdi, false));
                } else {
                    done.add(new ClonedDisk(vbd, cloneOne(ctx, vdi, op, copySr, driverParams), true));
                }
                doneBytes += sizes.get(i);
                if (total > 0) ctx.setProgress((double) doneBytes / total);
            }
            return done;
        } catch (RuntimeException e) {
            deleteVdis(ctx, done);
            throw e;
        }
    }

    /** {@code clone_single_vdi}: the VDI call of this kind of operation, made through the message table. */
    private String cloneOne(CallContext ctx, String vdi, DiskOp op, String copySr, Map<String, String> driverParams) {
        return switch (op) {
            case CLONE -> ctx.api().vdi().clone(vdi, driverParams);
            case SNAPSHOT, CHECKPOINT -> ctx.api().vdi().snapshot(vdi, driverParams);
            case COPY ->
                ctx.api().vdi().copy(vdi, copySr == null ? data.get(vdi, VDI.SR) : copySr, Refs.NULL, Refs.NULL);
        };
    }

    /** {@code delete_disks}: destroys the VDIs this operation made, ignoring failures. */
    void deleteVdis(CallContext ctx, List<ClonedDisk> disks) {
        for (ClonedDisk d : disks) {
            if (!d.ownedByUs() || Refs.isNull(d.vdi())) continue;
            try {
                ctx.api().vdi().destroy(d.vdi());
            } catch (RuntimeException ignored) {
                // best effort, as Xapi
            }
        }
    }

    /** Removes a half-made VM and the rows made for it. */
    private static void deleteVmRows(Db data, String vm) {
        Db.retrying(() -> {
            OptionalLong read = data.version(VM.XAPI_CLASS, vm);
            if (read.isEmpty()) return;
            Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, read.getAsLong());
            String snapshotOf = data.get(vm, VM.SNAPSHOT_OF);
            OptionalLong source = data.version(VM.XAPI_CLASS, snapshotOf);
            if (source.isPresent() && vm.equals(data.get(snapshotOf, VM.PARENT))) {
                u.unchanged(VM.XAPI_CLASS, snapshotOf, source.getAsLong())
                        .set(snapshotOf, VM.PARENT, data.get(vm, VM.PARENT));
            }
            Vms.deleteOwned(data, u, vm);
            data.apply(u.delete(VM.XAPI_CLASS, vm).build());
        });
    }

    /** The key of this call in {@code current_operations}: the task ref, or Xapi's dummy ref without a task. */
    static String taskKey(CallContext ctx) {
        String t = ctx.taskRef();
        return t != null ? t : "DummyRef:|" + Rows.uuid() + "|" + ctx.label();
    }
}
