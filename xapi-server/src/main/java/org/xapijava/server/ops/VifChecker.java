package org.xapijava.server.ops;

import java.util.List;
import org.xapijava.db.DbReader;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.VLAN;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/** Xapi's VIF operation checker ({@code xapi_vif_helpers.ml:valid_operations}). */
public final class VifChecker {
    static final String CLS = "VIF";
    static final List<String> ALL_OPS = List.of("attach", "plug", "unplug");
    static final List<String> FOLD_ORDER = OcamlOrder.hashtblFoldOrder(ALL_OPS);
    private static final List<String> PLUG_OPS = List.of("plug", "unplug");

    private VifChecker() {}

    static OpChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return table(r, ref).checker(FOLD_ORDER);
    }

    private static OpTable table(DbReader r, String ref) {
        OpTable t = new OpTable(ALL_OPS);
        t.refuseWhileInProgress(CLS, ref, DbValues.map(r, CLS, ref, "current_operations"));
        String vm = DbValues.str(r, CLS, ref, "VM");
        if (Rows.isDomainZero(r, vm))
            t.refuse(List.of("plug"), ErrorCodes.OPERATION_NOT_ALLOWED, "Control domain does not support hotplug");
        if (isSriovNetwork(r, DbValues.str(r, CLS, ref, "network"))) {
            t.refuse(PLUG_OPS, ErrorCodes.OPERATION_NOT_ALLOWED, "Network SR-IOV VIF plug/unplug not allowed");
        }
        String power = r.get(vm, VM.POWER_STATE);
        boolean plugged = DbValues.bool(r, CLS, ref, "currently_attached") || DbValues.bool(r, CLS, ref, "reserved");
        if (power.equals("Running")) {
            if (plugged) t.refuse(List.of("plug"), ErrorCodes.DEVICE_ALREADY_ATTACHED, ref);
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
        if (power.equals("Running") && Rows.domainType(r, vm).equals("hvm")) {
            String gm = r.get(vm, VM.GUEST_METRICS);
            boolean hasGm = r.isValid(VMGuestMetrics.XAPI_CLASS, gm);
            String hotplug = hasGm ? r.get(gm, VMGuestMetrics.CAN_USE_HOTPLUG_VIF) : null;
            if ("no".equals(hotplug)) {
                t.refuse(PLUG_OPS, ErrorCodes.OPERATION_NOT_ALLOWED, "VM states it does not support VIF hotplug.");
            } else if (!"yes".equals(hotplug)
                    && !(hasGm && r.get(gm, VMGuestMetrics.PV_DRIVERS_DETECTED))
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
    public static boolean isSriovNetwork(FieldReads r, String network) {
        if (!r.isValid(Network.XAPI_CLASS, network)) return false;
        List<String> pifs = r.get(network, Network.PIFS);
        if (pifs.isEmpty() || !r.isValid(PIF.XAPI_CLASS, pifs.getFirst())) return false;
        String pif = pifs.getFirst();
        if (!r.get(pif, PIF.TUNNEL_ACCESS_PIF_OF).isEmpty()) return false;
        String vlan = r.get(pif, PIF.VLAN_MASTER_OF);
        if (r.isValid(VLAN.XAPI_CLASS, vlan)) {
            String tagged = r.get(vlan, VLAN.TAGGED_PIF);
            return r.isValid(PIF.XAPI_CLASS, tagged)
                    && r.get(tagged, PIF.TUNNEL_ACCESS_PIF_OF).isEmpty()
                    && !r.isValid(VLAN.XAPI_CLASS, r.get(tagged, PIF.VLAN_MASTER_OF))
                    && !r.get(tagged, PIF.SRIOV_LOGICAL_PIF_OF).isEmpty();
        }
        return !r.get(pif, PIF.SRIOV_LOGICAL_PIF_OF).isEmpty();
    }
}
