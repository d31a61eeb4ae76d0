package org.xapijava.server.vm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Transaction;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.VTPM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;

/**
 * {@code VM.create}, {@code VM.destroy} and {@code VM.set_is_a_template} as Xapi implements them
 * ({@code xapi_vm.ml}, {@code xapi_vm_helpers.ml}). Each call's database work is one transaction;
 * {@code allowed_operations} is recomputed through {@link org.xapijava.server.ops.Locks} afterwards.
 * Operation checks and marking ({@code destroy}, {@code make_into_template}) belong to the forwarding
 * layer. Thread-safe.
 */
final class Vms {
    static final String MAC_SEED = "mac_seed";
    static final String DEFAULT_TEMPLATE = "default_template";
    /** {@code Xapi_globs.has_vendor_device}: the platform version a vendor device needs. */
    static final long HAS_VENDOR_DEVICE_VERSION = 2;

    private Vms() {}

    /**
     * {@code VM.create}: a Halted (or, with a suspend image, Suspended) VM with a {@code mac_seed}, its
     * {@code VM_metrics}, the domain type derived from the boot policy when unspecified, and Xapi's
     * fixed values for every field a client may not set. Parameters are not validated (Xapi delays that
     * to {@code VM.start}), except that a Suspended VM needs its suspend image, boot record and CPU
     * flags ({@code VM_BAD_POWER_STATE}).
     */
    @SuppressWarnings("unchecked")
    static String create(Services services, CallContext ctx, Map<String, Object> r) {
        String ref = Refs.fresh();
        boolean suspended = "Suspended".equals(r.get("power_state"));
        Map<String, String> cpuFlags = suspended ? (Map<String, String>) r.get("last_boot_CPU_flags") : Map.of();
        String bootRecord = suspended ? (String) r.get("last_booted_record") : "";
        String suspendVdi = suspended ? (String) r.get("suspend_VDI") : Refs.NULL;
        if (suspended && (cpuFlags.isEmpty() || bootRecord.isEmpty() || Refs.isNull(suspendVdi))) {
            throw new ApiError("VM_BAD_POWER_STATE", ref, "halted", lower((String) r.get("power_state")));
        }
        Map<String, String> oc = (Map<String, String>) r.get("other_config");
        if (!oc.containsKey(MAC_SEED)) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put(MAC_SEED, Rows.uuid());
            m.putAll(oc);
            oc = m;
        }
        String domainType = (String) r.get("domain_type");
        if (domainType.equals("unspecified")) domainType = ((String) r.get("HVM_boot_policy")).isEmpty() ? "pv" : "hvm";
        String metricsDomainType = suspended ? (String) r.get("domain_type") : "unspecified";
        Map<String, Object> v = new LinkedHashMap<>(r);
        v.put("power_state", suspended ? "Suspended" : "Halted");
        v.put("allowed_operations", List.of());
        v.put("current_operations", Map.of());
        v.put("blocked_operations", Map.of());
        v.put("is_default_template", false);
        v.put("transportable_snapshot_id", "");
        v.put("is_a_snapshot", false);
        v.put("snapshot_time", DateTime.EPOCH);
        v.put("snapshot_of", Refs.NULL);
        v.put("parent", Refs.NULL);
        v.put("snapshot_info", Map.of());
        v.put("snapshot_metadata", "");
        v.put("resident_on", Refs.NULL);
        v.put("scheduled_to_be_resident_on", Refs.NULL);
        v.put("memory_overhead", 0L);
        v.put("suspend_VDI", suspendVdi);
        v.put("other_config", oc);
        v.put("domid", -1L);
        v.put("domarch", "");
        v.put("last_boot_CPU_flags", cpuFlags);
        v.put("is_control_domain", false);
        v.put("guest_metrics", Refs.NULL);
        v.put("last_booted_record", bootRecord);
        v.put("blobs", Map.of());
        v.put("bios_strings", Map.of());
        v.put("protection_policy", Refs.NULL);
        v.put("snapshot_schedule", Refs.NULL);
        v.put("is_vmss_snapshot", false);
        v.put("requires_reboot", false);
        v.put("domain_type", domainType);
        v.put("pending_guidances", List.of());
        v.put("pending_guidances_recommended", List.of());
        v.put("pending_guidances_full", List.of());
        String dt = domainType;
        ctx.db().transact(tx -> {
            v.put("metrics", Rows.newVmMetrics(tx, metricsDomainType));
            v.put("uuid", Rows.uuid());
            Map<String, Object> known = new LinkedHashMap<>();
            v.forEach((k, x) -> {
                var f = tx.datamodel().cls("VM").field(k);
                if (f != null && f.inDatabase()) known.put(k, x);
            });
            tx.create("VM", ref, known);
            tx.set(
                    "VM",
                    ref,
                    "memory_overhead",
                    VmValidation.memoryOverhead(
                            dt, (Long) v.get("memory_static_max"), (Long) v.get("VCPUs_max"), (Double)
                                    v.get("HVM_shadow_multiplier")));
            if (Boolean.TRUE.equals(v.get("has_vendor_device"))
                    && (Long) v.get("hardware_platform_version") < HAS_VENDOR_DEVICE_VERSION) {
                tx.set(ref, VM.HARDWARE_PLATFORM_VERSION, HAS_VENDOR_DEVICE_VERSION);
            }
        });
        services.allowed().update("VM", ref);
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
    static void destroy(CallContext ctx, String vm) {
        ctx.db().transact(tx -> {
            String parent = (String) tx.get(vm, VM.PARENT);
            if ("true".equals(tx.get(vm, VM.OTHER_CONFIG).get(DEFAULT_TEMPLATE))) {
                throw new ApiError("VM_CANNOT_DELETE_DEFAULT_TEMPLATE");
            }
            for (String child : tx.get(vm, VM.CHILDREN)) tx.set(child, VM.PARENT, parent);
            deleteOwned(tx, vm);
            tx.delete("VM", vm);
        });
    }

    /** Deletes the rows that belong to {@code vm} (not its VDIs). */
    @SuppressWarnings("unchecked")
    static void deleteOwned(Transaction tx, String vm) {
        for (String vtpm : tx.get(vm, VM.VTPMS)) {
            Object secret = tx.datamodel().cls("VTPM").field("contents") != null ? tx.get(vtpm, VTPM.CONTENTS) : null;
            tx.delete("VTPM", vtpm);
            if (secret instanceof String s) Rows.deleteIfValid(tx, "secret", s);
        }
        for (Object blob : ((Map<String, String>) tx.get(vm, VM.BLOBS)).values()) {
            Rows.deleteIfValid(tx, "blob", (String) blob);
        }
        tx.set(vm, VM.APPLIANCE, Refs.NULL);
        for (String vbd : tx.get(vm, VM.VBDS)) Vbds.delete(tx, vbd);
        for (String vif : tx.get(vm, VM.VIFS)) Vifs.delete(tx, vif);
        for (String vgpu : tx.get(vm, VM.VGPUS)) tx.delete("VGPU", vgpu);
        for (String vusb : tx.get(vm, VM.VUSBS)) tx.delete("VUSB", vusb);
        for (String console : tx.get(vm, VM.CONSOLES)) tx.delete("console", console);
        for (String dump : tx.get(vm, VM.CRASH_DUMPS)) tx.delete("crashdump", dump);
        Rows.deleteIfValid(tx, "VM_metrics", (String) tx.get(vm, VM.METRICS));
        Rows.deleteIfValid(tx, "VM_guest_metrics", (String) tx.get(vm, VM.GUEST_METRICS));
    }

    /**
     * {@code VM.set_is_a_template}. Making a template: refused for an HA-protected VM of an HA pool
     * ({@code VM_IS_PROTECTED}); clears {@code ha_always_run}, drops VUSBs and the metrics. Making an
     * ordinary VM ("install time"): stamps {@code VM_metrics.install_time}. {@code is_default_template}
     * is left as it is.
     */
    static void setIsATemplate(Services services, CallContext ctx, String vm, boolean value) {
        ctx.db().transact(tx -> {
            String metrics = (String) tx.get(vm, VM.METRICS);
            if (!value) {
                if (DbValues.valid(tx, VMMetrics.XAPI_CLASS, metrics)) {
                    tx.set(
                            "VM_metrics",
                            metrics,
                            "install_time",
                            DateTime.ofInstant(services.clock().instant()));
                }
            } else {
                String pool = services.poolRef();
                if (Boolean.TRUE.equals(tx.get(pool, Pool.HA_ENABLED)) && haProtected(tx, vm)) {
                    throw new ApiError("VM_IS_PROTECTED", vm);
                }
                tx.set(vm, VM.HA_ALWAYS_RUN, false);
                for (String vusb : tx.get(vm, VM.VUSBS)) tx.delete("VUSB", vusb);
                Rows.deleteIfValid(tx, "VM_metrics", metrics);
                tx.set(vm, VM.METRICS, Refs.NULL);
            }
            tx.set(vm, VM.IS_A_TEMPLATE, value);
        });
        if (value) services.allowed().update("VM", vm);
    }

    /** {@code Helpers.is_xha_protected}: restart priority "restart". */
    private static boolean haProtected(Transaction tx, String vm) {
        return "restart".equals(tx.get(vm, VM.HA_RESTART_PRIORITY));
    }
}
