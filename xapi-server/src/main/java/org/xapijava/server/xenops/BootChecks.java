package org.xapijava.server.xenops;

import java.util.List;
import org.xapijava.db.DbReader;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;

/**
 * Whether a VM may boot on a host, as Xapi's {@code xapi_vm_helpers.ml} asks before a start or resume: pure
 * functions of a database snapshot. Stateless.
 */
final class BootChecks {
    private BootChecks() {}

    /**
     * The admission checks of {@code assert_can_boot_here} ({@code xapi_vm_helpers.ml}) that apply to the
     * objects held here: basic parameters, host live and enabled, control domain affinity, virtual hardware
     * platform version, storage, HVM support, memory ({@link MemoryCheck}), physical CPUs.
     */
    static void assertCanBootHere(DbReader r, String vm, String host) {
        validateBasicParameters(r, vm);
        String metrics = DbValues.str(r, "host", host, "metrics");
        if (!DbValues.valid(r, "host_metrics", metrics) || !DbValues.bool(r, "host_metrics", metrics, "live")) {
            throw new ApiError("HOST_NOT_LIVE");
        }
        boolean controlDomain = DbValues.bool(r, "VM", vm, "is_control_domain");
        if (controlDomain) {
            String affinity = DbValues.str(r, "VM", vm, "affinity");
            if (!Refs.isNull(affinity) && !affinity.equals(host)) {
                throw new ApiError(
                        "OPERATION_NOT_ALLOWED", "Cannot boot a control domain on a host different from its affinity");
            }
        }
        boolean localLiveMigration = "Running".equals(DbValues.str(r, "VM", vm, "power_state"))
                && host.equals(DbValues.str(r, "VM", vm, "resident_on"));
        if (!controlDomain && !localLiveMigration && !DbValues.bool(r, "host", host, "enabled"))
            throw new ApiError("HOST_DISABLED", host);
        long version = DbValues.lng(r, "VM", vm, "hardware_platform_version");
        @SuppressWarnings("unchecked")
        List<Long> versions = (List<Long>) r.get("host", host, "virtual_hardware_platform_versions");
        if (!versions.contains(version)) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < versions.size(); i++)
                b.append(i == 0 ? "" : "; ").append(versions.get(i));
            throw new ApiError(
                    "VM_HOST_INCOMPATIBLE_VIRTUAL_HARDWARE_PLATFORM_VERSION",
                    host,
                    b.append(']').toString(),
                    vm,
                    Long.toString(version));
        }
        assertCanSeeSrs(r, vm, host);
        String dt = domainType(r, vm);
        if (!dt.equals("pv")) {
            boolean hvm =
                    DbValues.list(r, "host", host, "capabilities").stream().anyMatch(c -> c.contains("hvm"));
            if (!hvm) throw new ApiError("VM_HVM_REQUIRED", vm);
        }
        MemoryCheck.assertEnoughMemory(r, vm, host);
        long vcpus = DbValues.lng(r, "VM", vm, "VCPUs_max");
        long pcpus;
        try {
            pcpus = Long.parseLong(DbValues.map(r, "host", host, "cpu_info").getOrDefault("cpu_count", "0"));
        } catch (NumberFormatException e) {
            pcpus = 0;
        }
        if (vcpus > pcpus
                && !MetadataBuilder.isTrue(DbValues.map(r, "VM", vm, "platform"), "vcpu-unrestricted", false)) {
            throw new ApiError("HOST_NOT_ENOUGH_PCPUS", Long.toString(vcpus), Long.toString(pcpus));
        }
    }

    /** {@code Helpers.domain_type}: the running domain's type, or the configured one for a halted VM. */
    private static String domainType(DbReader r, String vm) {
        if ("Halted".equals(DbValues.str(r, "VM", vm, "power_state"))) {
            return MetadataBuilder.checkDomainType(DbValues.str(r, "VM", vm, "domain_type"));
        }
        String m = DbValues.str(r, "VM", vm, "metrics");
        String t = DbValues.valid(r, "VM_metrics", m)
                ? DbValues.str(r, "VM_metrics", m, "current_domain_type")
                : "unspecified";
        return MetadataBuilder.checkDomainType(t);
    }

    /** {@code validate_basic_parameters}: vCPUs, memory constraints, shadow multiplier, crash actions. */
    private static void validateBasicParameters(DbReader r, String vm) {
        long max = DbValues.lng(r, "VM", vm, "VCPUs_max");
        long start = DbValues.lng(r, "VM", vm, "VCPUs_at_startup");
        if (max < 1) throw ApiError.invalidValue("VCPUs_max", Long.toString(max));
        if (start < 1) throw ApiError.invalidValue("VCPUs-at-startup", Long.toString(start));
        if (start > max)
            throw new ApiError(
                    "VALUE_NOT_SUPPORTED", "VCPUs-at-startup", Long.toString(start), "value greater than VCPUs-max");
        if (DbValues.lng(r, "VM", vm, "memory_static_max") < DbValues.lng(r, "VM", vm, "memory_static_min")
                || DbValues.lng(r, "VM", vm, "memory_dynamic_max") < DbValues.lng(r, "VM", vm, "memory_dynamic_min")) {
            throw new ApiError("MEMORY_CONSTRAINT_VIOLATION");
        }
        double shadow = DbValues.dbl(r, "VM", vm, "HVM_shadow_multiplier");
        if (shadow < 1.0) throw ApiError.invalidValue("HVM_shadow_multiplier", XenopsErrors.ocamlFloat(shadow));
        String crash = DbValues.str(r, "VM", vm, "actions_after_crash");
        if (crash.equals("rename_restart")) {
            throw new ApiError(
                    "VALUE_NOT_SUPPORTED",
                    "VM.actions_after_crash",
                    "rename_restart",
                    "option would leak a domain; VMs and not domains are managed by this API");
        }
        if ((crash.equals("coredump_and_destroy") || crash.equals("coredump_and_restart"))
                && !domainType(r, vm).equals("pv")) {
            throw new ApiError(
                    "VALUE_NOT_SUPPORTED",
                    "VM.actions_after_crash",
                    crash,
                    "cannot invoke a coredump of an HVM, PVH or PV-in-PVH domain");
        }
    }

    /** {@code assert_can_see_SRs}: the SR of every disk (and of a suspended VM's image) is plugged on the host. */
    private static void assertCanSeeSrs(DbReader r, String vm, String host) {
        List<String> vdis = new java.util.ArrayList<>();
        for (String vbd : DbValues.list(r, "VM", vm, "VBDs")) {
            if (DbValues.valid(r, "VBD", vbd) && !DbValues.bool(r, "VBD", vbd, "empty"))
                vdis.add(DbValues.str(r, "VBD", vbd, "VDI"));
        }
        if ("Suspended".equals(DbValues.str(r, "VM", vm, "power_state"))
                && !Refs.isNull(DbValues.str(r, "VM", vm, "suspend_VDI"))) {
            vdis.add(DbValues.str(r, "VM", vm, "suspend_VDI"));
        }
        for (String vdi : vdis) {
            String sr = DbValues.str(r, "VDI", vdi, "SR");
            boolean seen = false;
            for (String pbd : DbValues.list(r, "host", host, "PBDs")) {
                if (DbValues.valid(r, "PBD", pbd)
                        && DbValues.bool(r, "PBD", pbd, "currently_attached")
                        && sr.equals(DbValues.str(r, "PBD", pbd, "SR"))) {
                    seen = true;
                }
            }
            if (!seen) throw new ApiError("VM_REQUIRES_SR", vm, sr);
        }
    }
}
