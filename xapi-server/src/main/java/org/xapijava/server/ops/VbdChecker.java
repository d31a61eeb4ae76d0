package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/**
 * Xapi's VBD operation checker ({@code xapi_vbd_helpers.ml:valid_operations}): a table built rule by
 * rule, the first refusal of an operation winning. Assertions run the VDI sharing checks;
 * allowed_operations does not ({@code expensive_sharing_checks}, as Xapi).
 */
final class VbdChecker implements OpChecker {
    static final String CLS = "VBD";
    /** Xapi's {@code all_ops} insertion order (the allowed_operations order derives from it). */
    static final List<String> ALL_OPS =
            List.of("attach", "eject", "unplug", "unplug_force", "insert", "plug", "pause", "unpause");

    static final List<String> FOLD_ORDER = OcamlOrder.hashtblFoldOrder(ALL_OPS);
    private static final List<String> SAFE_TO_PARALLELISE = List.of("pause", "unpause");
    private static final List<String> PLUG_OPS = List.of("plug", "unplug", "unplug_force");

    private final DbReader r;
    private final String ref;
    private OpTable cheap;
    private OpTable full;

    private VbdChecker(DbReader r, String ref) {
        this.r = r;
        this.ref = ref;
    }

    static VbdChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return new VbdChecker(r, ref);
    }

    @Override
    public ApiError check(String op, boolean strict) {
        if (full == null) full = table(true);
        return full.error(op);
    }

    @Override
    public List<String> allowed() {
        if (cheap == null) cheap = table(false);
        return cheap.allowedIn(FOLD_ORDER);
    }

    private OpTable table(boolean sharingChecks) {
        OpTable t = new OpTable(ALL_OPS);
        List<Map.Entry<String, String>> current =
                OcamlOrder.sortUniqByOp(DbValues.map(r, CLS, ref, "current_operations"));
        String vm = DbValues.str(r, CLS, ref, "VM");
        boolean systemDomain = r.get(vm, VM.IS_CONTROL_DOMAIN);
        if (!current.isEmpty()) {
            Map.Entry<String, String> first = current.getFirst();
            List<String> rest = new ArrayList<>(ALL_OPS);
            rest.removeAll(SAFE_TO_PARALLELISE);
            t.refuse(rest, ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, first.getValue(), first.getKey());
        }
        current.stream()
                .filter(e -> !SAFE_TO_PARALLELISE.contains(e.getValue()))
                .findFirst()
                .ifPresent(e -> t.refuse(
                        List.of("pause"), ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, e.getValue(), e.getKey()));
        current.stream()
                .filter(e -> !e.getValue().equals("attach") && !SAFE_TO_PARALLELISE.contains(e.getValue()))
                .findFirst()
                .ifPresent(e -> t.refuse(
                        List.of("unpause"),
                        ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                        CLS,
                        ref,
                        e.getValue(),
                        e.getKey()));
        if (!DbValues.bool(r, CLS, ref, "unpluggable"))
            t.refuse(List.of("unplug", "unplug_force"), ErrorCodes.VBD_NOT_UNPLUGGABLE, ref);
        String type = DbValues.str(r, CLS, ref, "type");
        if (!type.equals("CD")) t.refuse(List.of("insert", "eject"), ErrorCodes.VBD_NOT_REMOVABLE_MEDIA, ref);
        boolean empty = DbValues.bool(r, CLS, ref, "empty");
        if (empty) t.refuse(List.of("eject"), ErrorCodes.VBD_IS_EMPTY, ref);
        else t.refuse(List.of("insert"), ErrorCodes.VBD_NOT_EMPTY, ref);
        String power = r.get(vm, VM.POWER_STATE);
        boolean plugged = DbValues.bool(r, CLS, ref, "currently_attached") || DbValues.bool(r, CLS, ref, "reserved");
        if (power.equals("Running")) {
            if (plugged) t.refuse(List.of("plug"), ErrorCodes.DEVICE_ALREADY_ATTACHED, ref);
            else t.refuse(List.of("unplug", "unplug_force"), ErrorCodes.DEVICE_ALREADY_DETACHED, ref);
        } else {
            List<String> bad =
                    power.equals("Paused") ? PLUG_OPS : List.of("pause", "unpause", "plug", "unplug", "unplug_force");
            t.refuse(bad, ErrorCodes.VM_BAD_POWER_STATE, vm, "running", OpNames.lowerState(power));
        }
        for (String vmOp : r.get(vm, VM.CURRENT_OPERATIONS).values()) {
            if (List.of("clean_shutdown", "hard_shutdown", "suspend", "pause").contains(vmOp)) {
                t.refuse(
                        List.of("plug", "unplug"),
                        ErrorCodes.OPERATION_NOT_ALLOWED,
                        "Current operation on VM:" + vm + " is " + OpNames.vm(vmOp));
            }
        }
        // Xapi computes the domain type unconditionally: an unspecified one fails the whole check
        String domainType = Rows.domainType(r, vm);
        if (power.equals("Running") && domainType.equals("hvm")) {
            String gm = r.get(vm, VM.GUEST_METRICS);
            boolean hasGm = r.isValid(VMGuestMetrics.XAPI_CLASS, gm);
            String hotplug = hasGm ? r.get(gm, VMGuestMetrics.CAN_USE_HOTPLUG_VBD) : null;
            if ("no".equals(hotplug)) {
                t.refuse(PLUG_OPS, ErrorCodes.OPERATION_NOT_ALLOWED, "VM states it does not support VBD hotplug.");
            } else if (!"yes".equals(hotplug)
                    && !(hasGm && r.get(gm, VMGuestMetrics.PV_DRIVERS_DETECTED))
                    && !Rows.hasPvDrivers(r, gm)) {
                t.refuse(PLUG_OPS, ErrorCodes.VM_MISSING_PV_DRIVERS, vm);
            }
            if (type.equals("CD")) {
                t.refuse(
                        PLUG_OPS,
                        ErrorCodes.OPERATION_NOT_ALLOWED,
                        "HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected");
            }
        }
        if (type.equals("CD") && power.equals("Suspended")) {
            t.refuse(List.of("insert", "eject"), ErrorCodes.VM_BAD_POWER_STATE, vm, "halted, running", "suspended");
        }
        if (!empty) vdiRules(t, sharingChecks, systemDomain);
        return t;
    }

    private void vdiRules(OpTable t, boolean sharingChecks, boolean systemDomain) {
        String vdi = DbValues.str(r, CLS, ref, "VDI");
        if (!r.isValid(VDI.XAPI_CLASS, vdi)) throw ApiError.handleInvalid("VDI", vdi);
        if (!r.get(vdi, VDI.MANAGED)) t.refuse(ALL_OPS, ErrorCodes.VDI_NOT_MANAGED, ref);
        for (Map.Entry<String, String> e : r.get(vdi, VDI.CURRENT_OPERATIONS).entrySet()) {
            if (e.getValue().equals("mirror") || e.getValue().equals("copy")) continue;
            t.refuse(
                    List.of("attach", "plug", "insert"),
                    ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                    "VDI",
                    vdi,
                    e.getValue(),
                    e.getKey());
            break;
        }
        if (DbValues.bool(r, CLS, ref, "currently_attached") || !sharingChecks) return;
        List<String> others = new ArrayList<>();
        for (String vbd : r.get(vdi, VDI.VBDS)) {
            if (vbd.equals(ref) || !r.isValid(CLS, vbd)) continue;
            String ovm = DbValues.str(r, CLS, vbd, "VM");
            if (r.isValid(VM.XAPI_CLASS, ovm)) {
                if (r.get(ovm, VM.POWER_STATE).equals("Suspended")) continue; // really offline
                if (r.get(ovm, VM.IS_CONTROL_DOMAIN)) continue; // may share the disk safely
            }
            if (DbValues.bool(r, CLS, vbd, "currently_attached")
                    || DbValues.bool(r, CLS, vbd, "reserved")
                    || !DbValues.map(r, CLS, vbd, "current_operations").isEmpty()) {
                others.add(vbd);
            }
        }
        boolean someoneRw =
                others.stream().anyMatch(v -> DbValues.str(r, CLS, v, "mode").equals("RW"));
        boolean needWrite = DbValues.str(r, CLS, ref, "mode").equals("RW");
        if (!r.get(vdi, VDI.SHARABLE) && !systemDomain && (someoneRw || (needWrite && !others.isEmpty()))) {
            t.refuse(List.of("attach", "insert", "plug"), ErrorCodes.VDI_IN_USE, vdi);
        }
        if (needWrite && r.get(vdi, VDI.READ_ONLY)) {
            t.refuse(List.of("attach", "insert", "plug"), ErrorCodes.VDI_READONLY, vdi);
        }
    }
}
