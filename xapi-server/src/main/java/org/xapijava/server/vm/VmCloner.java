package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.xapijava.db.DbReader;
import org.xapijava.db.Transaction;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;

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
        SNAPSHOT
    }

    static final String BASE_TEMPLATE_NAME = "base_template_name";
    static final String XENSOURCE_INTERNAL = "xensource_internal";
    /** The VBD {@code other_config} key saying the VM owns the disk (destroyed with it by clients). */
    static final String OWNER = "owner";
    /** {@code Constants._sm_epoch_hint}: a driver parameter naming this batch of disk operations. */
    static final String EPOCH_HINT = "epochhint";

    private final Services services;

    VmCloner(Services services) {
        this.services = services;
    }

    /** A cloned disk: the source VBD, the new VDI (or the kept CD, or NULL) and whether to delete it on failure. */
    record ClonedDisk(String vbd, String vdi, boolean ownedByUs) {}

    /**
     * Clones, copies ({@code copySr} non-null: into that SR; null: into each disk's own SR) or
     * snapshots {@code vm} into a new VM named {@code newName}; returns its ref.
     */
    String clone(CallContext ctx, String vm, String newName, DiskOp op, String copySr, List<String> ignoreVdis) {
        DbReader db = ctx.db().snapshot();
        String powerState = (String) db.get(vm, VM.POWER_STATE);
        boolean snapshot = op == DiskOp.SNAPSHOT;
        String newPowerState = (op != DiskOp.SNAPSHOT && powerState.equals("Suspended")) ? "Suspended" : "Halted";
        List<String> vbds = new ArrayList<>(refs(db, "VM", vm, "VBDs"));
        if (snapshot) vbds.removeIf(vbd -> ignoreVdis.contains((String) db.get(vbd, VBD.VDI)));
        if (!refs(db, "VM", vm, "VGPUs").isEmpty()
                || !refs(db, "VM", vm, "VTPMs").isEmpty()) {
            throw new ApiError("NOT_IMPLEMENTED", "copying the VGPUs and VTPMs of a VM");
        }
        Map<String, String> driverParams = Map.of(EPOCH_HINT, Rows.uuid());
        List<ClonedDisk> disks = cloneDisks(ctx, vbds, op, copySr, driverParams);
        try {
            String taskKey = taskKey(ctx);
            String ref = ctx.db().call(tx -> copyVmRecord(tx, vm, newName, op, newPowerState, taskKey));
            try {
                List<String> newVbds = new ArrayList<>();
                List<String> newVifs = new ArrayList<>();
                ctx.db().transact(tx -> {
                    for (ClonedDisk d : disks) {
                        String nv = Vbds.copy(tx, d.vbd(), ref, d.vdi());
                        newVbds.add(nv);
                        // CA-58405: the new VM owns its new disks, whoever owned the originals
                        if ("Disk".equals(tx.get(nv, VBD.TYPE))
                                && !tx.get(nv, VBD.OTHER_CONFIG).containsKey(OWNER)) {
                            tx.addToMap("VBD", nv, "other_config", OWNER, "");
                        }
                    }
                    for (String vif : refs(tx, "VM", vm, "VIFs")) newVifs.add(Vifs.copy(tx, vif, ref, snapshot));
                });
                String original = (String) db.get(vm, VM.SUSPEND_VDI);
                String suspendVdi = Refs.isNull(original) || snapshot
                        ? Refs.NULL
                        : cloneOne(ctx, original, op, copySr, driverParams);
                try {
                    ctx.db().transact(tx -> {
                        tx.set(ref, VM.SUSPEND_VDI, suspendVdi);
                        tx.removeFromMap("VM", ref, "current_operations", taskKey);
                        Rows.resetPowerState(tx, ref, newPowerState);
                    });
                } catch (RuntimeException e) {
                    deleteVdis(ctx, List.of(new ClonedDisk(Refs.NULL, suspendVdi, true)));
                    throw e;
                }
                for (String vbd : newVbds) services.allowed().update("VBD", vbd);
                for (String vif : newVifs) services.allowed().update("VIF", vif);
                services.allowed().update("VM", ref);
                return ref;
            } catch (RuntimeException e) {
                deleteVmRows(ctx, ref);
                throw e;
            }
        } catch (RuntimeException e) {
            deleteVdis(ctx, disks);
            throw e;
        }
    }

    /**
     * {@code copy_vm_record}: the new VM row (with the calling task's operation in
     * {@code current_operations} until the clone completes); for a snapshot the source's
     * {@code parent} becomes the snapshot.
     */
    private String copyVmRecord(
            Transaction tx, String vm, String newName, DiskOp op, String newPowerState, String taskKey) {
        Map<String, Object> all = tx.getRecord("VM", vm);
        boolean snapshot = op == DiskOp.SNAPSHOT;
        String powerState = (String) all.get("power_state");
        Map<String, String> oc = new LinkedHashMap<>(tx.get(vm, VM.OTHER_CONFIG));
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
        if (Boolean.TRUE.equals(all.get("is_a_template")) && !oc.containsKey(BASE_TEMPLATE_NAME)) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put(BASE_TEMPLATE_NAME, (String) all.get("name_label"));
            m.putAll(oc);
            oc = m;
        }
        Map<String, String> snapshotInfo = new LinkedHashMap<>();
        if (snapshot) {
            snapshotInfo.put("disk-snapshot-type", "crash_consistent");
            snapshotInfo.put("power-state-at-snapshot", powerState);
        }
        String metrics = Rows.copyMetrics(tx, vm);
        String guestMetrics = Rows.copyGuestMetrics(tx, vm);
        String opName = switch (op) {
            case CLONE -> "clone";
            case COPY -> "copy";
            case SNAPSHOT -> "snapshot";
        };
        Map<String, Object> v = new LinkedHashMap<>();
        for (String k : List.of(
                "name_description",
                "user_version",
                "affinity",
                "memory_overhead",
                "memory_target",
                "memory_static_max",
                "memory_dynamic_max",
                "memory_dynamic_min",
                "memory_static_min",
                "VCPUs_max",
                "VCPUs_at_startup",
                "VCPUs_params",
                "actions_after_softreboot",
                "actions_after_shutdown",
                "actions_after_reboot",
                "actions_after_crash",
                "HVM_boot_policy",
                "HVM_boot_params",
                "HVM_shadow_multiplier",
                "platform",
                "PV_kernel",
                "PV_ramdisk",
                "PV_args",
                "PV_bootloader",
                "PV_bootloader_args",
                "PV_legacy_args",
                "PCI_bus",
                "last_boot_CPU_flags",
                "is_control_domain",
                "last_booted_record",
                "recommendations",
                "xenstore_data",
                "ha_restart_priority",
                "tags",
                "bios_strings",
                "hardware_platform_version",
                "has_vendor_device",
                "reference_label",
                "domain_type",
                "NVRAM")) {
            v.put(k, all.get(k));
        }
        v.put("power_state", newPowerState);
        v.put("allowed_operations", List.of());
        v.put("blocked_operations", Map.of());
        v.put("name_label", newName);
        v.put("current_operations", Map.of(taskKey, opName));
        v.put("is_a_template", snapshot || Boolean.TRUE.equals(all.get("is_a_template")));
        v.put("is_default_template", false);
        v.put("is_a_snapshot", snapshot);
        v.put("snapshot_of", snapshot ? vm : Refs.NULL);
        v.put("snapshot_time", snapshot ? DateTime.ofInstant(services.clock().instant()) : DateTime.EPOCH);
        v.put("snapshot_info", snapshotInfo);
        v.put("snapshot_metadata", snapshot ? SnapshotMetadata.of(tx, vm) : "");
        v.put("transportable_snapshot_id", "");
        // CA-52668: clones and copies are new top-level VMs
        v.put("parent", snapshot ? all.get("parent") : Refs.NULL);
        v.put("resident_on", Refs.NULL);
        v.put("scheduled_to_be_resident_on", Refs.NULL);
        v.put("suspend_VDI", Refs.NULL);
        v.put("other_config", oc);
        v.put("domid", -1L);
        v.put("domarch", "");
        v.put("metrics", metrics);
        v.put("blobs", Map.of());
        v.put("guest_metrics", guestMetrics);
        v.put("ha_always_run", false);
        v.put("protection_policy", Refs.NULL);
        v.put("is_vmss_snapshot", false);
        v.put("snapshot_schedule", Refs.NULL);
        v.put("appliance", Refs.NULL);
        v.put("start_delay", 0L);
        v.put("shutdown_delay", 0L);
        v.put("order", 0L);
        v.put("suspend_SR", Refs.NULL);
        v.put("version", 0L);
        v.put("generation_id", freshGenerationId((String) all.get("generation_id")));
        v.put("requires_reboot", false);
        v.put("pending_guidances", List.of());
        v.put("pending_guidances_recommended", List.of());
        v.put("pending_guidances_full", List.of());
        String ref = Rows.create(tx, "VM", v);
        if (snapshot) tx.set(vm, VM.PARENT, ref);
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
        DbReader db = ctx.db().snapshot();
        long total = 0;
        List<Long> sizes = new ArrayList<>();
        for (String vbd : vbds) {
            long size = 0;
            String vdi = (String) db.get(vbd, VBD.VDI);
            if (db.exists("VDI", vdi)) size = (Long) db.get(vdi, VDI.VIRTUAL_SIZE);
            sizes.add(size);
            total += size;
        }
        List<ClonedDisk> done = new ArrayList<>();
        long doneBytes = 0;
        try {
            for (int i = 0; i < vbds.size(); i++) {
                ctx.checkCancelled();
                String vbd = vbds.get(i);
                DbReader now = ctx.db().snapshot();
                String vdi = (String) now.get(vbd, VBD.VDI);
                if (Boolean.TRUE.equals(now.get(vbd, VBD.EMPTY))) {
                    done.add(new ClonedDisk(vbd, Refs.NULL, false));
                } else if ("CD".equals(now.get(vbd, VBD.TYPE))) {
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
            case SNAPSHOT -> ctx.api().vdi().snapshot(vdi, driverParams);
            case COPY ->
                ctx.api()
                        .vdi()
                        .copy(
                                vdi,
                                copySr == null ? ctx.db().snapshot().get(vdi, VDI.SR) : copySr,
                                Refs.NULL,
                                Refs.NULL);
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
    private static void deleteVmRows(CallContext ctx, String vm) {
        ctx.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            String snapshotOf = (String) tx.get(vm, VM.SNAPSHOT_OF);
            if (DbValues.valid(tx, VM.XAPI_CLASS, snapshotOf) && vm.equals(tx.get(snapshotOf, VM.PARENT))) {
                tx.set(snapshotOf, VM.PARENT, tx.get(vm, VM.PARENT));
            }
            Vms.deleteOwned(tx, vm);
            tx.delete("VM", vm);
        });
    }

    /** The key of this call in {@code current_operations}: the task ref, or Xapi's dummy ref without a task. */
    static String taskKey(CallContext ctx) {
        String t = ctx.taskRef();
        return t != null ? t : "DummyRef:|" + Rows.uuid() + "|" + ctx.label();
    }

    @SuppressWarnings("unchecked")
    private static List<String> refs(DbReader db, String cls, String ref, String field) {
        return (List<String>) db.get(cls, ref, field);
    }
}
