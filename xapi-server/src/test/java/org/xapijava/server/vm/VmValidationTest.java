package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

class VmValidationTest {
    private static final long MIB = 1024 * 1024;

    private static List<String> err(Runnable r) {
        return assertThrows(ApiError.class, r::run).description();
    }

    @Test
    void vcpus() {
        assertEquals(List.of("INVALID_VALUE", "VCPUs_max", "0"), err(() -> VmValidation.validateVcpus(0, 1)));
        assertEquals(List.of("INVALID_VALUE", "VCPUs-at-startup", "0"), err(() -> VmValidation.validateVcpus(2, 0)));
        assertEquals(
                List.of("VALUE_NOT_SUPPORTED", "VCPUs-at-startup", "3", "value greater than VCPUs-max"),
                err(() -> VmValidation.validateVcpus(2, 3)));
        VmValidation.validateVcpus(2, 2);
    }

    @Test
    void memoryNeedsCoercibleConstraints() {
        assertEquals(List.of("MEMORY_CONSTRAINT_VIOLATION"), err(() -> VmValidation.validateMemory(2, 2, 2, 2, 1)));
        assertEquals(List.of("MEMORY_CONSTRAINT_VIOLATION"), err(() -> VmValidation.validateMemory(1, 3, 2, 2, 4)));
        // dynamic values outside the static range are coerced, not refused
        VmValidation.validateMemory(2, 1, 9, 9, 4);
    }

    @Test
    void basicParametersAndCrashActions() {
        Map<String, Object> vm = Map.of(
                "VCPUs_max",
                1L,
                "VCPUs_at_startup",
                1L,
                "memory_static_min",
                1L,
                "memory_dynamic_min",
                1L,
                "memory_target",
                1L,
                "memory_dynamic_max",
                1L,
                "memory_static_max",
                1L,
                "HVM_shadow_multiplier",
                0.5,
                "actions_after_crash",
                "restart");
        assertEquals(
                List.of("INVALID_VALUE", "HVM_shadow_multiplier", "0.5"),
                err(() -> VmValidation.validateBasicParameters(vm, "hvm")));
        assertEquals(
                "VALUE_NOT_SUPPORTED",
                err(() -> VmValidation.validateActionsAfterCrash("coredump_and_restart", "hvm"))
                        .get(0));
        VmValidation.validateActionsAfterCrash("coredump_and_restart", "pv");
        assertEquals(
                "VALUE_NOT_SUPPORTED",
                err(() -> VmValidation.validateActionsAfterCrash("rename_restart", "pv"))
                        .get(0));
    }

    @Test
    void memoryOverheadAsXapisModels() {
        // 2 GiB, 2 vCPUs, multiplier 1: HVM 1+1 + shadow ceil((512+2048+2048)/256)=18 + ceil(76/256)=1 = 21 MiB
        assertEquals(21 * MIB, VmValidation.memoryOverhead("hvm", 2048 * MIB, 2, 1.0));
        assertEquals(20 * MIB, VmValidation.memoryOverhead("pv", 2048 * MIB, 2, 1.0));
        // PV-in-PVH adds the shim: 23 + 2048/90 = 45 MiB
        assertEquals(66 * MIB, VmValidation.memoryOverhead("pv_in_pvh", 2048 * MIB, 2, 1.0));
        assertEquals(
                "INTERNAL_ERROR",
                err(() -> VmValidation.memoryOverhead("unspecified", MIB, 1, 1.0))
                        .get(0));
    }
}
