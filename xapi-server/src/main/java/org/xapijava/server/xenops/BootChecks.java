package org.xapijava.server.xenops;

import java.util.List;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

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
    static void assertCanBootHere(FieldReads r, String vm, String host) {
        validateBasicParameters(r, vm);
        String metrics = r.get(host, Host.METRICS);
        if (!r.isValid(HostMetrics.XAPI_CLASS, metrics) || !r.get(metrics, HostMetrics.LIVE)) {
            throw new ApiError("HOST_NOT_LIVE");
        }
        boolean controlDomain = r.get(vm, VM.IS_CONTROL_DOMAIN);
        if (controlDomain) {
            String affinity = r.get(vm, VM.AFFINITY);
            if (!Refs.isNull(affinity) && !affinity.equals(host)) {
                throw new ApiError(
                        "OPERATION_NOT_ALLOWED", "Cannot boot a control domain on a host different from its affinity");
            }
        }
        boolean localLiveMigration =
                "Running".equals(r.get(vm, VM.POWER_STATE)) && host.equals(r.get(vm, VM.RESIDENT_ON));
        if (!controlDomain && !localLiveMigration && !r.get(host, Host.ENABLED))
            throw new ApiError("HOST_DISABLED", host);
        long version = r.get(vm, VM.HARDWARE_PLATFORM_VERSION);
        @SuppressWarnings("unchecked")
        List<Long> versions = (List<Long>) r.get(host, Host.VIRTUAL_HARDWARE_PLATFORM_VERSIONS);
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
            boolean hvm = r.get(host, Host.CAPABILITIES).stream().anyMatch(c -> c.contains("hvm"));
            if (!hvm) throw new ApiError("VM_HVM_REQUIRED", vm);
        }
        MemoryCheck.assertEnoughMemory(r, vm, host);
        long vcpus = r.get(vm, VM.VCPUS_MAX);
        long pcpus;
        try {
            pcpus = Long.parseLong(r.get(host, Host.CPU_INFO).getOrDefault("cpu_count", "0"));
        } catch (NumberFormatException e) {
            pcpus = 0;
        }
        if (vcpus > pcpus && !MetadataBuilder.isTrue(r.get(vm, VM.PLATFORM), "vcpu-unrestricted", false)) {
            throw new ApiError("HOST_NOT_ENOUGH_PCPUS", Long.toString(vcpus), Long.toString(pcpus));
        }
    }

    /** {@code Helpers.domain_type}: the running domain's type, or the configured one for a halted VM. */
    private static String domainType(FieldReads r, String vm) {
        if ("Halted".equals(r.get(vm, VM.POWER_STATE))) {
            return MetadataBuilder.checkDomainType(r.get(vm, VM.DOMAIN_TYPE));
        }
        String m = r.get(vm, VM.METRICS);
        String t = r.isValid(VMMetrics.XAPI_CLASS, m) ? r.get(m, VMMetrics.CURRENT_DOMAIN_TYPE) : "unspecified";
        return MetadataBuilder.checkDomainType(t);
    }

    /** {@code validate_basic_parameters}: vCPUs, memory constraints, shadow multiplier, crash actions. */
    private static void validateBasicParameters(FieldReads r, String vm) {
        long max = r.get(vm, VM.VCPUS_MAX);
        long start = r.get(vm, VM.VCPUS_AT_STARTUP);
        if (max < 1) throw ApiError.invalidValue("VCPUs_max", Long.toString(max));
        if (start < 1) throw ApiError.invalidValue("VCPUs-at-startup", Long.toString(start));
        if (start > max)
            throw new ApiError(
                    "VALUE_NOT_SUPPORTED", "VCPUs-at-startup", Long.toString(start), "value greater than VCPUs-max");
        if (r.get(vm, VM.MEMORY_STATIC_MAX) < r.get(vm, VM.MEMORY_STATIC_MIN)
                || r.get(vm, VM.MEMORY_DYNAMIC_MAX) < r.get(vm, VM.MEMORY_DYNAMIC_MIN)) {
            throw new ApiError("MEMORY_CONSTRAINT_VIOLATION");
        }
        double shadow = r.get(vm, VM.HVM_SHADOW_MULTIPLIER);
        if (shadow < 1.0) throw ApiError.invalidValue("HVM_shadow_multiplier", XenopsErrors.ocamlFloat(shadow));
        String crash = r.get(vm, VM.ACTIONS_AFTER_CRASH);
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
    private static void assertCanSeeSrs(FieldReads r, String vm, String host) {
        List<String> vdis = new java.util.ArrayList<>();
        for (String vbd : r.get(vm, VM.VBDS)) {
            if (r.isValid(VBD.XAPI_CLASS, vbd) && !r.get(vbd, VBD.EMPTY)) vdis.add(r.get(vbd, VBD.VDI));
        }
        if ("Suspended".equals(r.get(vm, VM.POWER_STATE)) && !Refs.isNull(r.get(vm, VM.SUSPEND_VDI))) {
            vdis.add(r.get(vm, VM.SUSPEND_VDI));
        }
        for (String vdi : vdis) {
            String sr = r.get(vdi, VDI.SR);
            boolean seen = false;
            for (String pbd : r.get(host, Host.PBDS)) {
                if (r.isValid(PBD.XAPI_CLASS, pbd)
                        && r.get(pbd, PBD.CURRENTLY_ATTACHED)
                        && sr.equals(r.get(pbd, PBD.SR))) {
                    seen = true;
                }
            }
            if (!seen) throw new ApiError("VM_REQUIRES_SR", vm, sr);
        }
    }
}
