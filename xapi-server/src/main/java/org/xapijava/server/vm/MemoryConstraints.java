package org.xapijava.server.vm;

import java.util.Locale;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/**
 * A VM's five memory settings, in bytes, and Xapi's rules over them ({@code vm_memory_constraints.ml},
 * {@code xapi_vm_memory_constraints.ml}). They are in valid order when
 * {@code static_min <= dynamic_min <= dynamic_max <= static_max}; {@code target} is not part of the order (Xapi keeps
 * it equal to {@code dynamic_min}). Immutable.
 */
public record MemoryConstraints(long staticMin, long dynamicMin, long target, long dynamicMax, long staticMax) {

    /** The five settings of a VM record (wire field names, as {@link Db#record} gives them). */
    public static MemoryConstraints of(Map<String, Object> vm) {
        return new MemoryConstraints(
                Db.value(vm, VM.MEMORY_STATIC_MIN),
                Db.value(vm, VM.MEMORY_DYNAMIC_MIN),
                Db.value(vm, VM.MEMORY_TARGET),
                Db.value(vm, VM.MEMORY_DYNAMIC_MAX),
                Db.value(vm, VM.MEMORY_STATIC_MAX));
    }

    /** {@code dynamic_min = dynamic_max}. */
    public boolean arePinned() {
        return dynamicMin == dynamicMax;
    }

    /** {@code dynamic_min = dynamic_max = static_max}. */
    public boolean arePinnedAtStaticMax() {
        return dynamicMax == staticMax && arePinned();
    }

    /** {@code static_min <= dynamic_min <= dynamic_max <= static_max}. */
    public boolean areValid() {
        return staticMin <= dynamicMin && dynamicMin <= dynamicMax && dynamicMax <= staticMax;
    }

    /** {@code static_min <= dynamic_min = dynamic_max = static_max}. */
    public boolean areValidAndPinnedAtStaticMax() {
        return staticMin <= dynamicMin && arePinnedAtStaticMax();
    }

    /**
     * The settings made valid by moving only the dynamic ones: both dynamic values clamped into the static range,
     * then the target into the dynamic one; null when a maximum is below its minimum (nothing can be moved to fix
     * that).
     */
    public MemoryConstraints transform() {
        if (staticMax < staticMin || dynamicMax < dynamicMin) return null;
        long dMin = clamp(dynamicMin, staticMin, staticMax);
        long dMax = clamp(dynamicMax, staticMin, staticMax);
        return new MemoryConstraints(staticMin, dMin, clamp(target, dMin, dMax), dMax, staticMax);
    }

    private static long clamp(long v, long min, long max) {
        return v < min ? min : v > max ? max : v;
    }

    /** {@code MEMORY_CONSTRAINT_VIOLATION_ORDER []} unless {@link #areValid}. */
    public void assertValid() {
        if (!areValid()) throw new ApiError(ErrorCodes.MEMORY_CONSTRAINT_VIOLATION_ORDER);
    }

    /** {@code MEMORY_CONSTRAINT_VIOLATION_MAXPIN [reason]} unless {@link #areValidAndPinnedAtStaticMax}. */
    public void assertValidAndPinnedAtStaticMax(String reason) {
        if (!areValidAndPinnedAtStaticMax()) throw new ApiError(ErrorCodes.MEMORY_CONSTRAINT_VIOLATION_MAXPIN, reason);
    }

    /**
     * Why the settings of a VM must stay pinned at {@code static_max} ({@code assert_valid_for_current_context}):
     * {@code "DMC disabled"} when the pool is not licensed for dynamic memory control, {@code "control domain"},
     * {@code "nested virt"}; null when the VM may balloon.
     *
     * @param vm          the VM's record
     * @param dmcEnabled  whether the pool's restrictions enable the {@code DMC} feature
     * @param nestedVirt  whether the VM uses nested virtualisation ({@link #nestedVirt})
     */
    public static String pinReason(Map<String, Object> vm, boolean dmcEnabled, boolean nestedVirt) {
        if (!dmcEnabled) return "DMC disabled";
        if (Db.value(vm, VM.IS_CONTROL_DOMAIN)) return "control domain";
        if (nestedVirt) return "nested virt";
        return null;
    }

    /** {@link #assertValidAndPinnedAtStaticMax} for a pin reason, else {@link #assertValid}. */
    public void assertValidFor(String pinReason) {
        if (pinReason != null) assertValidAndPinnedAtStaticMax(pinReason);
        else assertValid();
    }

    /**
     * {@code Xapi_vm_lifecycle.nested_virt}: the VM metrics' {@code nested_virt} when the VM has a metrics record,
     * else its platform key {@code nested-virt} ({@code "true"} or {@code "1"}, any case; anything else is false).
     */
    public static boolean nestedVirt(Db data, Map<String, Object> vm) {
        String metrics = Db.value(vm, VM.METRICS);
        if (!Refs.isNull(metrics) && data.exists(VMMetrics.XAPI_CLASS, metrics)) {
            return data.get(metrics, VMMetrics.NESTED_VIRT);
        }
        String v = Db.value(vm, VM.PLATFORM).get("nested-virt");
        if (v == null) return false;
        String l = v.toLowerCase(Locale.ROOT);
        return l.equals("true") || l.equals("1");
    }
}
