package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's VM appliance operation checker ({@code xapi_vm_appliance_lifecycle.ml}): one operation at a time
 * ({@code OTHER_OPERATION_IN_PROGRESS ["VM_appliance", ref, op, task]} for the one in progress); an appliance
 * without VMs allows nothing; {@code start} needs a halted VM, {@code clean_shutdown} a running one,
 * {@code hard_shutdown} and {@code shutdown} one that is not halted ({@code OPERATION_NOT_ALLOWED [reason]}).
 * Pure.
 */
final class VmApplianceChecker {
    static final String CLS = VMAppliance.XAPI_CLASS;
    /** The operations, in the order Xapi filters them into {@code allowed_operations}. */
    static final List<String> ALL_OPS = List.of("start", "clean_shutdown", "hard_shutdown", "shutdown");

    private VmApplianceChecker() {}

    static OpChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        Map<String, String> current = r.get(ref, VMAppliance.CURRENT_OPERATIONS);
        List<String> powerStates = new ArrayList<>();
        for (String vm : r.get(ref, VMAppliance.VMS)) {
            if (r.isValid(VM.XAPI_CLASS, vm)) powerStates.add(r.get(vm, VM.POWER_STATE));
        }
        return new OpChecker() {
            @Override
            public ApiError check(String op, boolean strict) {
                return error(ref, current, powerStates, op);
            }

            @Override
            public List<String> allowed() {
                List<String> out = new ArrayList<>();
                for (String op : ALL_OPS) if (error(ref, current, powerStates, op) == null) out.add(op);
                return out;
            }
        };
    }

    /** {@code check_operation_error}: the refusal of {@code op}, or null. */
    static ApiError error(String ref, Map<String, String> current, List<String> powerStates, String op) {
        if (!current.isEmpty()) {
            Map.Entry<String, String> first = current.entrySet().iterator().next();
            return new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, first.getValue(), first.getKey());
        }
        if (powerStates.isEmpty()) return new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "Appliance has no VMs.");
        String halted = VmPowerState.HALTED.wire();
        Predicate<String> possible;
        String reason;
        switch (op) {
            case "start" -> {
                possible = halted::equals;
                reason = "There are no halted VMs in this appliance.";
            }
            case "clean_shutdown" -> {
                possible = VmPowerState.RUNNING.wire()::equals;
                reason = "There are no running VMs in this appliance.";
            }
            case "hard_shutdown", "shutdown" -> {
                possible = s -> !s.equals(halted);
                reason = "All VMs in this appliance are halted.";
            }
            default -> throw new IllegalArgumentException("no VM_appliance operation " + op);
        }
        return powerStates.stream().anyMatch(possible) ? null : new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, reason);
    }
}
