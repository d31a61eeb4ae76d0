package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/** Xapi's VIF operation checker ({@code xapi_vif_helpers.ml:valid_operations}). */
final class VifChecker {
    static final String CLS = "VIF";
    static final List<String> ALL_OPS = List.of("attach", "plug", "unplug");
    static final List<String> FOLD_ORDER = OcamlOrder.hashtblFoldOrder(ALL_OPS);
    private static final List<String> PLUG_OPS = List.of("plug", "unplug");

    private VifChecker() {}

    static OpChecker of(DbReader r, String ref) {
        if (!DbValues.valid(r, CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return table(r, ref).checker(FOLD_ORDER);
    }

    private static OpTable table(DbReader r, String ref) {
        OpTable t = new OpTable(ALL_OPS);
        Map<String, String> current = DbValues.map(r, CLS, ref, "current_operations");
        String vm = DbValues.str(r, CLS, ref, "VM");
        if (!current.isEmpty()) {
            // Xapi folds the pairs onto list heads: both lists come out reversed, always in braces
            List<String> tasks = new ArrayList<>();
            List<String> ops = new ArrayList<>();
            current.forEach((task, op) -> {
                tasks.addFirst(task);
                ops.addFirst(op);
            });
            t.refuse(
                    ALL_OPS,
                    ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                    CLS,
                    ref,
                    "{" + String.join("; ", ops) + "}",
                    "{" + String.join("; ", tasks) + "}");
        }
        if (Rows.isDomainZero(r, vm))
            t.refuse(List.of("plug"), ErrorCodes.OPERATION_NOT_ALLOWED, "Control domain does not support hotplug");
        if (isSriovNetwork(r, DbValues.str(r, CLS, ref, "network"))) {
            t.refuse(PLUG_OPS, ErrorCodes.OPERATION_NOT_ALLOWED, "Network SR-IOV VIF plug/unplug not allowed");
        }
        String power = DbValues.str(r, "VM", vm, "power_state");
        boolean plugged = DbValues.bool(r, CLS, ref, "currently_attached") || DbValues.bool(r, CLS, ref, "reserved");
        if (power.equals("Running")) {
            if (plugged) t.refuse(List.of("plug"), ErrorCodes.DEVICE_ALREADY_ATTACHED, ref);
            else t.refuse(List.of("unplug"), ErrorCodes.DEVICE_ALREADY_DETACHED, ref);
        } else {
            t.refuse(PLUG_OPS, ErrorCodes.VM_BAD_POWER_STATE, vm, "running", OpNames.lowerState(power));
        }
        for (String vmOp : DbValues.map(r, "VM", vm, "current_operations").values()) {
            if (List.of("clean_shutdown", "hard_shutdown", "suspend", "pause").contains(vmOp)) {
                t.refuse(
                        PLUG_OPS,
                        ErrorCodes.OPERATION_NOT_ALLOWED,
                        "Current operation on VM:" + vm + " is " + OpNames.vm(vmOp));
            }
        }
        if (power.equals("Running") && Rows.domainType(r, vm).equals("hvm")) {
            String gm = DbValues.str(r, "VM", vm, "guest_metrics");
            boolean hasGm = DbValues.valid(r, "VM_guest_metrics", gm);
            String hotplug = hasGm ? DbValues.str(r, "VM_guest_metrics", gm, "can_use_hotplug_vif") : null;
            if ("no".equals(hotplug)) {
                t.refuse(PLUG_OPS, ErrorCodes.OPERATION_NOT_ALLOWED, "VM states it does not support VIF hotplug.");
            } else if (!"yes".equals(hotplug)
                    && !(hasGm && DbValues.bool(r, "VM_guest_metrics", gm, "PV_drivers_detected"))
                    && !Rows.hasPvDrivers(r, gm)) {
                t.refuse(PLUG_OPS, ErrorCodes.VM_MISSING_PV_DRIVERS, vm);
            }
        }
        return t;
    }

    /**
     * {@code Xapi_network_sriov_helpers.is_sriov_network}: the network's first PIF is an SR-IOV logical
     * PIF, or a VLAN on one.
     */
    static boolean isSriovNetwork(DbReader r, String network) {
        if (!DbValues.valid(r, "network", network)) return false;
        List<String> pifs = DbValues.list(r, "network", network, "PIFs");
        if (pifs.isEmpty() || !DbValues.valid(r, "PIF", pifs.getFirst())) return false;
        String pif = pifs.getFirst();
        if (!DbValues.list(r, "PIF", pif, "tunnel_access_PIF_of").isEmpty()) return false;
        String vlan = DbValues.str(r, "PIF", pif, "VLAN_master_of");
        if (DbValues.valid(r, "VLAN", vlan)) {
            String tagged = DbValues.str(r, "VLAN", vlan, "tagged_PIF");
            return DbValues.valid(r, "PIF", tagged)
                    && DbValues.list(r, "PIF", tagged, "tunnel_access_PIF_of").isEmpty()
                    && !DbValues.valid(r, "VLAN", DbValues.str(r, "PIF", tagged, "VLAN_master_of"))
                    && !DbValues.list(r, "PIF", tagged, "sriov_logical_PIF_of").isEmpty();
        }
        return !DbValues.list(r, "PIF", pif, "sriov_logical_PIF_of").isEmpty();
    }
}
