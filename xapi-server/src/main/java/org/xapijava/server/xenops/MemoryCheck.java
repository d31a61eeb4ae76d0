package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;

/**
 * The pool master's memory accounting ({@code ocaml/xapi/memory_check.ml} over the memory models of
 * {@code ocaml/xapi-idl/memory/memory.ml}): what a VM needs to start, what a host has free according to the
 * database (its total less its own overhead, less every VM resident or scheduled there), and the admission
 * check {@code assert_enough_memory_available} of {@code xapi_vm_helpers.ml}. Pure functions of a database
 * view; thread-safe.
 */
public final class MemoryCheck {
    static final long MIB = 1024L * 1024;
    private static final long KIB = 1024L;
    private static final long PAGES_PER_MIB = 256;

    private MemoryCheck() {}

    /** Which amount of a VM's memory the accounting counts ({@code accounting_policy}). */
    enum Policy {
        STATIC_MAX,
        DYNAMIC_MAX,
        DYNAMIC_MIN
    }

    /** {@code memory.ml}'s memory models: extra MiB inside and outside the guest, and the PV shim. */
    enum Model {
        HVM(1, 1, false),
        LINUX(0, 1, false),
        PV_IN_PVH(1, 1, true);

        final long extraInternalMib;
        final long extraExternalMib;
        final boolean shim;

        Model(long extraInternalMib, long extraExternalMib, boolean shim) {
            this.extraInternalMib = extraInternalMib;
            this.extraExternalMib = extraExternalMib;
            this.shim = shim;
        }

        /** The PV-in-PVH shim: 23 MiB plus one per 90 MiB of guest. */
        long shimMib(long staticMaxMib) {
            return shim ? 23 + staticMaxMib / 90 : 0;
        }

        /** Shadow memory: 256 pages per vCPU plus two per MiB of guest, rounded up to MiB, times the multiplier. */
        long shadowMib(long staticMaxMib, long vcpus, double multiplier) {
            long pages = 256 * vcpus + staticMaxMib + staticMaxMib;
            long mib = ceilDiv(pages, PAGES_PER_MIB);
            return Math.max(1, (long) (mib * multiplier));
        }

        /** Everything a domain needs besides its guest memory (Xen's 38 pages per vCPU included, CA-423172). */
        long overheadMib(long staticMaxMib, long vcpus, double multiplier) {
            return extraInternalMib
                    + extraExternalMib
                    + shadowMib(staticMaxMib, vcpus, multiplier)
                    + ceilDiv(38 * vcpus, PAGES_PER_MIB)
                    + shimMib(staticMaxMib);
        }
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** The model, shadow multiplier and start policy of a VM of {@code domainType} (Xapi's {@code check_domain_type}). */
    private record Kind(Model model, boolean useVmMultiplier, Policy startPolicy) {
        static Kind of(String domainType) {
            return switch (domainType) {
                case "hvm", "pvh" -> new Kind(Model.HVM, true, Policy.DYNAMIC_MIN);
                case "pv" -> new Kind(Model.LINUX, false, Policy.DYNAMIC_MIN);
                case "pv_in_pvh" -> new Kind(Model.PV_IN_PVH, true, Policy.STATIC_MAX);
                default -> throw ApiError.internal("unspecified domain type");
            };
        }
    }

    private static long choose(Policy p, FieldReads r, String vm) {
        return switch (p) {
            case DYNAMIC_MIN -> r.get(vm, VM.MEMORY_DYNAMIC_MIN);
            case DYNAMIC_MAX -> r.get(vm, VM.MEMORY_DYNAMIC_MAX);
            case STATIC_MAX -> r.get(vm, VM.MEMORY_STATIC_MAX);
        };
    }

    /**
     * {@code vm_compute_start_memory} with the policy {@code assert_enough_memory_available} uses: the bytes
     * (normal plus shadow) a VM needs to start, i.e. its footprint at its dynamic minimum (static maximum for
     * PV-in-PVH) rounded up to MiB.
     */
    public static long startMemoryBytes(FieldReads r, String vm) {
        String domainType = r.get(vm, VM.DOMAIN_TYPE);
        long required = choose(Kind.of(domainType).startPolicy(), r, vm);
        return requiredMemoryBytes(
                domainType,
                required,
                r.get(vm, VM.MEMORY_STATIC_MAX),
                r.get(vm, VM.VCPUS_MAX),
                r.get(vm, VM.HVM_SHADOW_MULTIPLIER));
    }

    /** {@link #startMemoryBytes(FieldReads, String)} of a VM record not in the database (an import's). */
    public static long startMemoryBytes(java.util.Map<String, Object> r) {
        String domainType = org.xapijava.db.Db.value(r, VM.DOMAIN_TYPE);
        long required = org.xapijava.db.Db.value(
                r,
                switch (Kind.of(domainType).startPolicy()) {
                    case DYNAMIC_MIN -> VM.MEMORY_DYNAMIC_MIN;
                    case DYNAMIC_MAX -> VM.MEMORY_DYNAMIC_MAX;
                    case STATIC_MAX -> VM.MEMORY_STATIC_MAX;
                });
        return requiredMemoryBytes(
                domainType,
                required,
                org.xapijava.db.Db.value(r, VM.MEMORY_STATIC_MAX),
                org.xapijava.db.Db.value(r, VM.VCPUS_MAX),
                org.xapijava.db.Db.value(r, VM.HVM_SHADOW_MULTIPLIER));
    }

    /**
     * {@code vm_compute_required_memory} as {@code vm_compute_start_memory} calls it, normal and shadow memory
     * added: the bytes a VM of {@code domainType} with these settings needs on a host to run with
     * {@code requiredBytes} of guest memory (rounded up to KiB, then MiB), its overhead included. A PV guest's shadow
     * memory is computed with multiplier 1, the others' with {@code vmMultiplier}.
     */
    public static long requiredMemoryBytes(
            String domainType, long requiredBytes, long staticMaxBytes, long vcpus, double vmMultiplier) {
        Kind k = Kind.of(domainType);
        long targetMib = ceilDiv(ceilDiv(requiredBytes, KIB), KIB);
        long maxMib = ceilDiv(staticMaxBytes, MIB);
        double multiplier = k.useVmMultiplier() ? vmMultiplier : 1.0;
        return (targetMib + k.model().overheadMib(maxMib, vcpus, multiplier)) * MIB;
    }

    /** {@code vm_compute_memory_overhead}: the VM's {@code memory_overhead} field. */
    public static long overheadBytes(FieldReads r, String vm) {
        Kind k = Kind.of(r.get(vm, VM.DOMAIN_TYPE));
        long maxMib = ceilDiv(r.get(vm, VM.MEMORY_STATIC_MAX), MIB);
        return k.model().overheadMib(maxMib, r.get(vm, VM.VCPUS_MAX), r.get(vm, VM.HVM_SHADOW_MULTIPLIER)) * MIB;
    }

    /** {@code vm_compute_used_memory}: the chosen amount plus the VM's recorded overhead. */
    static long usedMemoryBytes(FieldReads r, String vm, Policy p) {
        return choose(p, r, vm) + r.get(vm, VM.MEMORY_OVERHEAD);
    }

    /**
     * {@code host_compute_free_memory_with_maximum_compression}: the host's {@code host_metrics.memory_total}
     * less its {@code memory_overhead}, less (dynamic minimum + overhead) of every VM {@code resident_on} or
     * {@code scheduled_to_be_resident_on} it (the control domain included), {@code ignoreScheduled} not counted
     * as scheduled; at least 0.
     */
    public static long hostFreeMemoryBytes(FieldReads r, String host, String ignoreScheduled) {
        String metrics = r.get(host, Host.METRICS);
        long total = r.isValid(HostMetrics.XAPI_CLASS, metrics) ? r.get(metrics, HostMetrics.MEMORY_TOTAL) : 0;
        long available = total - r.get(host, Host.MEMORY_OVERHEAD);
        List<String> vms = new ArrayList<>(r.where(VM.RESIDENT_ON, host));
        for (String vm : r.where(VM.SCHEDULED_TO_BE_RESIDENT_ON, host)) {
            if (!vm.equals(ignoreScheduled)) vms.add(vm);
        }
        for (String vm : vms) available -= usedMemoryBytes(r, vm, Policy.DYNAMIC_MIN);
        return Math.max(0, available);
    }

    /**
     * {@code assert_enough_memory_available}: {@code HOST_NOT_ENOUGH_FREE_MEMORY [needed, available]} when the
     * host's free memory (the VM's own reservation there not counted) is below what the VM needs to start.
     */
    public static void assertEnoughMemory(FieldReads r, String vm, String host) {
        long available = hostFreeMemoryBytes(r, host, vm);
        long needed = startMemoryBytes(r, vm);
        if (available < needed) {
            throw new ApiError("HOST_NOT_ENOUGH_FREE_MEMORY", Long.toString(needed), Long.toString(available));
        }
    }
}
