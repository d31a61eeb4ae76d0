package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

/** {@code maximise_memory}'s arithmetic and {@code Helpers.bisect}. */
class VmMemoryTest {
    private static final long MIB = 1024L * 1024;

    private static Map<String, Object> vm(String domainType, long vcpus, double multiplier) {
        return Map.of("domain_type", domainType, "VCPUs_max", vcpus, "HVM_shadow_multiplier", multiplier);
    }

    @Test
    void maximiseFindsTheLargestStaticMaxThatFits() {
        // 1 vCPU HVM: 1012 MiB of guest + 1 + 1 extra + 9 shadow + 1 for the vCPU = 1024 MiB
        assertEquals(1012 * MIB, VmMemory.maximise(vm("hvm", 1, 1.0), 1024 * MIB, false));
        // PV: no extra MiB inside the guest, and its shadow memory never uses the VM's multiplier
        assertEquals(1013 * MIB, VmMemory.maximise(vm("pv", 1, 8.0), 1024 * MIB, false));
        // HVM with the multiplier 4: 36 MiB of shadow
        assertEquals(985 * MIB, VmMemory.maximise(vm("hvm", 1, 4.0), 1024 * MIB, false));
        // approximate: 64 vCPUs (64 more MiB of shadow, 10 more for the vCPUs), whatever the VM has
        assertEquals(
                VmMemory.maximise(vm("hvm", 64, 1.0), 1024 * MIB, false),
                VmMemory.maximise(vm("hvm", 1, 1.0), 1024 * MIB, true));
        assertEquals(940 * MIB, VmMemory.maximise(vm("hvm", 1, 1.0), 1024 * MIB, true));
        // rounded down to a MiB; nothing fits in less than the overhead
        assertEquals(1012 * MIB, VmMemory.maximise(vm("hvm", 1, 1.0), 1024 * MIB + MIB - 1, false));
        assertEquals(0, VmMemory.maximise(vm("hvm", 1, 1.0), 3 * MIB, false));
        assertEquals(0, VmMemory.maximise(vm("hvm", 1, 1.0), 0, false));
    }

    @Test
    void maximiseOfAnUnspecifiedDomainTypeIsAnInternalError() {
        ApiError e =
                assertThrows(ApiError.class, () -> VmMemory.maximise(vm("unspecified", 1, 1.0), 1024 * MIB, false));
        assertEquals(List.of("INTERNAL_ERROR", "unspecified domain type"), e.description());
    }

    @Test
    void bisectAsXapi() {
        assertEquals(37, VmMemory.bisect(v -> v <= 37, 0, 100));
        assertEquals(100, VmMemory.bisect(v -> true, 0, 100));
        assertEquals(0, VmMemory.bisect(v -> false, 0, 100), "the lower bound when nothing holds");
        assertEquals(5, VmMemory.bisect(v -> true, 5, 5));
        assertEquals(
                List.of(
                        "INTERNAL_ERROR",
                        "File \"ocaml/xapi/helpers.ml\", line 1425, characters 2-8: Assertion failed"),
                assertThrows(ApiError.class, () -> VmMemory.bisect(v -> true, 0, -1))
                        .description());
        // Xapi's midpoint overflows as Int64 does when the bounds are near the top of the range
        assertEquals(
                List.of(
                        "INTERNAL_ERROR",
                        "File \"ocaml/xapi/helpers.ml\", line 1433, characters 4-10: Assertion failed"),
                assertThrows(ApiError.class, () -> VmMemory.bisect(v -> true, Long.MAX_VALUE / 2, Long.MAX_VALUE))
                        .description());
    }

    @Test
    void overheadFollowsNewSettings() {
        Map<String, Object> r = Map.of(
                "domain_type", "hvm", "VCPUs_max", 1L, "HVM_shadow_multiplier", 1.0, "memory_static_max", 256 * MIB);
        // 1 + 1 + shadow(256 + 512 pages = 3 MiB) + 1 for the vCPU
        assertEquals(6 * MIB, VmMemory.overhead(r, null, null));
        assertEquals(12 * MIB, VmMemory.overhead(r, 1024 * MIB, null));
        assertEquals(7 * MIB, VmMemory.overhead(r, null, 2L));
    }
}
