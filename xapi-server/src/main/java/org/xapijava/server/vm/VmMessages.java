package org.xapijava.server.vm;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VBDApi;
import org.xapijava.server.api.gen.VIFApi;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.blob.Blobs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.task.TaskManager;

/**
 * The VM, VBD and VIF object messages: {@code VM.create}, {@code destroy}, {@code clone}, {@code csvm},
 * {@code copy}, {@code snapshot}, {@code revert}, {@code provision}, {@code set_is_a_template},
 * {@code get_allowed_VBD_devices}, {@code get_allowed_VIF_devices}; {@code VBD.create},
 * {@code VBD.destroy}; {@code VIF.create}, {@code VIF.destroy}. Power operations are not here.
 *
 * <p>These are the bodies of the messages (Xapi's {@code Local} side): checking and marking
 * {@code current_operations} (e.g. {@code clone} on the VM) is the dispatcher's forwarding stage's, which runs
 * them inside their lock plans ({@link org.xapijava.server.ops.Locks#withPlan}). The bodies recompute
 * {@code allowed_operations} of the objects they create.
 */
public final class VmMessages implements Messages {

    private final Db data;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final Vms vms;
    private final VmCloner cloner;
    private final VmReverter reverter;
    private final VmProvisioner provisioner;
    private final Blobs blobs;
    private volatile java.util.function.Consumer<String> afterDestroy = uuid -> {};

    /** @param blobs the blobs, whose files {@code VM.destroy} removes with the VM's blobs */
    public VmMessages(Db data, Clock clock, String poolRef, TaskManager tasks, AllowedOperations allowed, Blobs blobs) {
        this.data = data;
        this.blobs = blobs;
        this.tasks = tasks;
        this.allowed = allowed;
        this.vms = new Vms(data, clock, poolRef, allowed);
        this.cloner = new VmCloner(data, clock, allowed);
        this.reverter = new VmReverter(data, tasks, allowed, cloner);
        this.provisioner = new VmProvisioner(data, vms);
    }

    /** {@code then} runs with the uuid of each VM {@code VM.destroy} removed (the statistics' {@code remove_rrd}). */
    public void afterDestroy(java.util.function.Consumer<String> then) {
        this.afterDestroy = then;
    }

    /**
     * What {@code VM.revert} does before its lock plan marks anything (Xapi's forwarding layer re-creates the
     * snapshot's VM when it was deleted, with no lock held): register it with {@code Locks.beforeMarking}.
     */
    public Implementation revertPreparation() {
        return (ctx, a) -> {
            reverter.ensureVm(ctx, (String) a.get(0));
            return null;
        };
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Vm());
        VBDApi.bind(table, new Vbd());
        VIFApi.bind(table, new Vif());
    }

    private final class Vm implements VMApi {
        @Override
        public String create(CallContext ctx, Map<String, Object> args) {
            return vms.create(ctx, args);
        }

        @Override
        public void destroy(CallContext ctx, String self) {
            List<String> blobFiles = blobs.uuidsOf(self);
            String uuid = data.exists(org.xapijava.model.api.VM.XAPI_CLASS, self)
                    ? data.get(self, org.xapijava.model.api.VM.UUID)
                    : null;
            vms.destroy(ctx, self);
            blobs.removeGone(blobFiles);
            if (uuid != null) afterDestroy.accept(uuid);
        }

        @Override
        public String clone(CallContext ctx, String vm, String newName) {
            return cloneOrCopy(ctx, vm, newName, VmCloner.DiskOp.CLONE, null);
        }

        @Override
        public String csvm(CallContext ctx, String vm) {
            return VmMessages.this.csvm(ctx, vm);
        }

        @Override
        public String copy(CallContext ctx, String vm, String newName, String sr) {
            return VmMessages.this.copy(ctx, vm, newName, sr);
        }

        @Override
        public String snapshot(CallContext ctx, String vm, String newName, List<String> ignoreVdis) {
            return VmMessages.this.snapshot(ctx, vm, newName, ignoreVdis);
        }

        @Override
        public void revert(CallContext ctx, String snapshot) {
            reverter.revert(ctx, snapshot);
        }

        @Override
        public void provision(CallContext ctx, String vm) {
            provisioner.provision(ctx, vm);
        }

        @Override
        public void setIsATemplate(CallContext ctx, String vm, boolean value) {
            vms.setIsATemplate(ctx, vm, value);
        }

        @Override
        public List<String> getAllowedVBDDevices(CallContext ctx, String vm) {
            return Vbds.allowedDiskNumbers(ctx.data(), vm);
        }

        @Override
        public List<String> getAllowedVIFDevices(CallContext ctx, String vm) {
            return Vifs.allowedDevices(ctx.data(), vm);
        }
    }

    private final class Vbd implements VBDApi {
        @Override
        public String create(CallContext ctx, Map<String, Object> args) {
            String vbd = Vbds.create(ctx, args);
            allowed.update(VBD.XAPI_CLASS, vbd);
            return vbd;
        }

        @Override
        public void destroy(CallContext ctx, String self) {
            Vbds.destroy(ctx, self);
        }
    }

    private final class Vif implements VIFApi {
        @Override
        public String create(CallContext ctx, Map<String, Object> args) {
            String vif = Vifs.create(ctx, args);
            allowed.update(VIF.XAPI_CLASS, vif);
            return vif;
        }

        @Override
        public void destroy(CallContext ctx, String self) {
            Vifs.destroy(ctx, self);
        }
    }

    /** {@code VM.clone} / {@code VM.copy}; a clone of a snapshot that is not halted is shut down. */
    private String cloneOrCopy(CallContext ctx, String vm, String newName, VmCloner.DiskOp op, String sr) {
        setCancellable(ctx);
        String created = cloner.clone(ctx, vm, newName, op, sr, List.of());
        Db db = data;
        if (Boolean.TRUE.equals(db.get(vm, VM.IS_A_SNAPSHOT)) && !"Halted".equals(db.get(created, VM.POWER_STATE))) {
            ctx.api().vm().hardShutdown(created);
        }
        return created;
    }

    /**
     * {@code VM.csvm}, Xapi's undocumented "clone suspended VM" kept from Rio: a clone (the lock plan lets only a
     * Suspended VM through, so the suspend image is cloned too) named {@code <name>-cloned-suspended}, then the
     * {@code VM_CLONED} message on the original (made by the master once the call returned, {@code
     * xenops.LifecycleAlerts}).
     */
    private String csvm(CallContext ctx, String vm) {
        String name = data.get(vm, VM.NAME_LABEL);
        return cloner.clone(ctx, vm, name + "-cloned-suspended", VmCloner.DiskOp.CLONE, null, List.of());
    }

    /**
     * {@code VM.copy}: an SR that does not exist means "each disk in its own SR" (not an error); an ISO
     * SR is refused.
     */
    private String copy(CallContext ctx, String vm, String newName, String sr) {
        Db db = data;
        String target = db.exists(SR.XAPI_CLASS, sr) ? sr : null;
        if (target != null && "iso".equals(db.get(target, SR.CONTENT_TYPE))) {
            throw new ApiError("OPERATION_NOT_ALLOWED", "Cannot copy a VM's disks to an ISO SR");
        }
        return cloneOrCopy(ctx, vm, newName, VmCloner.DiskOp.COPY, target);
    }

    /** {@code VM.snapshot} ({@code VM_SNAPSHOTTED} is the master's, once the call returned: {@code LifecycleAlerts}). */
    private String snapshot(CallContext ctx, String vm, String newName, List<String> ignoreVdis) {
        setCancellable(ctx);
        VmssRun.showTaskInXenCenter(data, ctx, vm);
        return cloner.clone(ctx, vm, newName, VmCloner.DiskOp.SNAPSHOT, null, ignoreVdis);
    }

    /** Long disk operations can be cancelled between disks ({@code TaskHelper.set_cancellable}). */
    private void setCancellable(CallContext ctx) {
        if (ctx.taskRef() != null) tasks.setCancellable(ctx.taskRef(), null);
    }
}
