package org.xapijava.server.xenops;

import java.util.List;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PUSB;
import org.xapijava.model.api.USBGroup;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/**
 * Whether a VM may boot on a host, as Xapi's {@code xapi_vm_helpers.ml} asks before a start or resume and
 * {@code VM.assert_can_boot_here} / {@code VM.get_possible_hosts} ask for a client: pure functions of a database
 * view, one set of checks for all of them. Stateless.
 */
public final class BootChecks {
    /** {@code Constants.cpu_info_vendor_key}: a key of a host's {@code cpu_info} and a VM's last boot CPU flags. */
    static final String CPU_VENDOR = "vendor";
    /** {@code Constants.cpu_info_features_key}: the feature set a VM last booted with. */
    static final String CPU_FEATURES = "features";

    private BootChecks() {}

    /** {@code assert_can_boot_here} as the forwarding layer's start and resume ask it (no CPU check). */
    static void assertCanBootHere(FieldReads r, String vm, String host) {
        assertCanBootHere(r, vm, host, false);
    }

    /**
     * {@code assert_can_boot_here} ({@code xapi_vm_helpers.ml}) for the objects held here, in Xapi's order: basic
     * parameters, host live, control domain affinity, host enabled, virtual hardware platform version, the CPU the
     * VM last booted on ({@code cpuidCheck}), storage ({@code VM_REQUIRES_SR}), networks ({@link NetworkReach}),
     * USB devices, HVM support, memory ({@link MemoryCheck}), physical CPUs. A host that is not a valid reference
     * is not live, as Xapi's {@code is_host_live} finds it. vGPUs and SR-IOV VFs are not checked (neither exists
     * here).
     */
    public static void assertCanBootHere(FieldReads r, String vm, String host, boolean cpuidCheck) {
        assertCanBootHere(r, vm, host, cpuidCheck, true);
    }

    /** As {@link #assertCanBootHere(FieldReads, String, String, boolean)}, the memory check only if {@code memoryCheck}. */
    public static void assertCanBootHere(
            FieldReads r, String vm, String host, boolean cpuidCheck, boolean memoryCheck) {
        assertCanBootHere(r, vm, host, cpuidCheck, memoryCheck, true);
    }

    /** As {@link #assertCanBootHere(FieldReads, String, String, boolean, boolean)}, the SR check only if {@code srCheck}. */
    public static void assertCanBootHere(
            FieldReads r, String vm, String host, boolean cpuidCheck, boolean memoryCheck, boolean srCheck) {
        validateBasicParameters(r, vm);
        if (!isHostLive(r, host)) throw new ApiError("HOST_NOT_LIVE");
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
        if (cpuidCheck) assertCpuCompatible(r, vm, host);
        if (srCheck) assertCanSeeSrs(r, vm, host);
        NetworkReach.assertCanSeeNetworks(r, vm, host);
        assertUsbsAvailable(r, vm, host);
        String dt = domainType(r, vm);
        if (!dt.equals("pv")) {
            boolean hvm = r.get(host, Host.CAPABILITIES).stream().anyMatch(c -> c.contains("hvm"));
            if (!hvm) throw new ApiError("VM_HVM_REQUIRED", vm);
        }
        if (memoryCheck) MemoryCheck.assertEnoughMemory(r, vm, host);
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

    /** {@code is_host_live}: the host's metrics say live; false for anything unreadable. */
    public static boolean isHostLive(FieldReads r, String host) {
        if (!r.isValid(Host.XAPI_CLASS, host)) return false;
        String metrics = r.get(host, Host.METRICS);
        return r.isValid(HostMetrics.XAPI_CLASS, metrics) && r.get(metrics, HostMetrics.LIVE);
    }

    /**
     * {@code Cpuid_helpers.assert_vm_is_compatible}: a VM that is not halted may only go to a host whose CPU has its
     * last boot's vendor and features ({@code VM_INCOMPATIBLE_WITH_THIS_HOST [vm, host, why]}); the host's
     * {@code features_pv} or {@code features_hvm} by the VM's current domain type.
     */
    public static void assertCpuCompatible(FieldReads r, String vm, String host) {
        if ("Halted".equals(r.get(vm, VM.POWER_STATE))) return;
        assertCpuCompatible(r, vm, r.get(vm, VM.LAST_BOOT_CPU_FLAGS), domainType(r, vm), host);
    }

    /**
     * The same for a VM being imported ({@code `import (vm_rec, dt)}), not halted: its {@code last_boot_CPU_flags} and
     * its exported metrics' domain type; the error names the null reference, as the VM has none yet.
     */
    public static void assertImportCpuCompatible(
            FieldReads r, java.util.Map<String, String> lastBootCpuFlags, String domainType, String host) {
        assertCpuCompatible(r, Refs.NULL, lastBootCpuFlags, MetadataBuilder.checkDomainType(domainType), host);
    }

    private static void assertCpuCompatible(
            FieldReads r, String vm, java.util.Map<String, String> last, String dt, String host) {
        java.util.Map<String, String> hostCpu = r.get(host, Host.CPU_INFO);
        String hostVendor = hostCpu.get(CPU_VENDOR);
        String hostFeatures = hostCpu.get(dt.equals("pv") ? "features_pv" : "features_hvm");
        if (hostVendor == null || hostFeatures == null) {
            throw incompatible(vm, host, "Host does not have new leveling feature keys - not comparing VM's flags");
        }
        String vendor = last.get(CPU_VENDOR);
        if (vendor != null && !vendor.equals(hostVendor)) {
            throw incompatible(vm, host, "VM last booted on a host which had a CPU from a different vendor.");
        }
        String features = last.get(CPU_FEATURES);
        if (features != null && !featuresSubset(features, hostFeatures)) {
            throw incompatible(vm, host, "VM last booted on a CPU with features this host's CPU does not have.");
        }
    }

    private static ApiError incompatible(String vm, String host, String why) {
        return new ApiError("VM_INCOMPATIBLE_WITH_THIS_HOST", vm, host, why);
    }

    /**
     * xenopsd's {@code HOST.is_compatible} on feature sets ({@code "0000000a-1f2e..."}: 32-bit words in hex, joined
     * by dashes): every bit of the VM's is set in the host's, words the host lacks reading as zero. An unreadable
     * set is not compatible.
     */
    static boolean featuresSubset(String vmFeatures, String hostFeatures) {
        long[] v = words(vmFeatures);
        long[] h = words(hostFeatures);
        if (v == null || h == null) return false;
        for (int i = 0; i < v.length; i++) {
            long hw = i < h.length ? h[i] : 0;
            if ((v[i] & ~hw) != 0) return false;
        }
        return true;
    }

    private static long[] words(String s) {
        if (s.isEmpty()) return new long[0];
        String[] parts = s.split("-", -1);
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i], 16);
            } catch (NumberFormatException e) {
                return null;
            }
            if (out[i] < 0 || out[i] > 0xffffffffL) return null;
        }
        return out;
    }

    /**
     * {@code assert_usbs_available}: each VUSB's USB group's first PUSB is on the host, else {@code
     * OPERATION_NOT_ALLOWED ["VUSB <vusb> is not available on Host <host>"]}.
     */
    private static void assertUsbsAvailable(FieldReads r, String vm, String host) {
        for (String vusb : r.get(vm, VM.VUSBS)) {
            boolean here = false;
            if (r.isValid(VUSB.XAPI_CLASS, vusb)) {
                String group = r.get(vusb, VUSB.USB_GROUP);
                if (r.isValid(USBGroup.XAPI_CLASS, group)) {
                    List<String> pusbs = r.get(group, USBGroup.PUSBS);
                    here = !pusbs.isEmpty()
                            && r.isValid(PUSB.XAPI_CLASS, pusbs.getFirst())
                            && host.equals(r.get(pusbs.getFirst(), PUSB.HOST));
                }
            }
            if (!here) {
                throw new ApiError("OPERATION_NOT_ALLOWED", "VUSB " + vusb + " is not available on Host " + host);
            }
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
