package org.xapijava.server.xenops;

import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.VIF;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Xenops;

/**
 * Changes to a plugged VIF of a running VM through xenopsd, as Xapi's {@code Xapi_xenops.vif_set_locking_mode},
 * {@code vif_set_ipv4_configuration}, {@code vif_set_ipv6_configuration} and {@code vif_move} make them: the VIF's
 * metadata built from the database as it is now ({@code md_of_vif}, the locking mode resolved against the
 * network's default), xenopsd's task run under the caller's task, then a wait until the event thread has applied
 * the VM's changes; xenopsd's failures reach the caller as XenAPI errors. Callers check that the device is active
 * and run on the VM's host. Thread-safe.
 */
public final class VifLive {
    private static final Logger LOG = LoggerFactory.getLogger(VifLive.class);

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final TaskBinding tasks;
    private final StateSync sync;
    private final Lifecycle lifecycle;

    VifLive(Db data, String hostRef, Xenops xenops, TaskBinding tasks, StateSync sync, Lifecycle lifecycle) {
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = xenops;
        this.tasks = tasks;
        this.sync = sync;
        this.lifecycle = lifecycle;
    }

    /** The common shape: the VIF's metadata now, one xenopsd task from it, then the VM's events applied. */
    private void call(CallContext ctx, String vif, String what, Function<Vif, String> task) {
        String vm = data.get(vif, VIF.VM);
        String dbg = TaskBinding.dbg(ctx);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            Vif md = MetadataBuilder.vif(data, vm, vif, hostRef);
            LOG.info("xenops: VIF.{} {}", what, md.id());
            tasks.syncWithTask(ctx, task.apply(md), true);
            sync.waitBarrier(dbg, md.id().vm());
        });
    }

    /** {@code vif_set_locking_mode}: the VIF's effective locking mode, with its allowed addresses when locked. */
    public void setLockingMode(CallContext ctx, String vif) {
        String dbg = TaskBinding.dbg(ctx);
        call(ctx, vif, "set_locking_mode", md -> xenops.vifSetLockingMode(dbg, md.id(), md.lockingMode()));
    }

    /** {@code vif_set_ipv4_configuration}: the guest's static IPv4 setting (or none). */
    public void setIpv4Configuration(CallContext ctx, String vif) {
        String dbg = TaskBinding.dbg(ctx);
        call(
                ctx,
                vif,
                "set_ipv4_configuration",
                md -> xenops.vifSetIpv4Configuration(dbg, md.id(), md.ipv4Configuration()));
    }

    /** {@code vif_set_ipv6_configuration}. */
    public void setIpv6Configuration(CallContext ctx, String vif) {
        String dbg = TaskBinding.dbg(ctx);
        call(
                ctx,
                vif,
                "set_ipv6_configuration",
                md -> xenops.vifSetIpv6Configuration(dbg, md.id(), md.ipv6Configuration()));
    }

    /**
     * {@code vif_move}, the database already showing the VIF on its new network: {@code attachNetwork} (the
     * host's side, {@code Xapi_network.attach_for_vif}) runs first, then xenopsd moves the device to the network's
     * backend; the VIF must still be attached afterwards.
     */
    public void move(CallContext ctx, String vif, Runnable attachNetwork) {
        String dbg = TaskBinding.dbg(ctx);
        call(ctx, vif, "move", md -> {
            if (md.backend() instanceof Vif.Sriov) {
                throw ApiError.internal("vif_move: Unable to move a network SR-IOV backed VIF " + vif);
            }
            attachNetwork.run();
            return xenops.vifMove(dbg, md.id(), md.backend());
        });
        if (!data.get(vif, VIF.CURRENTLY_ATTACHED)) {
            throw ApiError.internal("vif_move: Unable to plug moved VIF " + vif);
        }
    }
}
