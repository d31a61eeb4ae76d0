package org.xapijava.server.vm;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Blob;
import org.xapijava.model.api.Console;
import org.xapijava.model.api.Crashdump;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.Secret;
import org.xapijava.model.api.VGPU;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.VTPM;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.ops.AllowedOperations;

/**
 * {@code VM.create}, {@code VM.destroy} and {@code VM.set_is_a_template} as Xapi implements them
 * ({@code xapi_vm.ml}, {@code xapi_vm_helpers.ml}). Each call's database work is one {@link Update}, made
 * conditional on what it read (and read again on a conflict);
 * {@code allowed_operations} is recomputed through {@link org.xapijava.server.ops.Locks} afterwards.
 * Operation checks and marking ({@code destroy}, {@code make_into_template}) belong to the forwarding
 * layer. Thread-safe.
 */
public final class Vms {
    static final String MAC_SEED = "mac_seed";
    static final String DEFAULT_TEMPLATE = "default_template";
    /** {@code Xapi_globs.has_vendor_device}: the platform version a vendor device needs. */
    static final long HAS_VENDOR_DEVICE_VERSION = 2;

    private final Db data;
    private final Clock clock;
    private final String poolRef;
    private final AllowedOperations allowed;

    Vms(Db data, Clock clock, String poolRef, AllowedOperations allowed) {
        this.data = data;
        this.clock = clock;
        this.poolRef = poolRef;
        this.allowed = allowed;
    }

    /**
     * {@code VM.create}: a Halted (or, with a suspend image, Suspended) VM with a {@code mac_seed}, its
     * {@code VM_metrics}, the domain type derived from the boot policy when unspecified, and Xapi's
     * fixed values for every field a client may not set. Parameters are not validated (Xapi delays that
     * to {@code VM.start}), except that a Suspended VM needs its suspend image, boot record and CPU
     * flags ({@code VM_BAD_POWER_STATE}).
     */
    String create(CallContext ctx, Map<String, Object> r) {
        String ref = Refs.fresh();
        String requested = Db.value(r, VM.POWER_STATE);
        boolean suspended = "Suspended".equals(requested);
        Map<String, String> cpuFlags = suspended ? Db.value(r, VM.LAST_BOOT_CPU_FLAGS) : Map.of();
        String bootRecord = suspended ? Db.value(r, VM.LAST_BOOTED_RECORD) : "";
        String suspendVdi = suspended ? Db.value(r, VM.SUSPEND_VDI) : Refs.NULL;
        if (suspended && (cpuFlags.isEmpty() || bootRecord.isEmpty() || Refs.isNull(suspendVdi))) {
            throw new ApiError("VM_BAD_POWER_STATE", ref, "halted", lower(requested));
        }
        Map<String, String> oc = Db.value(r, VM.OTHER_CONFIG);
        if (!oc.containsKey(MAC_SEED)) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put(MAC_SEED, Rows.uuid());
            m.putAll(oc);
            oc = m;
        }
        String domainType = Db.value(r, VM.DOMAIN_TYPE);
        if (domainType.equals("unspecified"))
            domainType = Db.value(r, VM.HVM_BOOT_POLICY).isEmpty() ? "pv" : "hvm";
        String metricsDomainType = suspended ? Db.value(r, VM.DOMAIN_TYPE) : "unspecified";
        String metrics = Refs.fresh();
        FieldValues v = Rows.values(VM.XAPI_CLASS, r)
                .with(VM.POWER_STATE, suspended ? "Suspended" : "Halted")
                .with(VM.ALLOWED_OPERATIONS, List.of())
                .with(VM.CURRENT_OPERATIONS, Map.of())
                .with(VM.BLOCKED_OPERATIONS, Map.of())
                .with(VM.IS_DEFAULT_TEMPLATE, false)
                .with(VM.TRANSPORTABLE_SNAPSHOT_ID, "")
                .with(VM.IS_A_SNAPSHOT, false)
                .with(VM.SNAPSHOT_TIME, DateTime.EPOCH)
                .with(VM.SNAPSHOT_OF, Refs.NULL)
                .with(VM.PARENT, Refs.NULL)
                .with(VM.SNAPSHOT_INFO, Map.of())
                .with(VM.SNAPSHOT_METADATA, "")
                .with(VM.RESIDENT_ON, Refs.NULL)
                .with(VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL)
                .with(VM.MEMORY_OVERHEAD, 0L)
                .with(VM.SUSPEND_VDI, suspendVdi)
                .with(VM.OTHER_CONFIG, oc)
                .with(VM.DOMID, -1L)
                .with(VM.DOMARCH, "")
                .with(VM.LAST_BOOT_CPU_FLAGS, cpuFlags)
                .with(VM.IS_CONTROL_DOMAIN, false)
                .with(VM.GUEST_METRICS, Refs.NULL)
                .with(VM.LAST_BOOTED_RECORD, bootRecord)
                .with(VM.BLOBS, Map.of())
                .with(VM.BIOS_STRINGS, Map.of())
                .with(VM.PROTECTION_POLICY, Refs.NULL)
                .with(VM.SNAPSHOT_SCHEDULE, Refs.NULL)
                .with(VM.IS_VMSS_SNAPSHOT, false)
                .with(VM.REQUIRES_REBOOT, false)
                .with(VM.DOMAIN_TYPE, domainType)
                .with(VM.PENDING_GUIDANCES, List.of())
                .with(VM.PENDING_GUIDANCES_RECOMMENDED, List.of())
                .with(VM.PENDING_GUIDANCES_FULL, List.of())
                .with(VM.METRICS, metrics)
                .with(VM.UUID, Rows.uuid());
        Update.Builder u = Update.builder()
                .create(metrics, Rows.newVmMetrics(metricsDomainType))
                .create(ref, v)
                .set(
                        ref,
                        VM.MEMORY_OVERHEAD,
                        VmValidation.memoryOverhead(
                                domainType,
                                Db.value(r, VM.MEMORY_STATIC_MAX),
                                Db.value(r, VM.VCPUS_MAX),
                                Db.value(r, VM.HVM_SHADOW_MULTIPLIER)));
        if (Boolean.TRUE.equals(Db.value(r, VM.HAS_VENDOR_DEVICE))
                && Db.value(r, VM.HARDWARE_PLATFORM_VERSION) < HAS_VENDOR_DEVICE_VERSION) {
            u.set(ref, VM.HARDWARE_PLATFORM_VERSION, HAS_VENDOR_DEVICE_VERSION);
        }
        data.apply(u.build());
        allowed.update(VM.XAPI_CLASS, ref);
        return ref;
    }

    /** OCaml's lower-case power state names ({@code Record_util.vm_power_state_to_lowercase_string}). */
    static String lower(String powerState) {
        return powerState.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * {@code VM.destroy}: the VM row and what belongs to it only (VBDs, VIFs, VGPUs, VUSBs, VTPMs, blobs,
     * consoles, crash dump records, metrics, guest metrics); VDIs stay. Children move up to the VM's
     * parent; snapshots keep their (now dangling) {@code snapshot_of}, as in Xapi. A default template
     * is refused ({@code VM_CANNOT_DELETE_DEFAULT_TEMPLATE}).
     */
    void destroy(CallContext ctx, String vm) {
        Db data = ctx.data();
        String appliance = Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            String parent = data.get(vm, VM.PARENT);
            String inAppliance = data.get(vm, VM.APPLIANCE);
            if ("true".equals(data.get(vm, VM.OTHER_CONFIG).get(DEFAULT_TEMPLATE))) {
                throw new ApiError("VM_CANNOT_DELETE_DEFAULT_TEMPLATE");
            }
            Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, read);
            for (String child : data.get(vm, VM.CHILDREN)) u.set(child, VM.PARENT, parent);
            deleteOwned(data, u, vm);
            data.apply(u.delete(VM.XAPI_CLASS, vm).build());
            return inAppliance;
        });
        // the appliance lost a VM: its allowed operations change (Xapi recomputes them as it clears the field)
        if (data.exists(VMAppliance.XAPI_CLASS, appliance)) {
            allowed.update(VMAppliance.XAPI_CLASS, appliance);
        }
    }

    /**
     * {@code Db.VM.destroy} as a cross-pool {@code VM.migrate_send} ends: the VM's row and what belongs to it (not its
     * VDIs), without {@code VM.destroy}'s checks, in one update conditional on the VM unchanged meanwhile.
     */
    public static void deleteRows(Db data, String vm) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, read);
            deleteOwned(data, u, vm);
            data.apply(u.delete(VM.XAPI_CLASS, vm).build());
            return null;
        });
    }

    /**
     * Adds the deletion of the rows that belong to {@code vm} (not its VDIs) to {@code u}, which the caller
     * makes conditional on {@code vm} being unchanged since it read it (the sets of devices are its).
     */
    static void deleteOwned(Db data, Update.Builder u, String vm) {
        boolean vtpmContents = VTPM.CONTENTS.def() != null;
        for (String vtpm : data.get(vm, VM.VTPMS)) {
            String secret = vtpmContents ? data.get(vtpm, VTPM.CONTENTS) : null;
            u.delete(VTPM.XAPI_CLASS, vtpm);
            if (secret != null) Rows.deleteIfValid(data, u, Secret.XAPI_CLASS, secret);
        }
        for (String blob : data.get(vm, VM.BLOBS).values()) Rows.deleteIfValid(data, u, Blob.XAPI_CLASS, blob);
        u.set(vm, VM.APPLIANCE, Refs.NULL);
        for (String vbd : data.get(vm, VM.VBDS)) Vbds.delete(u, vbd);
        for (String vif : data.get(vm, VM.VIFS)) Vifs.delete(u, vif);
        for (String vgpu : data.get(vm, VM.VGPUS)) u.delete(VGPU.XAPI_CLASS, vgpu);
        for (String vusb : data.get(vm, VM.VUSBS)) u.delete(VUSB.XAPI_CLASS, vusb);
        for (String console : data.get(vm, VM.CONSOLES)) u.delete(Console.XAPI_CLASS, console);
        for (String dump : data.get(vm, VM.CRASH_DUMPS)) u.delete(Crashdump.XAPI_CLASS, dump);
        Rows.deleteIfValid(data, u, VMMetrics.XAPI_CLASS, data.get(vm, VM.METRICS));
        Rows.deleteIfValid(data, u, VMGuestMetrics.XAPI_CLASS, data.get(vm, VM.GUEST_METRICS));
    }

    /**
     * {@code VM.set_is_a_template}. Making a template: refused for an HA-protected VM of an HA pool
     * ({@code VM_IS_PROTECTED}); clears {@code ha_always_run}, drops VUSBs and the metrics. Making an
     * ordinary VM ("install time"): stamps {@code VM_metrics.install_time}. {@code is_default_template}
     * is left as it is.
     */
    void setIsATemplate(CallContext ctx, String vm, boolean value) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            String metrics = data.get(vm, VM.METRICS);
            Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, read);
            if (!value) {
                OptionalLong m = data.version(VMMetrics.XAPI_CLASS, metrics);
                if (m.isPresent()) {
                    u.unchanged(VMMetrics.XAPI_CLASS, metrics, m.getAsLong())
                            .set(metrics, VMMetrics.INSTALL_TIME, DateTime.ofInstant(clock.instant()));
                }
            } else {
                String pool = poolRef;
                long poolRead = data.modified(Pool.XAPI_CLASS, pool);
                if (Boolean.TRUE.equals(data.get(pool, Pool.HA_ENABLED)) && haProtected(data, vm)) {
                    throw new ApiError("VM_IS_PROTECTED", vm);
                }
                u.unchanged(Pool.XAPI_CLASS, pool, poolRead);
                u.set(vm, VM.HA_ALWAYS_RUN, false);
                for (String vusb : data.get(vm, VM.VUSBS)) u.delete(VUSB.XAPI_CLASS, vusb);
                Rows.deleteIfValid(data, u, VMMetrics.XAPI_CLASS, metrics);
                u.set(vm, VM.METRICS, Refs.NULL);
            }
            data.apply(u.set(vm, VM.IS_A_TEMPLATE, value).build());
        });
        if (value) allowed.update(VM.XAPI_CLASS, vm);
    }

    /** {@code Helpers.is_xha_protected}: restart priority "restart". */
    private static boolean haProtected(Db data, String vm) {
        return "restart".equals(data.get(vm, VM.HA_RESTART_PRIORITY));
    }
}
