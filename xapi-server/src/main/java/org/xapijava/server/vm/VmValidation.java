package org.xapijava.server.vm;

import java.util.Map;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's VM parameter checks and memory arithmetic ({@code xapi_vm_helpers.ml},
 * {@code vm_memory_constraints.ml}, {@code xapi-idl/memory/memory.ml}). Xapi does not check a VM's
 * parameters at {@code VM.create} ("parameter validation is delayed until VM.start"); the start path
 * calls {@link #validateBasicParameters}. Stateless.
 */
public final class VmValidation {
    private static final long MIB = 1024L * 1024;

    private VmValidation() {}

    /**
     * {@code validate_basic_parameters}, on a VM record (wire field names): vCPUs, memory constraints,
     * shadow multiplier, crash action.
     *
     * @param domainType the VM's effective domain type ({@code hvm}, {@code pv}, {@code pvh},
     *                   {@code pv_in_pvh}), for the crash action rule
     */
    public static void validateBasicParameters(Map<String, Object> vm, String domainType) {
        validateVcpus((Long) vm.get("VCPUs_max"), (Long) vm.get("VCPUs_at_startup"));
        validateMemory(
                (Long) vm.get("memory_static_min"),
                (Long) vm.get("memory_dynamic_min"),
                (Long) vm.get("memory_target"),
                (Long) vm.get("memory_dynamic_max"),
                (Long) vm.get("memory_static_max"));
        double multiplier = (Double) vm.get("HVM_shadow_multiplier");
        if (multiplier < 1.0) throw ApiError.invalidValue("HVM_shadow_multiplier", ocamlFloat(multiplier));
        validateActionsAfterCrash((String) vm.get("actions_after_crash"), domainType);
    }

    /** {@code validate_vcpus}: {@code INVALID_VALUE} below 1, {@code VALUE_NOT_SUPPORTED} when startup exceeds max. */
    public static void validateVcpus(long max, long atStartup) {
        if (max < 1) throw ApiError.invalidValue("VCPUs_max", Long.toString(max));
        if (atStartup < 1) throw ApiError.invalidValue("VCPUs-at-startup", Long.toString(atStartup));
        if (atStartup > max) {
            throw new ApiError(
                    "VALUE_NOT_SUPPORTED",
                    "VCPUs-at-startup",
                    Long.toString(atStartup),
                    "value greater than VCPUs-max");
        }
    }

    /**
     * {@code validate_memory}: the constraints must be coercible into
     * {@code static_min <= dynamic_min <= target <= dynamic_max <= static_max} by moving only the
     * dynamic values, else {@code MEMORY_CONSTRAINT_VIOLATION []}.
     */
    public static void validateMemory(long staticMin, long dynamicMin, long target, long dynamicMax, long staticMax) {
        if (staticMax < staticMin || dynamicMax < dynamicMin) throw new ApiError("MEMORY_CONSTRAINT_VIOLATION");
    }

    /** {@code validate_actions_after_crash}. */
    public static void validateActionsAfterCrash(String value, String domainType) {
        String fld = "VM.actions_after_crash";
        switch (value) {
            case "rename_restart" ->
                throw new ApiError(
                        "VALUE_NOT_SUPPORTED",
                        fld,
                        "rename_restart",
                        "option would leak a domain; VMs and not domains are managed by this API");
            case "coredump_and_destroy", "coredump_and_restart" -> {
                if (!domainType.equals("pv")) {
                    throw new ApiError(
                            "VALUE_NOT_SUPPORTED",
                            fld,
                            value,
                            "cannot invoke a coredump of an HVM, PVH or PV-in-PVH domain");
                }
            }
            default -> {}
        }
    }

    /**
     * {@code VM.memory_overhead} ({@code Memory_check.vm_compute_memory_overhead}): the memory model of
     * the domain type's extra internal and external MiB, shadow memory, 38 pages per vCPU and the PVH
     * shim, in bytes.
     */
    public static long memoryOverhead(String domainType, long staticMaxBytes, long vcpusMax, double shadowMultiplier) {
        long internal;
        long shim = 0;
        long staticMaxMib = ceilDiv(staticMaxBytes, MIB);
        switch (domainType) {
            case "hvm", "pvh" -> internal = 1;
            case "pv" -> internal = 0;
            case "pv_in_pvh" -> {
                internal = 1;
                shim = 23 + staticMaxMib / 90;
            }
            default -> throw ApiError.internal("unspecified domain type");
        }
        long external = 1;
        long pages = 256 * vcpusMax + staticMaxMib + staticMaxMib;
        long shadow = Math.max(1, (long) (ceilDiv(pages, 256) * shadowMultiplier));
        long mib = internal + external + shadow + ceilDiv(38 * vcpusMax, 256) + shim;
        return mib * MIB;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** OCaml's {@code string_of_float} for the values that occur here ({@code 0.5}, {@code 0.}). */
    static String ocamlFloat(double d) {
        if (d == Math.rint(d) && !Double.isInfinite(d)) return (long) d + ".";
        String s = String.format("%.12g", d);
        if (s.contains("e")) return s;
        s = s.replaceAll("0+$", "");
        return s;
    }
}
