package org.xapijava.server.xenops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.VBD;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.VmState;
import org.xapijava.xenopsd.Xenops;

/**
 * The medium in a running VM's drive, changed as Xapi's {@code Xapi_xenops.vbd_insert} and {@code vbd_eject} change
 * it. A guest with a device model (xenopsd's {@code VM.stat} says {@code Domain_HVM}: {@code ejectable}) gets
 * xenopsd's {@code VBD.insert}/{@code VBD.eject} under the call's task; then the call waits until xenopsd's events
 * have reached the database (which is what sets the VBD's {@code VDI} and {@code empty}: {@code update_vbd}) and
 * the VM's metadata has been pushed again, and checks the VBD shows the change ({@code INTERNAL_ERROR} if not, with
 * Xapi's texts). Any other guest has no removable drive: the VBD is unplugged (eject) or given the VDI and plugged
 * (insert). Runs on the host the VM is resident on, inside the lock plan the forwarding stage took; checks are the
 * caller's. Thread-safe.
 */
public final class CdMedia {
    private static final Logger LOG = LoggerFactory.getLogger(CdMedia.class);

    private final Db data;
    private final Xenops xenops;
    private final TaskBinding tasks;
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final Lifecycle lifecycle;
    private final DeviceHotplug hotplug;

    public CdMedia(XenopsService service, Db data) {
        this.data = data;
        this.xenops = service.xenops();
        this.tasks = service.tasks();
        this.sync = service.sync();
        this.metadata = service.metadata();
        this.lifecycle = service.lifecycle();
        this.hotplug = service.hotplug();
    }

    /** {@code Xapi_xenops.vbd_insert}: {@code vdi} goes into the (empty) drive {@code vbd} of a running VM. */
    public void insert(CallContext ctx, String vbd, String vdi) {
        if (ejectable(ctx, vbd)) {
            insertHvm(ctx, vbd, vdi);
        } else {
            data.set(vbd, VBD.VDI, vdi);
            data.set(vbd, VBD.EMPTY, false);
            hotplug.vbdPlug(ctx, vbd);
        }
    }

    /** {@code Xapi_xenops.vbd_eject}: the drive {@code vbd} of a running VM is emptied. */
    public void eject(CallContext ctx, String vbd) {
        if (ejectable(ctx, vbd)) {
            ejectHvm(ctx, vbd);
        } else {
            hotplug.vbdUnplug(ctx, vbd, false);
            data.set(vbd, VBD.EMPTY, true);
            data.set(vbd, VBD.VDI, Refs.NULL);
        }
    }

    /** {@code VBD.unplug_force} and {@code unplug_force_no_safety_check}, which Xapi makes the same call. */
    public void unplugForce(CallContext ctx, String vbd) {
        hotplug.vbdUnplug(ctx, vbd, true);
    }

    /** {@code ejectable}: whether xenopsd runs the VBD's VM with a device model ({@code has_qemu}). */
    private boolean ejectable(CallContext ctx, String vbd) {
        String vm = data.get(vbd, VBD.VM);
        String dbg = TaskBinding.dbg(ctx);
        return lifecycle.transform(
                vm, () -> xenops.vmStat(dbg, lifecycle.uuid(vm)).state().domainType() == VmState.DomainType.Domain_HVM);
    }

    private void insertHvm(CallContext ctx, String vbd, String vdi) {
        String dbg = TaskBinding.dbg(ctx);
        String vm = data.get(vbd, VBD.VM);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            Vbd md = MetadataBuilder.vbd(data, vm, vbd);
            Disk d = MetadataBuilder.diskOfVdi(data, vdi);
            // Xapi's Option.get on a VDI without an SR locator
            if (d == null) throw ApiError.internal("Invalid_argument(\"option is None\")");
            LOG.info("xenops: VBD.insert {} {}", md.id(), d);
            tasks.syncWithTask(ctx, xenops.vbdInsert(dbg, md.id(), d), true);
            sync.waitBarrier(dbg, md.id().vm());
            metadata.update(dbg, vm);
            if (data.get(vbd, VBD.EMPTY)) throw ApiError.internal("vbd_insert_hvm: The VBD " + vbd + " is empty");
            if (!vdi.equals(data.get(vbd, VBD.VDI))) {
                // Xapi names the expected VDI twice
                throw ApiError.internal("vbd_insert_hvm: The VBD " + vbd
                        + " has been connected to the wrong VDI (expected " + vdi + ", got " + vdi + ")");
            }
        });
    }

    private void ejectHvm(CallContext ctx, String vbd) {
        String dbg = TaskBinding.dbg(ctx);
        String vm = data.get(vbd, VBD.VM);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            Vbd md = MetadataBuilder.vbd(data, vm, vbd);
            LOG.info("xenops: VBD.eject {}", md.id());
            tasks.syncWithTask(ctx, xenops.vbdEject(dbg, md.id()), true);
            sync.waitBarrier(dbg, md.id().vm());
            metadata.update(dbg, vm);
            if (!data.get(vbd, VBD.EMPTY))
                throw ApiError.internal("vbd_eject_hvm: The VBD " + vbd + " has not been emptied");
            String now = data.get(vbd, VBD.VDI);
            if (!Refs.isNull(now)) {
                throw ApiError.internal("vbd_eject_hvm: The VBD " + vbd + " is still connected to VDI " + now);
            }
        });
    }
}
