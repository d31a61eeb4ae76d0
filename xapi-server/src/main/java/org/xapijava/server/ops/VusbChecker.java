package org.xapijava.server.ops;

import java.util.List;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's VUSB operation checker ({@code xapi_vusb_helpers.ml:valid_operations}): one operation at a time; on a
 * running VM {@code plug} needs a detached VUSB and {@code unplug} an attached one; on a VM in any other state
 * neither ({@code VM_BAD_POWER_STATE [vm, running, actual]}); neither while the VM shuts down, suspends or pauses.
 * {@code attach} is refused only by another operation in progress.
 */
final class VusbChecker {
    static final String CLS = VUSB.XAPI_CLASS;
    static final List<String> ALL_OPS = List.of("attach", "plug", "unplug");
    static final List<String> FOLD_ORDER = OcamlOrder.hashtblFoldOrder(ALL_OPS);
    private static final List<String> PLUG_OPS = List.of("plug", "unplug");

    private VusbChecker() {}

    static OpChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return table(r, ref).checker(FOLD_ORDER);
    }

    private static OpTable table(DbReader r, String ref) {
        OpTable t = new OpTable(ALL_OPS);
        t.refuseWhileInProgress(CLS, ref, r.get(ref, VUSB.CURRENT_OPERATIONS));
        String vm = r.get(ref, VUSB.VM);
        String power = r.get(vm, VM.POWER_STATE);
        boolean attached = r.get(ref, VUSB.CURRENTLY_ATTACHED);
        if (power.equals("Running")) {
            if (attached) t.refuse(List.of("plug"), ErrorCodes.DEVICE_ALREADY_ATTACHED, ref);
            else t.refuse(List.of("unplug"), ErrorCodes.DEVICE_ALREADY_DETACHED, ref);
        } else {
            t.refuse(PLUG_OPS, ErrorCodes.VM_BAD_POWER_STATE, vm, "running", OpNames.lowerState(power));
        }
        for (String vmOp : r.get(vm, VM.CURRENT_OPERATIONS).values()) {
            if (List.of("clean_shutdown", "hard_shutdown", "suspend", "pause").contains(vmOp)) {
                t.refuse(
                        PLUG_OPS,
                        ErrorCodes.OPERATION_NOT_ALLOWED,
                        "Current operation on VM:" + vm + " is " + OpNames.vm(vmOp));
            }
        }
        return t;
    }
}
