package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/** The VM appliance checker ({@code xapi_vm_appliance_lifecycle.ml}) and its refresh with its VMs'. */
class VmApplianceCheckerTest {
    final Fixture f = new Fixture();
    final Checkers checkers = new Checkers(false);
    final String appliance = Refs.fresh();

    VmApplianceCheckerTest() {
        f.db.create(VMAppliance.XAPI_CLASS, appliance, Map.of(VMAppliance.UUID.name(), Fixture.uuid()));
    }

    private List<String> check(String op) {
        ApiError e = checkers.check(f.db.snapshot(), VMAppliance.XAPI_CLASS, appliance, op, true);
        return e == null ? List.of() : e.description();
    }

    private List<String> allowed() {
        return checkers.allowed(f.db.snapshot(), VMAppliance.XAPI_CLASS, appliance);
    }

    private String vmIn(String power) {
        return f.vm(power, Map.of(VM.APPLIANCE.name(), appliance));
    }

    @Test
    void anApplianceWithoutVmsAllowsNothing() {
        for (String op : VmApplianceChecker.ALL_OPS) {
            assertEquals(List.of("OPERATION_NOT_ALLOWED", "Appliance has no VMs."), check(op), op);
        }
        assertEquals(List.of(), allowed());
    }

    @Test
    void eachOperationNeedsOneVmItAppliesTo() {
        vmIn("Halted");
        assertEquals(List.of("start"), allowed());
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "There are no running VMs in this appliance."),
                check("clean_shutdown"));
        assertEquals(List.of("OPERATION_NOT_ALLOWED", "All VMs in this appliance are halted."), check("hard_shutdown"));
        assertEquals(List.of("OPERATION_NOT_ALLOWED", "All VMs in this appliance are halted."), check("shutdown"));

        vmIn("Paused"); // not halted, not running: the hard and plain shutdowns apply
        assertEquals(List.of("start", "hard_shutdown", "shutdown"), allowed());

        vmIn("Running");
        assertEquals(List.of("start", "clean_shutdown", "hard_shutdown", "shutdown"), allowed());
    }

    @Test
    void allRunningCannotStart() {
        vmIn("Running");
        vmIn("Suspended");
        assertEquals(List.of("OPERATION_NOT_ALLOWED", "There are no halted VMs in this appliance."), check("start"));
        assertEquals(List.of("clean_shutdown", "hard_shutdown", "shutdown"), allowed());
    }

    @Test
    void oneOperationAtATime() {
        vmIn("Halted");
        f.db.set(
                VMAppliance.XAPI_CLASS,
                appliance,
                VMAppliance.CURRENT_OPERATIONS.name(),
                Map.of("OpaqueRef:t", "start"));
        for (String op : VmApplianceChecker.ALL_OPS) {
            assertEquals(
                    List.of("OTHER_OPERATION_IN_PROGRESS", "VM_appliance", appliance, "start", "OpaqueRef:t"),
                    check(op),
                    op);
        }
        assertEquals(List.of(), allowed());
    }

    @Test
    void aMissingApplianceIsHandleInvalid() {
        ApiError e = assertThrows(
                ApiError.class,
                () -> checkers.check(f.db.snapshot(), VMAppliance.XAPI_CLASS, "OpaqueRef:none", "start", true));
        assertEquals(List.of("HANDLE_INVALID", "VM_appliance", "OpaqueRef:none"), e.description());
    }

    @Test
    void aVmsRefreshRefreshesItsAppliance() {
        String vm = vmIn("Halted");
        f.services.allowed().update(VM.XAPI_CLASS, vm);
        assertEquals(List.of("start"), f.db.snapshot().get(appliance, VMAppliance.ALLOWED_OPERATIONS));
        f.db.set(VM.XAPI_CLASS, vm, VM.POWER_STATE.name(), "Running");
        f.services.allowed().update(VM.XAPI_CLASS, vm);
        assertEquals(
                List.of("clean_shutdown", "hard_shutdown", "shutdown"),
                f.db.snapshot().get(appliance, VMAppliance.ALLOWED_OPERATIONS));
        // and at start, with every other class
        f.db.set(VMAppliance.XAPI_CLASS, appliance, VMAppliance.ALLOWED_OPERATIONS.name(), List.of());
        f.services.allowed().updateAll();
        assertEquals(
                List.of("clean_shutdown", "hard_shutdown", "shutdown"),
                f.db.snapshot().get(appliance, VMAppliance.ALLOWED_OPERATIONS));
    }
}
