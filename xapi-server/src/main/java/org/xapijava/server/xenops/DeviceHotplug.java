package org.xapijava.server.xenops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;

/**
 * Disk and network hot-plug of a running VM ({@code Xapi_xenops.vbd_plug}, {@code vbd_unplug}, {@code vif_plug},
 * {@code vif_unplug}): the device added to xenopsd and plugged under the call's task, with state reports about the
 * VM suppressed meanwhile, and {@code currently_attached} as xenopsd then reports it. Runs on the host the VM is
 * resident on, inside the lock plan the forwarding stage took. Thread-safe.
 */
final class DeviceHotplug {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceHotplug.class);

    private final String hostRef;
    private final Db data;
    private final Xenops xenops;
    private final TaskBinding tasks;
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final Lifecycle lifecycle;

    DeviceHotplug(
            Db data,
            String hostRef,
            Xenops xenops,
            TaskBinding tasks,
            StateSync sync,
            XenopsdMetadata metadata,
            Lifecycle lifecycle) {
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = xenops;
        this.tasks = tasks;
        this.sync = sync;
        this.metadata = metadata;
        this.lifecycle = lifecycle;
    }

    private String host() {
        return hostRef;
    }

    private static String dbg(CallContext ctx) {
        return TaskBinding.dbg(ctx);
    }

    /** {@code VBD.plug}: a read-only disk cannot be plugged into an HVM guest; then {@code Xapi_xenops.vbd_plug}. */
    public void vbdPlug(CallContext ctx, String vbd) {
        String vm = data.get(vbd, VBD.VM);
        String m = data.get(vm, VM.METRICS);
        boolean hvm = data.isValid(VMMetrics.XAPI_CLASS, m) && "hvm".equals(data.get(m, VMMetrics.CURRENT_DOMAIN_TYPE));
        if (hvm && !"CD".equals(data.get(vbd, VBD.TYPE)) && "RO".equals(data.get(vbd, VBD.MODE))) {
            throw new ApiError("DISK_VBD_MUST_BE_READWRITE_FOR_HVM", vbd);
        }
        String dbg = dbg(ctx);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            String vmId = lifecycle.uuid(vm);
            // attached before VBD.add, so that a metadata push meanwhile keeps the new VBD
            data.set(vbd, VBD.CURRENTLY_ATTACHED, true);
            try {
                metadata.update(dbg, vm);
                Vbd md = MetadataBuilder.vbd(data, vm, vbd);
                sync.withSuppressed(dbg, vmId, () -> {
                    LOG.info("xenops: VBD.add {}", md.id());
                    DeviceId id = xenops.vbdAdd(dbg, md);
                    LOG.info("xenops: VBD.plug {}", id);
                    return tasks.syncWithTask(ctx, xenops.vbdPlug(dbg, id), true);
                });
            } catch (RuntimeException e) {
                unmarkIfNotPlugged(dbg, "VBD", vbd, vm);
                throw e;
            }
            if (!data.get(vbd, VBD.CURRENTLY_ATTACHED)) {
                throw ApiError.internal("vbd_plug: Unable to plug VBD " + vbd);
            }
        });
    }

    /**
     * A failed plug leaves the device marked attached in Xapi until the next event on it; here it is unmarked
     * at once when xenopsd does not report it plugged.
     */
    private void unmarkIfNotPlugged(String dbg, String cls, String ref, String vm) {
        try {
            DeviceId id = cls.equals("VBD")
                    ? MetadataBuilder.vbd(data, vm, ref).id()
                    : new DeviceId(data.get(vm, VM.UUID), data.get(ref, VIF.DEVICE));
            boolean plugged;
            try {
                plugged = cls.equals("VBD")
                        ? xenops.vbdStat(dbg, id).state().plugged()
                        : xenops.vifStat(dbg, id).state().plugged();
            } catch (XenopsError e) {
                plugged = false;
            }
            if (!plugged) {
                data.set(ref, cls.equals(VBD.XAPI_CLASS) ? VBD.CURRENTLY_ATTACHED : VIF.CURRENTLY_ATTACHED, false);
            }
        } catch (RuntimeException e) {
            LOG.warn("could not check {} {} after a failed plug: {}", cls, ref, e.toString());
        }
    }

    /** {@code VBD.unplug} / {@code VBD.unplug_force}. */
    public void vbdUnplug(CallContext ctx, String vbd, boolean force) {
        String vm = data.get(vbd, VBD.VM);
        String dbg = dbg(ctx);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            Vbd md = MetadataBuilder.vbd(data, vm, vbd);
            try {
                LOG.info("xenops: VBD.unplug {}", md.id());
                tasks.syncWithTask(ctx, xenops.vbdUnplug(dbg, md.id(), force), true);
            } catch (XenopsError e) {
                if (e.is("Does_not_exist")) {
                    LOG.info("VBD is not plugged; setting currently_attached to false");
                    data.set(vbd, VBD.CURRENTLY_ATTACHED, false);
                } else if (e.is("Device_detach_rejected")) {
                    throw new ApiError("DEVICE_DETACH_REJECTED", "VBD", vbd, "");
                } else {
                    throw e;
                }
            }
            sync.waitBarrier(dbg, md.id().vm());
            if (data.get(vbd, VBD.CURRENTLY_ATTACHED)) {
                throw ApiError.internal("vbd_unplug: Unable to unplug VBD " + vbd);
            }
        });
    }

    /** {@code VIF.plug}. */
    public void vifPlug(CallContext ctx, String vif) {
        String vm = data.get(vif, VIF.VM);
        String dbg = dbg(ctx);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            String vmId = lifecycle.uuid(vm);
            data.set(vif, VIF.CURRENTLY_ATTACHED, true);
            try {
                metadata.update(dbg, vm);
                Vif md = MetadataBuilder.vif(data, vm, vif, host());
                sync.withSuppressed(dbg, vmId, () -> {
                    LOG.info("xenops: VIF.add {}", md.id());
                    DeviceId id = xenops.vifAdd(dbg, md);
                    LOG.info("xenops: VIF.plug {}", id);
                    return tasks.syncWithTask(ctx, xenops.vifPlug(dbg, id), true);
                });
            } catch (RuntimeException e) {
                unmarkIfNotPlugged(dbg, "VIF", vif, vm);
                throw e;
            }
            if (!data.get(vif, VIF.CURRENTLY_ATTACHED)) {
                throw ApiError.internal("vif_plug: Unable to plug VIF " + vif);
            }
        });
    }

    /** {@code VIF.unplug} / {@code VIF.unplug_force}. */
    public void vifUnplug(CallContext ctx, String vif, boolean force) {
        String vm = data.get(vif, VIF.VM);
        String dbg = dbg(ctx);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            DeviceId id = new DeviceId(lifecycle.uuid(vm), data.get(vif, VIF.DEVICE));
            try {
                LOG.info("xenops: VIF.unplug {}", id);
                tasks.syncWithTask(ctx, xenops.vifUnplug(dbg, id, force), true);
                sync.waitBarrier(dbg, id.vm());
                if (data.get(vif, VIF.CURRENTLY_ATTACHED)) {
                    throw ApiError.internal("vif_unplug: Unable to unplug VIF " + vif);
                }
            } catch (XenopsError e) {
                if (!e.is("Does_not_exist")) throw e;
                LOG.info("VIF is not plugged; setting currently_attached to false");
                data.set(vif, VIF.CURRENTLY_ATTACHED, false);
            }
        });
    }
}
