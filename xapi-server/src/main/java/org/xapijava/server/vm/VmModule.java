package org.xapijava.server.vm;

import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.DbReader;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.Services;
import org.xapijava.server.api.ApiModule;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.storage.InternalCalls;

/**
 * The VM, VBD and VIF object messages: {@code VM.create}, {@code destroy}, {@code clone},
 * {@code copy}, {@code snapshot}, {@code revert}, {@code provision}, {@code set_is_a_template},
 * {@code get_allowed_VBD_devices}, {@code get_allowed_VIF_devices}; {@code VBD.create},
 * {@code VBD.destroy}; {@code VIF.create}, {@code VIF.destroy}. Power operations are not here.
 *
 * <p>These are the bodies of the messages (Xapi's {@code Local} side): checking and marking
 * {@code current_operations} (e.g. {@code clone} on the VM) is the forwarding layer's, wrapped around
 * them by {@link org.xapijava.server.ops.Locks#applyForwarding}. The bodies recompute
 * {@code allowed_operations} of the objects they create.
 */
public final class VmModule implements ApiModule {
    private static final Logger LOG = LoggerFactory.getLogger(VmModule.class);

    private final Services services;
    private final InternalCalls calls;
    private final VmCloner cloner;
    private final VmReverter reverter;
    private final VmProvisioner provisioner;

    public VmModule(Services services, InternalCalls calls) {
        this.services = services;
        this.calls = calls;
        this.cloner = new VmCloner(services, calls);
        this.reverter = new VmReverter(services, calls, cloner);
        this.provisioner = new VmProvisioner(services, calls);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void register(MessageTable t) {
        t.bind("VM.create", (ctx, a) -> Vms.create(services, ctx, (Map<String, Object>) a.get(0)));
        t.bind("VM.destroy", (ctx, a) -> {
            Vms.destroy(ctx, (String) a.get(0));
            return null;
        });
        t.bind(
                "VM.clone",
                (ctx, a) -> cloneOrCopy(ctx, (String) a.get(0), (String) a.get(1), VmCloner.DiskOp.CLONE, null));
        t.bind("VM.copy", (ctx, a) -> copy(ctx, (String) a.get(0), (String) a.get(1), (String) a.get(2)));
        t.bind("VM.snapshot", (ctx, a) -> snapshot(ctx, (String) a.get(0), (String) a.get(1), (List<String>) a.get(2)));
        services.locks().beforeMarking("VM.revert", (ctx, a) -> reverter.ensureVm(ctx, (String) a.get(0)));
        t.bind("VM.revert", (ctx, a) -> {
            reverter.revert(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.provision", (ctx, a) -> {
            provisioner.provision(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.set_is_a_template", (ctx, a) -> {
            Vms.setIsATemplate(services, ctx, (String) a.get(0), (Boolean) a.get(1));
            return null;
        });
        t.bind(
                "VM.get_allowed_VBD_devices",
                (ctx, a) -> Vbds.allowedDiskNumbers(ctx.db().snapshot(), (String) a.get(0)));
        t.bind(
                "VM.get_allowed_VIF_devices",
                (ctx, a) -> Vifs.allowedDevices(ctx.db().snapshot(), (String) a.get(0)));
        t.bind("VBD.create", (ctx, a) -> {
            String vbd = Vbds.create(ctx, (Map<String, Object>) a.get(0));
            services.locks().updateAllowedOperations("VBD", vbd);
            return vbd;
        });
        t.bind("VBD.destroy", (ctx, a) -> {
            Vbds.destroy(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VIF.create", (ctx, a) -> {
            String vif = Vifs.create(ctx, (Map<String, Object>) a.get(0));
            services.locks().updateAllowedOperations("VIF", vif);
            return vif;
        });
        t.bind("VIF.destroy", (ctx, a) -> {
            Vifs.destroy(ctx, (String) a.get(0));
            return null;
        });
    }

    /** {@code VM.clone} / {@code VM.copy}; a clone of a snapshot that is not halted is shut down. */
    private String cloneOrCopy(CallContext ctx, String vm, String newName, VmCloner.DiskOp op, String sr) {
        setCancellable(ctx);
        String created = cloner.clone(ctx, vm, newName, op, sr, List.of());
        DbReader db = ctx.db().snapshot();
        if (Boolean.TRUE.equals(db.get("VM", vm, "is_a_snapshot"))
                && !"Halted".equals(db.get("VM", created, "power_state"))) {
            calls.call(ctx, "VM.hard_shutdown", created);
        }
        return created;
    }

    /**
     * {@code VM.copy}: an SR that does not exist means "each disk in its own SR" (not an error); an ISO
     * SR is refused.
     */
    private String copy(CallContext ctx, String vm, String newName, String sr) {
        DbReader db = ctx.db().snapshot();
        String target = db.exists("SR", sr) ? sr : null;
        if (target != null && "iso".equals(db.get("SR", target, "content_type"))) {
            throw new ApiError("OPERATION_NOT_ALLOWED", "Cannot copy a VM's disks to an ISO SR");
        }
        return cloneOrCopy(ctx, vm, newName, VmCloner.DiskOp.COPY, target);
    }

    /** {@code VM.snapshot}, then the {@code VM_SNAPSHOTTED} message. */
    private String snapshot(CallContext ctx, String vm, String newName, List<String> ignoreVdis) {
        setCancellable(ctx);
        String snap = cloner.clone(ctx, vm, newName, VmCloner.DiskOp.SNAPSHOT, null, ignoreVdis);
        DbReader db = ctx.db().snapshot();
        alert(
                services,
                "VM_SNAPSHOTTED",
                vm,
                "VM '" + db.get("VM", vm, "name_label") + "' (uuid: " + db.get("VM", vm, "uuid")
                        + ") snapshotted, snapshot name: " + newName);
        return snap;
    }

    /** Long disk operations can be cancelled between disks ({@code TaskHelper.set_cancellable}). */
    private void setCancellable(CallContext ctx) {
        if (ctx.taskRef() != null) services.tasks().setCancellable(ctx.taskRef(), null);
    }

    /** A VM message (alert) of priority 5, as Xapi's forwarding layer sends; failures are ignored. */
    static void alert(Services services, String name, String vm, String body) {
        try {
            String uuid = (String) services.db().snapshot().get("VM", vm, "uuid");
            services.alerts().create(name, 5, "VM", uuid, body);
        } catch (RuntimeException e) {
            LOG.debug("could not send {} for {}", name, vm, e);
        }
    }
}
