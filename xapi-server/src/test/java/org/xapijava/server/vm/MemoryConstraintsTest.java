package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

/** Xapi's memory constraint rules ({@code vm_memory_constraints.ml}, {@code xapi_vm_memory_constraints.ml}). */
class MemoryConstraintsTest {
    /** static_min, dynamic_min, target, dynamic_max, static_max. */
    private static MemoryConstraints c(long smin, long dmin, long target, long dmax, long smax) {
        return new MemoryConstraints(smin, dmin, target, dmax, smax);
    }

    private static List<String> err(Runnable r) {
        return assertThrows(ApiError.class, r::run).description();
    }

    @Test
    void validOrderIgnoresTheTarget() {
        assertTrue(c(1, 2, 0, 3, 4).areValid());
        assertTrue(c(1, 2, 9, 3, 4).areValid(), "the target is not part of the order");
        assertTrue(c(4, 4, 4, 4, 4).areValid(), "equal values are in order");
        assertFalse(c(3, 2, 2, 3, 4).areValid(), "static_min above dynamic_min");
        assertFalse(c(1, 3, 3, 2, 4).areValid(), "dynamic_min above dynamic_max");
        assertFalse(c(1, 2, 2, 5, 4).areValid(), "dynamic_max above static_max");
        assertFalse(c(5, 5, 5, 5, 4).areValid(), "static_min above static_max");
    }

    @Test
    void pinnedMeansBothDynamicValuesAtStaticMax() {
        assertTrue(c(1, 3, 3, 3, 4).arePinned());
        assertFalse(c(1, 3, 3, 3, 4).arePinnedAtStaticMax());
        assertTrue(c(1, 4, 0, 4, 4).arePinnedAtStaticMax());
        assertTrue(c(1, 4, 0, 4, 4).areValidAndPinnedAtStaticMax());
        assertTrue(c(4, 4, 4, 4, 4).areValidAndPinnedAtStaticMax());
        assertFalse(c(5, 4, 4, 4, 4).areValidAndPinnedAtStaticMax(), "static_min above the pin");
        assertFalse(c(1, 2, 2, 4, 4).areValidAndPinnedAtStaticMax());
    }

    @Test
    void transformMovesOnlyTheDynamicValues() {
        assertEquals(c(1, 2, 3, 3, 4), c(1, 2, 3, 3, 4).transform(), "valid settings stay as they are");
        assertEquals(c(2, 2, 2, 4, 4), c(2, 1, 0, 9, 4).transform(), "dynamic values clamped into the static range");
        assertEquals(c(1, 2, 3, 3, 4), c(1, 2, 7, 3, 4).transform(), "the target clamped into the dynamic range");
        assertEquals(c(1, 2, 2, 3, 4), c(1, 2, 0, 3, 4).transform());
        assertEquals(c(3, 3, 3, 3, 3), c(3, 5, 5, 6, 3).transform(), "both dynamic values above a one-value range");
        assertNull(c(5, 1, 1, 2, 4).transform(), "static_max below static_min");
        assertNull(c(1, 3, 3, 2, 4).transform(), "dynamic_max below dynamic_min");
    }

    @Test
    void errorsCarryXapisParameters() {
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_ORDER"),
                err(() -> c(3, 2, 2, 3, 4).assertValid()));
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "DMC disabled"),
                err(() -> c(1, 2, 2, 3, 4).assertValidAndPinnedAtStaticMax("DMC disabled")));
        c(1, 2, 2, 3, 4).assertValid();
        c(1, 4, 4, 4, 4).assertValidAndPinnedAtStaticMax("control domain");
        // a pin reason asks for the pin; none for the order only
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "nested virt"),
                err(() -> c(1, 2, 2, 3, 4).assertValidFor("nested virt")));
        c(1, 2, 2, 3, 4).assertValidFor(null);
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_ORDER"),
                err(() -> c(1, 5, 5, 3, 4).assertValidFor(null)));
    }

    @Test
    void pinReasonsInXapisOrder() {
        Map<String, Object> domU = Map.of("is_control_domain", false);
        Map<String, Object> dom0 = Map.of("is_control_domain", true);
        assertNull(MemoryConstraints.pinReason(domU, true, false));
        assertEquals("DMC disabled", MemoryConstraints.pinReason(dom0, false, true), "the licence comes first");
        assertEquals("control domain", MemoryConstraints.pinReason(dom0, true, true));
        assertEquals("nested virt", MemoryConstraints.pinReason(domU, true, true));
    }

    @Test
    void readFromARecord() {
        Map<String, Object> r = Map.of(
                "memory_static_min", 1L,
                "memory_dynamic_min", 2L,
                "memory_target", 3L,
                "memory_dynamic_max", 4L,
                "memory_static_max", 5L);
        assertEquals(c(1, 2, 3, 4, 5), MemoryConstraints.of(r));
    }
}
