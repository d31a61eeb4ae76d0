package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.api.enums.VmssType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.ops.AllowedOperations;

/**
 * What a VM is assigned to or protected by, as Xapi sets it ({@code xapi_vm.ml}): its suspend image
 * ({@code set_suspend_VDI}), its appliance ({@code set_appliance}), its snapshot schedule
 * ({@code set_snapshot_schedule}) and its HA restart priority ({@code set_ha_restart_priority}, which
 * {@code set_ha_always_run} also uses). None of these is marked with an operation; the forwarding stage refreshes the
 * VM's allowed operations after the HA setters. Thread-safe.
 */
final class VmAssignments {
    /** {@code Constants.ha_restart}. */
    static final String HA_RESTART = "restart";
    /** {@code Constants.ha_valid_restart_priorities}. */
    static final List<String> HA_VALID_RESTART_PRIORITIES = List.of(HA_RESTART, "best-effort", "");

    /** The {@code sm_config} key of a VDI that resets on boot (spelt as the VDI's {@code on_boot} field). */
    private static final String SM_CONFIG_ON_BOOT = VDI.ON_BOOT.name();

    private final Db data;
    private final String poolRef;
    private final AllowedOperations allowed;

    VmAssignments(Db data, String poolRef, AllowedOperations allowed) {
        this.data = data;
        this.poolRef = poolRef;
        this.allowed = allowed;
    }

    // ------------------------------------------------------------------------------------------- suspend image

    /**
     * {@code VM.set_suspend_VDI}: only on a suspended VM ({@code VM_BAD_POWER_STATE [vm, "suspended", actual]}); a
     * CBT metadata VDI is {@code VDI_INCOMPATIBLE_TYPE [vm, "CBT metadata"]} (Xapi names the VM there). Another image
     * than the current one must be seen, together with every disk of the VM, by some live host
     * ({@code NO_HOSTS_AVAILABLE []}) and hold the same data: both are checksummed through {@code VDI.checksum} (its
     * errors are the call's), and different checksums are {@code SUSPEND_VDI_REPLACEMENT_IS_NOT_IDENTICAL
     * ["<uuid> : <checksum>", ...]} for the current and the new image.
     */
    void setSuspendVdi(CallContext ctx, String vm, String value) {
        VmSettings.assertPowerState(data, vm, VmPowerState.SUSPENDED);
        if (data.get(value, VDI.TYPE).equals(VdiType.CBT_METADATA.wire())) {
            throw new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, vm, "CBT metadata");
        }
        String src = data.get(vm, VM.SUSPEND_VDI);
        if (src.equals(value)) return;
        List<String> srs = new ArrayList<>();
        srs.add(data.get(value, VDI.SR));
        for (String vbd : data.get(vm, VM.VBDS)) {
            if (!data.get(vbd, VBD.EMPTY)) srs.add(data.get(data.get(vbd, VBD.VDI), VDI.SR));
        }
        assertSomeLiveHostSees(data, srs);
        String srcSum = ctx.api().vdi().checksum(src);
        String dstSum = ctx.api().vdi().checksum(value);
        if (!srcSum.equals(dstSum)) {
            throw new ApiError(
                    ErrorCodes.SUSPEND_VDI_REPLACEMENT_IS_NOT_IDENTICAL,
                    data.get(src, VDI.UUID) + " : " + srcSum,
                    data.get(value, VDI.UUID) + " : " + dstSum);
        }
        data.set(vm, VM.SUSPEND_VDI, value);
    }

    /**
     * {@code choose_host} with {@code assert_can_see_specified_SRs}: some live host has a plugged PBD of each SR, else
     * {@code NO_HOSTS_AVAILABLE []}.
     */
    private static void assertSomeLiveHostSees(Db data, List<String> srs) {
        for (String host : data.all(Host.XAPI_CLASS)) {
            Set<String> plugged = new HashSet<>();
            for (String pbd : data.get(host, Host.PBDS)) {
                if (data.exists(PBD.XAPI_CLASS, pbd) && data.get(pbd, PBD.CURRENTLY_ATTACHED))
                    plugged.add(data.get(pbd, PBD.SR));
            }
            if (plugged.containsAll(srs) && live(data, host)) return;
        }
        throw new ApiError(ErrorCodes.NO_HOSTS_AVAILABLE);
    }

    /** {@code is_host_live}: the host's metrics say live (false when it has none). */
    private static boolean live(Db data, String host) {
        String m = data.get(host, Host.METRICS);
        return data.exists(HostMetrics.XAPI_CLASS, m) && data.get(m, HostMetrics.LIVE);
    }

    // ------------------------------------------------------------------------------------------- appliance

    /**
     * {@code VM.set_appliance}: a control domain, template or snapshot is {@code OPERATION_NOT_ALLOWED}; the allowed
     * operations of the old appliance (if any) and of the VM, with its new appliance, are recomputed.
     */
    void setAppliance(String vm, String value) {
        if (data.get(vm, VM.IS_CONTROL_DOMAIN) || data.get(vm, VM.IS_A_TEMPLATE) || data.get(vm, VM.IS_A_SNAPSHOT)) {
            throw new ApiError(
                    ErrorCodes.OPERATION_NOT_ALLOWED,
                    "Control domains, templates and snapshots cannot be assigned to appliances.");
        }
        String previous = data.get(vm, VM.APPLIANCE);
        data.set(vm, VM.APPLIANCE, value);
        if (data.exists(VMAppliance.XAPI_CLASS, previous)) allowed.update(VMAppliance.XAPI_CLASS, previous);
        allowed.update(VM.XAPI_CLASS, vm);
    }

    // ------------------------------------------------------------------------------------------- snapshot schedule

    /**
     * {@code VM.set_snapshot_schedule}: the pool must be licensed for VMSS ({@code LICENCE_RESTRICTION ["VMSS"]});
     * the value must be a VMSS, NULL or empty ({@code INVALID_VALUE [value]}); a VMSS cannot take a control domain
     * ({@code INVALID_VALUE [value]}) or a template ({@code VM_IS_TEMPLATE [vm]}), and one of type
     * {@code snapshot_with_quiesce} needs the VSS feature and a guest that can quiesce. The VM's allowed operations
     * are recomputed.
     */
    void setSnapshotSchedule(String vm, String value) {
        PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VMSS);
        boolean valid = data.exists(VMSS.XAPI_CLASS, value);
        if (!(valid || Refs.isNull(value) || value.isEmpty())) throw ApiError.invalidValue(value);
        if (valid) {
            if (data.get(vm, VM.IS_CONTROL_DOMAIN)) throw ApiError.invalidValue(value);
            if (data.get(vm, VM.IS_A_TEMPLATE)) throw new ApiError(ErrorCodes.VM_IS_TEMPLATE, vm);
            if (data.get(value, VMSS.TYPE).equals(VmssType.SNAPSHOT_WITH_QUIESCE.wire())) {
                PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VSS);
                assertSupportsQuiesceSnapshot(data, vm);
            }
        }
        data.set(vm, VM.SNAPSHOT_SCHEDULE, value);
        allowed.update(VM.XAPI_CLASS, vm);
    }

    /**
     * {@code assert_vm_supports_quiesce_snapshot}: no disk whose VDI resets on boot
     * ({@code VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION []}), and a guest agent reporting
     * {@code feature-snapshot} or {@code feature-quiesce} ({@code VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED [vm]}).
     */
    static void assertSupportsQuiesceSnapshot(Db data, String vm) {
        for (String vbd : data.get(vm, VM.VBDS)) {
            if (!data.exists(VBD.XAPI_CLASS, vbd)) continue;
            String vdi = data.get(vbd, VBD.VDI);
            if (data.exists(VDI.XAPI_CLASS, vdi)
                    && "reset".equals(data.get(vdi, VDI.SM_CONFIG).get(SM_CONFIG_ON_BOOT))) {
                throw new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION);
            }
        }
        String gm = data.get(vm, VM.GUEST_METRICS);
        var other = data.exists(VMGuestMetrics.XAPI_CLASS, gm)
                ? data.get(gm, VMGuestMetrics.OTHER)
                : java.util.Map.<String, String>of();
        if (!"1".equals(other.get("feature-snapshot")) && !"1".equals(other.get("feature-quiesce"))) {
            throw new ApiError(ErrorCodes.VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED, vm);
        }
    }

    // ------------------------------------------------------------------------------------------- HA

    /**
     * {@code VM.set_ha_restart_priority}: {@code restart}, {@code best-effort} or empty ({@code INVALID_VALUE
     * ["ha_restart_priority", value]}). A change is written; on a running VM {@code ha_always_run} follows (true
     * exactly for {@code restart}). Protecting a VM in a pool with HA enabled needs Xapi's failover planner (the plan
     * must survive, the pool's HA status is recomputed): HA is not built yet, so that case answers
     * {@code NOT_IMPLEMENTED}; without HA Xapi checks nothing more.
     */
    void setHaRestartPriority(String vm, String value) {
        if (!HA_VALID_RESTART_PRIORITIES.contains(value)) {
            throw ApiError.invalidValue(VM.HA_RESTART_PRIORITY.name(), value);
        }
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            String current = data.get(vm, VM.HA_RESTART_PRIORITY);
            String pool = poolRef;
            long poolRead = data.modified(Pool.XAPI_CLASS, pool);
            if (!current.equals(HA_RESTART) && value.equals(HA_RESTART) && data.get(pool, Pool.HA_ENABLED)) {
                throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "VM.set_ha_restart_priority");
            }
            if (current.equals(value)) return;
            Update.Builder u = Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .unchanged(Pool.XAPI_CLASS, pool, poolRead)
                    .set(vm, VM.HA_RESTART_PRIORITY, value);
            if (data.get(vm, VM.POWER_STATE).equals(VmPowerState.RUNNING.wire())) {
                u.set(vm, VM.HA_ALWAYS_RUN, value.equals(HA_RESTART));
            }
            data.apply(u.build());
        });
    }
}
