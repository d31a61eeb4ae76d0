package org.xapijava.server.vm;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.xenops.Lifecycle;

/**
 * {@code VM.checkpoint} and {@code VM.restart_device_models}, the VM messages that take a running guest's domain down
 * and bring it back.
 *
 * <p>{@code checkpoint} is Xapi's {@code Xapi_vm_snapshot.checkpoint}: licensed ({@code LICENCE_RESTRICTION
 * [Checkpoint]}); a running VM's disks must all be in SRs that can snapshot ({@code SR_OPERATION_NOT_SUPPORTED [vm]});
 * the VM is suspended ({@code Xapi_xenops.suspend}: its memory saved to a new suspend image, the domain destroyed, the
 * VM kept resident because the operation is marked), its disks and suspend image snapshotted into a new Suspended
 * snapshot ({@link VmCloner.DiskOp#CHECKPOINT}), then the VM resumed from its image (a new domain; the image is
 * destroyed). A paused or suspended VM is not suspended again: a suspended one gives a Suspended checkpoint with a
 * snapshot of its image, a paused one a Halted snapshot without memory. The lock ({@code checkpoint} on the VM) and
 * the power-state checks are the forwarding stage's; {@code VM_CHECKPOINTED} is sent after.
 *
 * <p>{@code restart_device_models}: Xapi refuses a VM that is not running ({@code VM_BAD_POWER_STATE [vm, running,
 * state]}) and otherwise migrates the VM to the host it runs on ({@code VM.pool_migrate} with {@code live=true},
 * which makes a new domain with new device models); it makes that call here too, through the API. Thread-safe.
 */
public final class VmCheckpoint implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(VmCheckpoint.class);

    /** The SM capability every SR of a running VM's disks needs ({@code Smint.Feature.Vdi_snapshot}). */
    static final String VDI_SNAPSHOT = "VDI_SNAPSHOT";
    /**
     * {@code VM.pool_migrate}'s option for a live migration (an option key, not the guest metrics field of that name:
     * the one entry of this file in {@code string-names-baseline.txt}).
     */
    static final String LIVE = "live";

    private final Db data;
    private final String poolRef;
    private final TaskManager tasks;
    private final VmCloner cloner;
    private final Lifecycle lifecycle;

    public VmCheckpoint(
            Db data, Clock clock, String poolRef, TaskManager tasks, AllowedOperations allowed, Lifecycle lifecycle) {
        this.data = data;
        this.poolRef = poolRef;
        this.tasks = tasks;
        this.cloner = new VmCloner(data, clock, allowed);
        this.lifecycle = lifecycle;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Api());
    }

    private final class Api implements VMApi {
        @Override
        public String checkpoint(CallContext ctx, String vm, String newName) {
            return VmCheckpoint.this.checkpoint(ctx, vm, newName);
        }

        @Override
        public void restartDeviceModels(CallContext ctx, String self) {
            VmCheckpoint.this.restartDeviceModels(ctx, self);
        }
    }

    /** {@code VM.checkpoint}, then the {@code VM_CHECKPOINTED} message. */
    String checkpoint(CallContext ctx, String vm, String newName) {
        PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.Checkpoint);
        if (ctx.taskRef() != null) tasks.setCancellable(ctx.taskRef(), null);
        VmssRun.showTaskInXenCenter(data, ctx, vm);
        boolean running = "Running".equals(data.get(vm, VM.POWER_STATE));
        // Xapi passes an empty snapshot_info for a VM it does not suspend
        Map<String, String> snapshotInfo = new LinkedHashMap<>();
        if (running) {
            snapshotInfo.put("disk-snapshot-type", "crash_consistent");
            snapshotInfo.put("power-state-at-snapshot", "Running");
            assertSrsCanSnapshot(vm);
            lifecycle.suspendDomain(ctx, vm);
        }
        String snap = null;
        RuntimeException failure = null;
        if (!cancelling(ctx)) {
            try {
                snap = cloner.clone(ctx, vm, newName, VmCloner.DiskOp.CHECKPOINT, null, List.of(), snapshotInfo);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (running) {
            LOG.debug("Performing a slow resume");
            try {
                lifecycle.resumeDomain(ctx, vm, false);
            } catch (RuntimeException e) {
                if (failure != null) e.addSuppressed(failure);
                throw e;
            }
        }
        if (snap == null) {
            if (failure == null || (failure instanceof ApiError a && a.code().equals(ErrorCodes.TASK_CANCELLED))) {
                throw new ApiError(ErrorCodes.TASK_CANCELLED, ctx.taskRef() == null ? Refs.NULL : ctx.taskRef());
            }
            throw failure;
        }
        return snap;
    }

    private boolean cancelling(CallContext ctx) {
        return ctx.taskRef() != null && tasks.isCancelling(ctx.taskRef());
    }

    /** Every SR holding one of the VM's non-CD disks has {@code VDI_SNAPSHOT}; else {@code SR_OPERATION_NOT_SUPPORTED [vm]}. */
    private void assertSrsCanSnapshot(String vm) {
        Set<String> srs = new LinkedHashSet<>();
        for (String vbd : data.get(vm, VM.VBDS)) {
            if ("CD".equals(data.get(vbd, VBD.TYPE))) continue;
            String vdi = data.get(vbd, VBD.VDI);
            if (data.isValid(VDI.XAPI_CLASS, vdi)) srs.add(data.get(vdi, VDI.SR));
        }
        for (String sr : srs) {
            if (!srFeatures(sr).contains(VDI_SNAPSHOT)) throw new ApiError(ErrorCodes.SR_OPERATION_NOT_SUPPORTED, vm);
        }
    }

    /** {@code Xapi_sr_operations.features_of_sr}: the capabilities of the SM driver of the SR's type. */
    private Set<String> srFeatures(String sr) {
        String type = data.get(sr, SR.TYPE);
        for (String sm : data.where(SM.TYPE, type))
            return data.get(sm, SM.FEATURES).keySet();
        return Set.of();
    }

    /** {@code VM.restart_device_models}: a running VM migrated live to its own host. */
    void restartDeviceModels(CallContext ctx, String vm) {
        String state = data.get(vm, VM.POWER_STATE);
        if (!state.equals("Running")) {
            throw new ApiError(ErrorCodes.VM_BAD_POWER_STATE, vm, "running", state.toLowerCase(java.util.Locale.ROOT));
        }
        String host = data.get(vm, VM.RESIDENT_ON);
        ctx.api().vm().poolMigrate(vm, host, Map.of(LIVE, "true"));
    }
}
