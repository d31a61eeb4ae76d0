package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;

/**
 * {@code VM.revert} ({@code xapi_vm_snapshot.ml}, with the steps Xapi's forwarding layer does for it):
 * the VM (recreated from the snapshot's metadata when it no longer exists) takes back the fields it had
 * at snapshot time, loses the disks that the snapshot has copies of (disks without a snapshot copy are
 * only detached), gets clones of the snapshot's disks, its CDs, VIFs (same MACs) and suspend image,
 * copies of its metrics, and the snapshot's power state; the snapshot becomes its parent. A VM that is
 * not halted is shut down first ({@code VM.hard_shutdown}).
 *
 * <p>None of our backends reverts a VDI in place ({@code VDI.revert}, an optional SM capability), so
 * every disk takes Xapi's fallback path: clone. Operation marking ({@code revert} on the snapshot,
 * {@code reverting} on the VM) is the forwarding layer's. Thread-safe.
 */
final class VmReverter {
    /** Columns of the metadata not written back when the snapshot has its own metadata. */
    static final Set<String> DO_NOT_COPY = Set.of(
            "uuid",
            "_ref",
            "suspend_VDI",
            "power_state",
            "parent",
            "current_operations",
            "allowed_operations",
            "metrics",
            "guest_metrics",
            "resident_on",
            "domid",
            "protection_policy",
            "snapshot_schedule",
            "scheduled_to_be_resident_on",
            "snapshots",
            "tags",
            "affinity",
            "groups",
            "consoles",
            "VBDs",
            "VIFs",
            "VGPUs",
            "VUSBs",
            "VTPMs",
            "attached_PCIs",
            "is_snapshot_from_vmpp");
    /** Also not written back from a snapshot without metadata (taken before Xapi kept any). */
    static final Set<String> EXTENDED_DO_NOT_COPY;
    /** Values forced whatever the metadata says. */
    static final Map<String, String> OVERRIDES = Map.of("ha_always_run", "false");

    static {
        Set<String> s = new LinkedHashSet<>(DO_NOT_COPY);
        s.addAll(List.of(
                "name__label",
                "is_a_snapshot",
                "is_a_template",
                "is_default_template",
                "snapshot_of",
                "snapshot_time",
                "transportable_snapshot_id",
                "children"));
        EXTENDED_DO_NOT_COPY = Set.copyOf(s);
    }

    private final Services services;
    private final VmCloner cloner;

    VmReverter(Services services, VmCloner cloner) {
        this.services = services;
        this.cloner = cloner;
    }

    /**
     * The VM of {@code snapshot}, re-created from the snapshot when it no longer exists. Xapi's
     * forwarding layer does this before it marks the snapshot {@code revert} and the VM {@code reverting}.
     */
    String ensureVm(CallContext ctx, String snapshot) {
        DbReader db = ctx.db().snapshot();
        if (!db.exists("VM", snapshot)) throw ApiError.handleInvalid("VM", snapshot);
        String vm = (String) db.get(snapshot, VM.SNAPSHOT_OF);
        return db.exists("VM", vm) ? vm : createVmFromSnapshot(ctx, snapshot);
    }

    /** Reverts the VM of {@code snapshot} to it. */
    void revert(CallContext ctx, String snapshot) {
        String vm = ensureVm(ctx, snapshot);
        if (!"Halted".equals(ctx.db().snapshot().get(vm, VM.POWER_STATE)))
            ctx.api().vm().hardShutdown(vm);
        revertFields(ctx, snapshot, vm);
        String target = vm;
        ctx.db()
                .transact(tx -> tx.set(target, VM.GENERATION_ID, VmCloner.freshGenerationId((String)
                        tx.get(target, VM.GENERATION_ID))));
        String powerState = (String) ctx.db().snapshot().get(snapshot, VM.POWER_STATE);
        if (ctx.taskRef() != null) services.tasks().setNotCancellable(ctx.taskRef());
        try {
            revertDevices(ctx, snapshot, vm);
            ctx.db().transact(tx -> {
                // guest metrics and metrics: the snapshot's, copied
                String gm = (String) tx.get(target, VM.GUEST_METRICS);
                Rows.deleteIfValid(tx, "VM_guest_metrics", gm);
                tx.set(target, VM.GUEST_METRICS, Rows.copyGuestMetrics(tx, snapshot));
                String m = (String) tx.get(target, VM.METRICS);
                String snapMetrics = (String) tx.get(snapshot, VM.METRICS);
                Rows.deleteIfValid(tx, "VM_metrics", m);
                tx.set(
                        "VM",
                        target,
                        "metrics",
                        DbValues.valid(tx, VMMetrics.XAPI_CLASS, snapMetrics)
                                ? Rows.copy(tx, "VM_metrics", snapMetrics, Map.of())
                                : Refs.NULL);
                tx.set(target, VM.PARENT, snapshot);
                Rows.resetPowerState(tx, target, powerState);
            });
            ctx.setProgress(1.0);
            services.allowed().update("VM", target);
        } catch (RuntimeException e) {
            ctx.db().transact(tx -> {
                if (tx.exists("VM", target)) Rows.resetPowerState(tx, target, "Halted");
            });
            services.allowed().update("VM", target);
            if (e instanceof ApiError a
                    && (a.code().equals("SR_BACKEND_FAILURE_44")
                            || a.code().equals("SR_BACKEND_FAILURE_109")
                            || a.code().equals("VDI_INCOMPATIBLE_TYPE"))) {
                throw a;
            }
            throw new ApiError("VM_REVERT_FAILED", snapshot, vm);
        }
        DbReader after = ctx.db().snapshot();
        String body = "VM '" + after.get(vm, VM.NAME_LABEL) + "' (uuid: " + after.get(vm, VM.UUID)
                + ") reverted to snapshot: " + after.get(snapshot, VM.NAME_LABEL) + " (uuid "
                + after.get(snapshot, VM.UUID) + ")";
        VmMessages.alert(services, "VM_SNAPSHOT_REVERTED", vm, body);
    }

    /** {@code revert_vm_fields}: the VM's fields as the snapshot recorded them. */
    private void revertFields(CallContext ctx, String snapshot, String vm) {
        DbReader db = ctx.db().snapshot();
        String meta = (String) db.get(snapshot, VM.SNAPSHOT_METADATA);
        boolean postMnr = !meta.isEmpty();
        List<String[]> pairs = SnapshotMetadata.parse(postMnr ? meta : SnapshotMetadata.of(db, snapshot));
        List<String[]> fixed = ensureDomainType(pairs);
        ctx.db()
                .transact(tx -> SnapshotMetadata.copyFields(
                        tx, fixed, vm, postMnr ? DO_NOT_COPY : EXTENDED_DO_NOT_COPY, OVERRIDES));
        ctx.setProgress(0.1);
    }

    /** {@code ensure_domain_type_is_consistent}: an unspecified domain type derived from the boot policy. */
    static List<String[]> ensureDomainType(List<String[]> pairs) {
        String dt = null;
        String policy = null;
        String policyAlt = null;
        for (String[] kv : pairs) {
            if (kv[0].equals("domain_type")) dt = kv[1];
            if (kv[0].equals("HVM__boot_policy")) policy = kv[1];
            if (kv[0].equals("HVM_boot_policy")) policyAlt = kv[1];
        }
        if (dt != null && !dt.equals("unspecified")) return pairs;
        String p = policy != null ? policy : policyAlt;
        if (p == null) throw ApiError.invalidValue("snapshot_metadata:HVM__boot_policy", "null");
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {"domain_type", p.isEmpty() ? "pv" : "hvm"});
        for (String[] kv : pairs) if (!kv[0].equals("domain_type")) out.add(kv);
        return out;
    }

    /** {@code update_vifs_vbds_vgpus_and_vusbs}: the disks, CDs, suspend image and VIFs of the snapshot. */
    private void revertDevices(CallContext ctx, String snapshot, String vm) {
        DbReader db = ctx.db().snapshot();
        // Xapi works on sets ordered by reference
        TreeSet<String> snapDiskVbds = new TreeSet<>();
        TreeSet<String> snapCdVbds = new TreeSet<>();
        for (String vbd : refs(db, snapshot, "VBDs")) {
            ("Disk".equals(db.get(vbd, VBD.TYPE)) ? snapDiskVbds : snapCdVbds).add(vbd);
        }
        Set<String> snapDisksSnapshotOf = new TreeSet<>();
        for (String vbd : snapDiskVbds) snapDisksSnapshotOf.add(vdiSnapshotOf(db, (String) db.get(vbd, VBD.VDI)));
        TreeSet<String> vmVbds = new TreeSet<>(refs(db, vm, "VBDs"));
        TreeSet<String> vmDisks = new TreeSet<>();
        List<String> vmCdVbds = new ArrayList<>();
        for (String vbd : vmVbds) {
            if ("Disk".equals(db.get(vbd, VBD.TYPE))) vmDisks.add((String) db.get(vbd, VBD.VDI));
            else vmCdVbds.add(vbd);
        }
        Set<String> withoutSnapshot = new TreeSet<>(vmDisks);
        withoutSnapshot.removeAll(snapDisksSnapshotOf);
        Set<String> disksToDestroy = new TreeSet<>(vmDisks);
        disksToDestroy.removeAll(withoutSnapshot);
        disksToDestroy.add((String) db.get(vm, VM.SUSPEND_VDI));
        Set<String> vbdsToDestroy = new TreeSet<>();
        for (String vbd : vmVbds) {
            String vdi = (String) db.get(vbd, VBD.VDI);
            if (disksToDestroy.contains(vdi) || withoutSnapshot.contains(vdi)) vbdsToDestroy.add(vbd);
        }
        vbdsToDestroy.addAll(vmCdVbds);
        // clear space first: the old VBDs and the disks the snapshot replaces
        for (String vbd : vbdsToDestroy) {
            if (ctx.db().snapshot().exists("VBD", vbd)) ctx.api().vbd().destroy(vbd);
        }
        for (String vdi : disksToDestroy) {
            DbReader now = ctx.db().snapshot();
            if (!now.exists("VDI", vdi)) continue;
            if ("iso".equals(now.get("SR", (String) now.get(vdi, VDI.SR), "content_type"))) continue;
            ctx.api().vdi().destroy(vdi);
        }
        ctx.setProgress(0.2);
        Map<String, String> driverParams = Map.of(VmCloner.EPOCH_HINT, Rows.uuid());
        List<String> toClone = new ArrayList<>(snapDiskVbds);
        List<String> previousSnapshotOf = new ArrayList<>();
        for (String vbd : toClone)
            previousSnapshotOf.add(vdiSnapshotOf(ctx.db().snapshot(), (String) db.get(vbd, VBD.VDI)));
        List<VmCloner.ClonedDisk> cloned = cloner.cloneDisks(ctx, toClone, VmCloner.DiskOp.CLONE, null, driverParams);
        List<VmCloner.ClonedDisk> made = new ArrayList<>(cloned);
        try {
            List<VmCloner.ClonedDisk> cds =
                    cloner.cloneDisks(ctx, new ArrayList<>(snapCdVbds), VmCloner.DiskOp.CLONE, null, driverParams);
            made.addAll(cds);
            ctx.setProgress(0.5);
            // the snapshots of the replaced disks now hang off the new disks
            ctx.db().transact(tx -> {
                for (int i = 0; i < cloned.size(); i++) {
                    String old = previousSnapshotOf.get(i);
                    for (String s : tx.getAllWhere("VDI", "field \"snapshot_of\" = \"" + old + "\"")) {
                        tx.set(s, VDI.SNAPSHOT_OF, cloned.get(i).vdi());
                    }
                }
            });
            String snapSuspend = (String) db.get(snapshot, VM.SUSPEND_VDI);
            String suspend =
                    Refs.isNull(snapSuspend) ? Refs.NULL : ctx.api().vdi().clone(snapSuspend, driverParams);
            if (!Refs.isNull(suspend)) made.add(new VmCloner.ClonedDisk(Refs.NULL, suspend, true));
            ctx.setProgress(0.6);
            List<String> newVbds = new ArrayList<>();
            ctx.db().transact(tx -> {
                for (VmCloner.ClonedDisk d : cloned) newVbds.add(Vbds.copy(tx, d.vbd(), vm, d.vdi()));
                for (VmCloner.ClonedDisk d : cds) newVbds.add(Vbds.copy(tx, d.vbd(), vm, d.vdi()));
                tx.set(vm, VM.SUSPEND_VDI, suspend);
            });
            for (String vbd : newVbds) services.allowed().update("VBD", vbd);
            ctx.setProgress(0.7);
            for (String vif : refs(ctx.db().snapshot(), vm, "VIFs"))
                ctx.api().vif().destroy(vif);
            List<String> newVifs = new ArrayList<>();
            ctx.db().transact(tx -> {
                for (String vif : tx.get(snapshot, VM.VIFS)) newVifs.add(Vifs.copy(tx, vif, vm, true));
            });
            for (String vif : newVifs) services.allowed().update("VIF", vif);
            ctx.setProgress(0.8);
            ctx.db().transact(tx -> {
                for (String vusb : tx.get(vm, VM.VUSBS)) tx.delete("VUSB", vusb);
                for (String vgpu : tx.get(vm, VM.VGPUS)) tx.delete("VGPU", vgpu);
                for (String vtpm : tx.get(vm, VM.VTPMS)) tx.delete("VTPM", vtpm);
            });
            ctx.setProgress(0.9);
        } catch (RuntimeException e) {
            cloner.deleteVdis(ctx, made);
            throw e;
        }
    }

    /** A VDI's {@code snapshot_of}, or NULL when the VDI is gone. */
    private static String vdiSnapshotOf(DbReader db, String vdi) {
        return db.exists("VDI", vdi) ? (String) db.get(vdi, VDI.SNAPSHOT_OF) : Refs.NULL;
    }

    /**
     * {@code create_vm_from_snapshot}: the snapshot's VM, gone, made again from the snapshot's record
     * (halted, no suspend image) and metadata, with its old uuid; every snapshot of it points at it.
     */
    private String createVmFromSnapshot(CallContext ctx, String snapshot) {
        DbReader db = ctx.db().snapshot();
        String oldVm = (String) db.get(snapshot, VM.SNAPSHOT_OF);
        try {
            List<String> snapshots = db.getAllWhere("VM", "field \"snapshot_of\" = \"" + oldVm + "\"");
            List<String[]> meta = SnapshotMetadata.parse((String) db.get(snapshot, VM.SNAPSHOT_METADATA));
            String uuid = null;
            for (String[] kv : meta) if (kv[0].equals("uuid")) uuid = kv[1];
            if (uuid == null) throw new IllegalStateException("no uuid in the snapshot metadata");
            Map<String, Object> rec = new LinkedHashMap<>();
            Map<String, Object> snap = db.getRecord("VM", snapshot);
            var cls = db.datamodel().cls("VM");
            for (var f : cls.wireFields()) {
                if (f.qualifier() == org.xapijava.model.Qualifier.RW
                        || f.qualifier() == org.xapijava.model.Qualifier.STATIC_RO) {
                    rec.put(f.name(), snap.get(f.name()));
                }
            }
            rec.put("suspend_VDI", Refs.NULL);
            rec.put("power_state", "Halted");
            String newVm = ctx.api().vm().create(rec);
            try {
                String u = uuid;
                List<String[]> fixed = ensureDomainType(meta);
                ctx.db().transact(tx -> {
                    tx.set(newVm, VM.UUID, u);
                    SnapshotMetadata.copyFields(tx, fixed, newVm, DO_NOT_COPY, OVERRIDES);
                    for (String s : snapshots) tx.set(s, VM.SNAPSHOT_OF, newVm);
                });
                return newVm;
            } catch (RuntimeException e) {
                ctx.api().vm().destroy(newVm);
                throw e;
            }
        } catch (RuntimeException e) {
            throw new ApiError("VM_REVERT_FAILED", snapshot, oldVm);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> refs(DbReader db, String vm, String field) {
        return (List<String>) db.get("VM", vm, field);
    }
}
