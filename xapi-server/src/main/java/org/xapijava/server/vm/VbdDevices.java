package org.xapijava.server.vm;

import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VbdMode;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VBDApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.xenops.CdMedia;

/**
 * The VBD messages on a drive and its medium, as Xapi's {@code xapi_vbd.ml} and its forwarding layer implement
 * them: {@code insert} and {@code eject} (a halted VM's drive changes in the database only; a running or paused
 * VM's through xenopsd, {@link CdMedia}), {@code set_mode} (halted VMs), {@code assert_attachable} (the
 * {@code attach} check of the VBD's operations, with the sharing checks), {@code pause} and {@code unpause} (which
 * Xapi answers {@code SR_OPERATION_NOT_SUPPORTED [sr]} once its lock plan let them through), and
 * {@code unplug_force_no_safety_check} (Xapi's {@code unplug_force}).
 *
 * <p>Marking {@code insert}/{@code eject}/{@code pause}/{@code unpause}/{@code unplug_force} in the VBD's
 * {@code current_operations} (whose checker gives {@code VBD_NOT_REMOVABLE_MEDIA}, {@code VBD_NOT_EMPTY},
 * {@code VBD_IS_EMPTY}, {@code VM_BAD_POWER_STATE} first), placement on the VM's host while it runs, and the
 * refresh of the VBD's and VDI's {@code allowed_operations} afterwards are the forwarding stage's (the lock plans of
 * {@link org.xapijava.server.ops.LockPlan}). Thread-safe.
 */
public final class VbdDevices implements Messages {
    private final Db data;
    private final String poolRef;
    private final AllowedOperations allowed;
    private final CdMedia media;

    public VbdDevices(Db data, String poolRef, AllowedOperations allowed, CdMedia media) {
        this.data = data;
        this.poolRef = poolRef;
        this.allowed = allowed;
        this.media = media;
    }

    @Override
    public void bind(MessageTable table) {
        VBDApi.bind(table, new Api());
    }

    private final class Api implements VBDApi {
        @Override
        public void insert(CallContext ctx, String vbd, String vdi) {
            VbdDevices.this.insert(ctx, vbd, vdi);
        }

        @Override
        public void eject(CallContext ctx, String vbd) {
            VbdDevices.this.eject(ctx, vbd);
        }

        @Override
        public void setMode(CallContext ctx, String self, VbdMode value) {
            Db.retrying(() -> {
                long read = data.modified(VBD.XAPI_CLASS, self);
                String vm = data.get(self, VBD.VM);
                long vmRead = data.modified(VM.XAPI_CLASS, vm);
                VmSettings.assertPowerState(data, vm, VmPowerState.HALTED);
                data.apply(Update.builder()
                        .unchanged(VBD.XAPI_CLASS, self, read)
                        .unchanged(VM.XAPI_CLASS, vm, vmRead)
                        .set(self, VBD.MODE, value.wire())
                        .build());
            });
        }

        @Override
        public void assertAttachable(CallContext ctx, String self) {
            allowed.assertValid(VBD.XAPI_CLASS, self, "attach");
        }

        @Override
        public String pause(CallContext ctx, String self) {
            throw pauseNotSupported(self);
        }

        @Override
        public void unpause(CallContext ctx, String self, String token) {
            throw pauseNotSupported(self);
        }

        @Override
        public void unplugForceNoSafetyCheck(CallContext ctx, String self) {
            media.unplugForce(ctx, self);
        }
    }

    // ------------------------------------------------------------------ insert, eject

    /**
     * {@code VBD.insert}: for a halted VM, the drive gets the VDI in the database (one step, on condition that the
     * VBD, its VM and the VDI are as the checks read them); otherwise the checks again, then xenopsd.
     */
    void insert(CallContext ctx, String vbd, String vdi) {
        String vm = data.get(vbd, VBD.VM);
        if (VmPowerState.HALTED.wire().equals(data.get(vm, VM.POWER_STATE))) {
            Db.retrying(() -> {
                Update.Builder u = Update.builder()
                        .unchanged(VBD.XAPI_CLASS, vbd, data.modified(VBD.XAPI_CLASS, vbd))
                        .unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
                assertOkToInsert(data, poolRef, vbd, vdi);
                u.unchanged(VDI.XAPI_CLASS, vdi, data.modified(VDI.XAPI_CLASS, vdi));
                data.apply(u.set(vbd, VBD.VDI, vdi).set(vbd, VBD.EMPTY, false).build());
            });
        } else {
            assertOkToInsert(data, poolRef, vbd, vdi);
            media.insert(ctx, vbd, vdi);
        }
    }

    /** {@code VBD.eject}: as {@link #insert}, the drive emptied. */
    void eject(CallContext ctx, String vbd) {
        String vm = data.get(vbd, VBD.VM);
        if (VmPowerState.HALTED.wire().equals(data.get(vm, VM.POWER_STATE))) {
            Db.retrying(() -> {
                Update.Builder u = Update.builder()
                        .unchanged(VBD.XAPI_CLASS, vbd, data.modified(VBD.XAPI_CLASS, vbd))
                        .unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
                assertOkToEject(data, vbd);
                data.apply(
                        u.set(vbd, VBD.EMPTY, true).set(vbd, VBD.VDI, Refs.NULL).build());
            });
        } else {
            assertOkToEject(data, vbd);
            media.eject(ctx, vbd);
        }
    }

    /**
     * {@code assert_ok_to_insert}: the VM not suspended, a CD drive, empty; the VDI managed and, for a VM HA
     * protects, on storage every enabled host sees.
     */
    static void assertOkToInsert(Db data, String pool, String vbd, String vdi) {
        String vm = data.get(vbd, VBD.VM);
        assertNotSuspended(data, vm);
        assertRemovable(data, vbd);
        if (!data.get(vbd, VBD.EMPTY)) throw new ApiError(ErrorCodes.VBD_NOT_EMPTY, vbd);
        if (!data.get(vdi, VDI.MANAGED)) throw new ApiError(ErrorCodes.VDI_NOT_MANAGED, vdi);
        assertDoesntMakeVmNonAgile(data, pool, vm, vdi);
    }

    /** {@code assert_ok_to_eject}: a CD drive, not empty, the VM not suspended. */
    static void assertOkToEject(Db data, String vbd) {
        String vm = data.get(vbd, VBD.VM);
        assertRemovable(data, vbd);
        if (data.get(vbd, VBD.EMPTY)) throw new ApiError(ErrorCodes.VBD_IS_EMPTY, vbd);
        assertNotSuspended(data, vm);
    }

    /** {@code VBD_NOT_REMOVABLE_MEDIA [vbd]} unless a CD drive ({@code Helpers.is_removable}). */
    private static void assertRemovable(Db data, String vbd) {
        if (!"CD".equals(data.get(vbd, VBD.TYPE))) throw new ApiError(ErrorCodes.VBD_NOT_REMOVABLE_MEDIA, vbd);
    }

    /** {@code VM_BAD_POWER_STATE [vm, "halted, running", "suspended"]} for a suspended VM. */
    private static void assertNotSuspended(Db data, String vm) {
        if (VmPowerState.SUSPENDED.wire().equals(data.get(vm, VM.POWER_STATE))) {
            throw new ApiError(ErrorCodes.VM_BAD_POWER_STATE, vm, "halted, running", "suspended");
        }
    }

    /**
     * {@code assert_doesnt_make_vm_non_agile}: with HA on and no overcommit allowed, a VM HA protects
     * ({@code ha_always_run} and restart priority {@code restart}) may only get a VDI on a properly shared SR, else
     * {@code HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED [sr]}. The SR is looked at first, as Xapi does (a VDI without
     * one is {@code HANDLE_INVALID [SR, ref]} whatever HA says).
     */
    static void assertDoesntMakeVmNonAgile(Db data, String pool, String vm, String vdi) {
        String sr = data.get(vdi, VDI.SR);
        boolean properlyShared = Agility.srProperlyShared(data, sr);
        if (data.get(pool, Pool.HA_ENABLED)
                && !data.get(pool, Pool.HA_ALLOW_OVERCOMMIT)
                && data.get(vm, VM.HA_ALWAYS_RUN)
                && "restart".equals(data.get(vm, VM.HA_RESTART_PRIORITY))
                && !properlyShared) {
            throw new ApiError(ErrorCodes.HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED, sr);
        }
    }

    // ------------------------------------------------------------------ pause

    /**
     * {@code VBD.pause}/{@code unpause}: {@code SR_OPERATION_NOT_SUPPORTED [sr]} with the SR of the VBD's VDI
     * ({@code HANDLE_INVALID [VDI, ref]} for an empty drive, whose VDI is NULL).
     */
    private ApiError pauseNotSupported(String vbd) {
        String vdi = data.get(vbd, VBD.VDI);
        return new ApiError(ErrorCodes.SR_OPERATION_NOT_SUPPORTED, data.get(vdi, VDI.SR));
    }
}
