package org.xapijava.server.xenops;

import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;

/**
 * {@code VM.set_shadow_multiplier_live} on the host the VM runs on ({@code Xapi_vm.set_shadow_multiplier_live},
 * {@code Xapi_xenops.set_shadow_multiplier}): the running domain's shadow memory multiplier through xenopsd
 * ({@link LiveCalls#setShadowMultiplier}), then the
 * VM's {@code memory_overhead} recomputed. The dispatcher's forwarding stage marks the VM
 * {@code changing_shadow_memory_live} and sends the call to the VM's host. Thread-safe.
 */
public final class ShadowMemory {
    private final Db data;
    private final XenopsService service;

    public ShadowMemory(Db data, XenopsService service) {
        this.data = data;
        this.service = service;
    }

    /**
     * Refused unless Running ({@code VM_BAD_POWER_STATE [vm, "running", actual]}) and for a multiplier below 1
     * ({@code INVALID_VALUE ["multiplier", value]}). xenopsd's {@code Unimplemented} (its xc backend's answer for a PV
     * domain) is ignored, as Xapi does; {@code Not_enough_memory} is {@code HOST_NOT_ENOUGH_FREE_MEMORY [needed,
     * free]}. The new multiplier reaches {@code HVM_shadow_multiplier} through xenopsd's report, which the call waits
     * for before it recomputes the overhead.
     */
    public void setLive(CallContext ctx, String vm, double multiplier) {
        String state = data.get(vm, VM.POWER_STATE);
        if (!state.equals(VmPowerState.RUNNING.wire())) {
            throw new ApiError(
                    ErrorCodes.VM_BAD_POWER_STATE,
                    vm,
                    VmPowerState.RUNNING.wire().toLowerCase(java.util.Locale.ROOT),
                    state.toLowerCase(java.util.Locale.ROOT));
        }
        if (multiplier < 1.0) throw ApiError.invalidValue("multiplier", XenopsErrors.ocamlFloat(multiplier));
        service.live().setShadowMultiplier(ctx, vm, multiplier);
        data.set(vm, VM.MEMORY_OVERHEAD, MemoryCheck.overheadBytes(data, vm));
    }
}
