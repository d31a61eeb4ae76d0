package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VGPU;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.VTPM;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.forward.Placements;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.xenops.BootChecks;

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

    private final Db data;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final VmCloner cloner;

    VmReverter(Db data, TaskManager tasks, AllowedOperations allowed, VmCloner cloner) {
        this.data = data;
        this.tasks = tasks;
        this.allowed = allowed;
        this.cloner = cloner;
    }

    /**
     * The VM of {@code snapshot}, re-created from the snapshot when it no longer exists. Xapi's
     * forwarding layer does this before it marks the snapshot {@code revert} and the VM {@code reverting}.
     */
    String ensureVm(CallContext ctx, String snapshot) {
        if (!data.exists(VM.XAPI_CLASS, snapshot)) throw ApiError.handleInvalid(VM.XAPI_CLASS, snapshot);
        String vm = data.get(snapshot, VM.SNAPSHOT_OF);
        return !Refs.isNull(vm) && data.exists(VM.XAPI_CLASS, vm) ? vm : createVmFromSnapshot(ctx, snapshot);
    }

    /**
     * The best-effort check of Xapi's forwarding layer before a revert clears the VM's disks: a suspended snapshot's
     * memory image is on an SR with a plugged PBD ({@code SR_HAS_NO_PBDS [sr]}) whose host is live ({@code
     * HOST_NOT_LIVE [host]}), so that the revert is unlikely to fail half-way.
     */
    private void assertMemoryImageReachable(String snapshot) {
        if (!"Suspended".equals(data.get(snapshot, VM.POWER_STATE))) return;
        String image = data.get(snapshot, VM.SUSPEND_VDI);
        if (!data.exists(VDI.XAPI_CLASS, image)) return;
        String host = Placements.srHost(data, data.get(image, VDI.SR));
        if (host != null && !BootChecks.isHostLive(data, host)) throw new ApiError(ErrorCodes.HOST_NOT_LIVE, host);
    }

    /** Reverts the VM of {@code snapshot} to it. */
    void revert(CallContext ctx, String snapshot) {
        String vm = ensureVm(ctx, snapshot);
        assertMemoryImageReachable(snapshot);
        // a task of its own: the VM is marked reverting under this call's task
        if (!"Halted".equals(data.get(vm, VM.POWER_STATE)))
            ctx.apiInOwnTask().vm().hardShutdown(vm);
        revertFields(ctx, snapshot, vm);
        String target = vm;
        Db.retrying(() -> {
            String genid = data.get(target, VM.GENERATION_ID);
            data.apply(Update.builder()
                    .expect(target, VM.GENERATION_ID, genid, null)
                    .set(target, VM.GENERATION_ID, VmCloner.freshGenerationId(genid))
                    .build());
        });
        String powerState = data.get(snapshot, VM.POWER_STATE);
        if (ctx.taskRef() != null) tasks.setNotCancellable(ctx.taskRef());
        try {
            revertDevices(ctx, snapshot, vm);
            Db.retrying(() -> {
                Update.Builder u = Update.builder()
                        .unchanged(VM.XAPI_CLASS, target, data.modified(VM.XAPI_CLASS, target))
                        .unchanged(VM.XAPI_CLASS, snapshot, data.modified(VM.XAPI_CLASS, snapshot));
                // guest metrics and metrics: the snapshot's, copied
                String gm = data.get(target, VM.GUEST_METRICS);
                Rows.deleteIfValid(data, u, VMGuestMetrics.XAPI_CLASS, gm);
                boolean sharedGm = gm.equals(data.get(snapshot, VM.GUEST_METRICS));
                u.set(target, VM.GUEST_METRICS, sharedGm ? Refs.NULL : Rows.copyGuestMetrics(data, u, snapshot));
                String m = data.get(target, VM.METRICS);
                String snapMetrics = data.get(snapshot, VM.METRICS);
                Rows.deleteIfValid(data, u, VMMetrics.XAPI_CLASS, m);
                OptionalLong snapMetricsRead =
                        m.equals(snapMetrics) ? OptionalLong.empty() : data.version(VMMetrics.XAPI_CLASS, snapMetrics);
                String metrics = Refs.NULL;
                if (snapMetricsRead.isPresent()) {
                    u.unchanged(VMMetrics.XAPI_CLASS, snapMetrics, snapMetricsRead.getAsLong());
                    metrics = Rows.copy(data, u, VMMetrics.UUID, snapMetrics);
                }
                u.set(target, VM.METRICS, metrics);
                u.set(target, VM.PARENT, snapshot);
                Rows.resetPowerState(data, u, target, powerState);
                data.apply(u.build());
            });
            ctx.setProgress(1.0);
            allowed.update(VM.XAPI_CLASS, target);
        } catch (RuntimeException e) {
            Db.retrying(() -> {
                OptionalLong read = data.version(VM.XAPI_CLASS, target);
                if (read.isEmpty()) return;
                Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, target, read.getAsLong());
                Rows.resetPowerState(data, u, target, "Halted");
                data.apply(u.build());
            });
            allowed.update(VM.XAPI_CLASS, target);
            if (e instanceof ApiError a
                    && (a.code().equals("SR_BACKEND_FAILURE_44")
                            || a.code().equals("SR_BACKEND_FAILURE_109")
                            || a.code().equals("VDI_INCOMPATIBLE_TYPE"))) {
                throw a;
            }
            throw new ApiError("VM_REVERT_FAILED", snapshot, vm);
        }
    }

    /** {@code revert_vm_fields}: the VM's fields as the snapshot recorded them. */
    private void revertFields(CallContext ctx, String snapshot, String vm) {
        String meta = data.get(snapshot, VM.SNAPSHOT_METADATA);
        boolean postMnr = !meta.isEmpty();
        // without recorded metadata, the snapshot's own row as metadata (every column)
        List<String[]> pairs = SnapshotMetadata.parse(postMnr ? meta : SnapshotMetadata.of(data, snapshot));
        Update.Builder u = Update.builder();
        SnapshotMetadata.copyFields(
                u, ensureDomainType(pairs), vm, postMnr ? DO_NOT_COPY : EXTENDED_DO_NOT_COPY, OVERRIDES);
        data.apply(u.build());
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
        // Xapi works on sets ordered by reference
        TreeSet<String> snapDiskVbds = new TreeSet<>();
        TreeSet<String> snapCdVbds = new TreeSet<>();
        for (String vbd : data.get(snapshot, VM.VBDS)) {
            ("Disk".equals(data.get(vbd, VBD.TYPE)) ? snapDiskVbds : snapCdVbds).add(vbd);
        }
        Map<String, String> snapVdis = new LinkedHashMap<>();
        for (String vbd : snapDiskVbds) snapVdis.put(vbd, data.get(vbd, VBD.VDI));
        Set<String> snapDisksSnapshotOf = new TreeSet<>();
        for (String vdi : snapVdis.values()) snapDisksSnapshotOf.add(vdiSnapshotOf(data, vdi));
        TreeSet<String> vmVbds = new TreeSet<>(data.get(vm, VM.VBDS));
        Map<String, String> vmVdis = new LinkedHashMap<>();
        TreeSet<String> vmDisks = new TreeSet<>();
        List<String> vmCdVbds = new ArrayList<>();
        for (String vbd : vmVbds) {
            vmVdis.put(vbd, data.get(vbd, VBD.VDI));
            if ("Disk".equals(data.get(vbd, VBD.TYPE))) vmDisks.add(vmVdis.get(vbd));
            else vmCdVbds.add(vbd);
        }
        Set<String> withoutSnapshot = new TreeSet<>(vmDisks);
        withoutSnapshot.removeAll(snapDisksSnapshotOf);
        Set<String> disksToDestroy = new TreeSet<>(vmDisks);
        disksToDestroy.removeAll(withoutSnapshot);
        disksToDestroy.add(data.get(vm, VM.SUSPEND_VDI));
        Set<String> vbdsToDestroy = new TreeSet<>();
        for (String vbd : vmVbds) {
            String vdi = vmVdis.get(vbd);
            if (disksToDestroy.contains(vdi) || withoutSnapshot.contains(vdi)) vbdsToDestroy.add(vbd);
        }
        vbdsToDestroy.addAll(vmCdVbds);
        String snapSuspend = data.get(snapshot, VM.SUSPEND_VDI);
        // clear space first: the old VBDs and the disks the snapshot replaces
        for (String vbd : vbdsToDestroy) {
            if (data.exists(VBD.XAPI_CLASS, vbd)) ctx.api().vbd().destroy(vbd);
        }
        for (String vdi : disksToDestroy) {
            if (Refs.isNull(vdi) || !data.exists(VDI.XAPI_CLASS, vdi)) continue;
            if ("iso".equals(data.get(data.get(vdi, VDI.SR), SR.CONTENT_TYPE))) continue;
            ctx.api().vdi().destroy(vdi);
        }
        ctx.setProgress(0.2);
        Map<String, String> driverParams = Map.of(VmCloner.EPOCH_HINT, Rows.uuid());
        List<String> toClone = new ArrayList<>(snapDiskVbds);
        List<String> previousSnapshotOf = new ArrayList<>();
        for (String vbd : toClone) previousSnapshotOf.add(vdiSnapshotOf(data, snapVdis.get(vbd)));
        List<VmCloner.ClonedDisk> cloned = cloner.cloneDisks(ctx, toClone, VmCloner.DiskOp.CLONE, null, driverParams);
        List<VmCloner.ClonedDisk> made = new ArrayList<>(cloned);
        try {
            List<VmCloner.ClonedDisk> cds =
                    cloner.cloneDisks(ctx, new ArrayList<>(snapCdVbds), VmCloner.DiskOp.CLONE, null, driverParams);
            made.addAll(cds);
            ctx.setProgress(0.5);
            // the snapshots of the replaced disks now hang off the new disks
            Db.retrying(() -> {
                Update.Builder u = Update.builder();
                for (int i = 0; i < cloned.size(); i++) {
                    String old = previousSnapshotOf.get(i);
                    for (String s : data.where(VDI.SNAPSHOT_OF, old)) {
                        u.expect(s, VDI.SNAPSHOT_OF, old, null)
                                .set(s, VDI.SNAPSHOT_OF, cloned.get(i).vdi());
                    }
                }
                if (!u.isEmpty()) data.apply(u.build());
            });
            String suspend =
                    Refs.isNull(snapSuspend) ? Refs.NULL : ctx.api().vdi().clone(snapSuspend, driverParams);
            if (!Refs.isNull(suspend)) made.add(new VmCloner.ClonedDisk(Refs.NULL, suspend, true));
            ctx.setProgress(0.6);
            List<String> newVbds = new ArrayList<>();
            Db.retrying(() -> {
                newVbds.clear();
                Update.Builder u = Update.builder();
                for (VmCloner.ClonedDisk d : cloned) newVbds.add(Vbds.copy(data, u, d.vbd(), vm, d.vdi()));
                for (VmCloner.ClonedDisk d : cds) newVbds.add(Vbds.copy(data, u, d.vbd(), vm, d.vdi()));
                data.apply(u.set(vm, VM.SUSPEND_VDI, suspend).build());
            });
            for (String vbd : newVbds) allowed.update(VBD.XAPI_CLASS, vbd);
            ctx.setProgress(0.7);
            for (String vif : data.get(vm, VM.VIFS)) ctx.api().vif().destroy(vif);
            List<String> newVifs = new ArrayList<>();
            Db.retrying(() -> {
                newVifs.clear();
                Update.Builder u = Update.builder()
                        .unchanged(VM.XAPI_CLASS, snapshot, data.modified(VM.XAPI_CLASS, snapshot))
                        .unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
                List<Long> devices = new ArrayList<>();
                for (String vif : data.get(snapshot, VM.VIFS)) newVifs.add(Vifs.copy(data, u, vif, vm, true, devices));
                if (!u.isEmpty()) data.apply(u.build());
            });
            for (String vif : newVifs) allowed.update(VIF.XAPI_CLASS, vif);
            ctx.setProgress(0.8);
            Db.retrying(() -> {
                Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
                for (String vusb : data.get(vm, VM.VUSBS)) u.delete(VUSB.XAPI_CLASS, vusb);
                for (String vgpu : data.get(vm, VM.VGPUS)) u.delete(VGPU.XAPI_CLASS, vgpu);
                // update_vtpm: the VM's own go (with their contents), copies of the snapshot's come
                for (String vtpm : data.get(vm, VM.VTPMS)) {
                    if (data.exists(VTPM.XAPI_CLASS, vtpm)) Vtpms.delete(data, u, vtpm);
                }
                for (String vtpm : data.get(snapshot, VM.VTPMS)) Vtpms.copy(data, u, vtpm, vm);
                if (!u.isEmpty()) data.apply(u.build());
            });
            ctx.setProgress(0.9);
        } catch (RuntimeException e) {
            cloner.deleteVdis(ctx, made);
            throw e;
        }
    }

    /** A VDI's {@code snapshot_of}, or NULL when the VDI is gone. */
    private static String vdiSnapshotOf(Db data, String vdi) {
        return !Refs.isNull(vdi) && data.exists(VDI.XAPI_CLASS, vdi) ? data.get(vdi, VDI.SNAPSHOT_OF) : Refs.NULL;
    }

    /**
     * {@code create_vm_from_snapshot}: the snapshot's VM, gone, made again from the snapshot's record
     * (halted, no suspend image) and metadata, with its old uuid; every snapshot of it points at it.
     */
    private String createVmFromSnapshot(CallContext ctx, String snapshot) {
        String oldVm = data.get(snapshot, VM.SNAPSHOT_OF);
        try {
            List<String> snapshots = data.where(VM.SNAPSHOT_OF, oldVm);
            List<String[]> meta = SnapshotMetadata.parse(data.get(snapshot, VM.SNAPSHOT_METADATA));
            String uuid = null;
            for (String[] kv : meta) if (kv[0].equals(VM.UUID.name())) uuid = kv[1];
            if (uuid == null) throw new IllegalStateException("no uuid in the snapshot metadata");
            Map<String, Object> rec = new LinkedHashMap<>();
            Map<String, Object> snap = data.record(VM.XAPI_CLASS, snapshot);
            for (var f : Datamodel.get().cls(VM.XAPI_CLASS).wireFields()) {
                if (f.qualifier() == org.xapijava.model.Qualifier.RW
                        || f.qualifier() == org.xapijava.model.Qualifier.STATIC_RO) {
                    rec.put(f.name(), snap.get(f.name()));
                }
            }
            rec.put(VM.SUSPEND_VDI.name(), Refs.NULL);
            rec.put(VM.POWER_STATE.name(), "Halted");
            String newVm = ctx.api().vm().create(rec);
            try {
                Update.Builder u = Update.builder().set(newVm, VM.UUID, uuid);
                SnapshotMetadata.copyFields(u, ensureDomainType(meta), newVm, DO_NOT_COPY, OVERRIDES);
                for (String s : snapshots) u.set(s, VM.SNAPSHOT_OF, newVm);
                data.apply(u.build());
                return newVm;
            } catch (RuntimeException e) {
                ctx.api().vm().destroy(newVm);
                throw e;
            }
        } catch (RuntimeException e) {
            throw new ApiError("VM_REVERT_FAILED", snapshot, oldVm);
        }
    }
}
