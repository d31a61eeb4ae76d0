package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/**
 * Xapi's SR operation checker ({@code xapi_sr_operations.ml:valid_operations}). The cluster-stack
 * rule for {@code plug} ({@code Cluster_stack_constraints}) is not applied: no clusters yet.
 */
final class SrChecker {
    static final String CLS = "SR";
    /** Xapi's {@code all_ops}, in its insertion order (the allowed_operations order derives from it). */
    static final List<String> XAPI_OPS = List.of(
            "scan",
            "destroy",
            "forget",
            "plug",
            "unplug",
            "vdi_create",
            "vdi_destroy",
            "vdi_resize",
            "vdi_clone",
            "vdi_snapshot",
            "vdi_mirror",
            "vdi_enable_cbt",
            "vdi_disable_cbt",
            "vdi_data_destroy",
            "vdi_list_changed_blocks",
            "vdi_set_on_boot",
            "vdi_introduce",
            "vdi_revert",
            "update",
            "pbd_create",
            "pbd_destroy");

    static final List<String> FOLD_ORDER = OcamlOrder.hashtblFoldOrder(XAPI_OPS);
    /** Refused during a rolling pool upgrade ({@code disallowed_during_rpu}). */
    private static final List<String> NOT_DURING_RPU = List.of(
            "vdi_mirror",
            "vdi_enable_cbt",
            "vdi_disable_cbt",
            "vdi_data_destroy",
            "vdi_list_changed_blocks",
            "vdi_set_on_boot",
            "vdi_revert");
    /** {@code sm_cap_table}: operations that need a capability of the SR's SM driver. */
    private static final Map<String, String> SM_CAPABILITY = Map.ofEntries(
            Map.entry("vdi_create", "VDI_CREATE"),
            Map.entry("vdi_destroy", "VDI_DELETE"),
            Map.entry("vdi_resize", "VDI_RESIZE"),
            Map.entry("vdi_introduce", "VDI_INTRODUCE"),
            Map.entry("vdi_mirror", "VDI_MIRROR"),
            Map.entry("vdi_enable_cbt", "VDI_CONFIG_CBT"),
            Map.entry("vdi_disable_cbt", "VDI_CONFIG_CBT"),
            Map.entry("vdi_data_destroy", "VDI_CONFIG_CBT"),
            Map.entry("vdi_list_changed_blocks", "VDI_CONFIG_CBT"),
            Map.entry("vdi_set_on_boot", "VDI_RESET_ON_BOOT"),
            Map.entry("update", "SR_UPDATE"),
            Map.entry("vdi_revert", "VDI_REVERT"),
            Map.entry("vdi_snapshot", "VDI_SNAPSHOT"));
    /** The capability names Xapi knows ({@code Smint.Feature.string_to_capability_table}, one list: the driver discovery's); others are dropped. */
    static final Set<String> KNOWN_FEATURES =
            Set.copyOf(org.xapijava.storage.smapiv1.DriverDiscovery.KNOWN_CAPABILITIES);

    private SrChecker() {}

    static OpChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return table(r, ref).checker(FOLD_ORDER);
    }

    /** {@code features_of_sr_internal}: the known features of the first SM driver of this type. */
    static Set<String> smFeatures(DbReader r, String srType) {
        for (String sm : r.all("SM")) {
            if (!srType.equals(r.get(sm, SM.TYPE))) continue;
            Set<String> out = new HashSet<>(mapKeys(r, sm));
            out.retainAll(KNOWN_FEATURES);
            return out;
        }
        return Set.of();
    }

    @SuppressWarnings("unchecked")
    private static Set<String> mapKeys(DbReader r, String sm) {
        return r.get(sm, SM.FEATURES).keySet();
    }

    private static OpTable table(DbReader r, String ref) {
        List<String> enumOps = r.datamodel().enumDef("storage_operations").values();
        List<String> ops = new ArrayList<>(XAPI_OPS);
        ops.retainAll(enumOps);
        OpTable t = new OpTable(ops);
        if (Rows.rollingUpgrade(r)) t.refuse(NOT_DURING_RPU, ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE);
        Set<String> features = new HashSet<>(smFeatures(r, DbValues.str(r, CLS, ref, "type")));
        if (DbValues.bool(r, CLS, ref, "is_tools_sr")) features.removeAll(Set.of("VDI_CREATE", "VDI_DELETE"));
        List<String> forbidden = new ArrayList<>();
        for (String op : ops) {
            String cap = SM_CAPABILITY.get(op);
            if (cap != null && !features.contains(cap)) forbidden.add(op);
        }
        t.refuse(forbidden, ErrorCodes.SR_OPERATION_NOT_SUPPORTED, ref);
        List<String> pbds = DbValues.list(r, CLS, ref, "PBDs");
        if (pbds.stream().anyMatch(p -> r.isValid(PBD.XAPI_CLASS, p) && r.get(p, PBD.CURRENTLY_ATTACHED))) {
            t.refuse(List.of("destroy", "forget"), ErrorCodes.SR_HAS_PBD, ref);
        }
        if (pbds.isEmpty()) t.refuse(List.of("destroy"), ErrorCodes.SR_HAS_NO_PBDS, ref);
        for (String vdi : DbValues.list(r, CLS, ref, "VDIs")) {
            if (r.isValid(VDI.XAPI_CLASS, vdi)
                    && r.get(vdi, VDI.MANAGED)
                    && !r.get(vdi, VDI.TYPE).equals("rrd")) {
                t.refuse(List.of("destroy"), ErrorCodes.SR_NOT_EMPTY);
                break;
            }
        }
        List<Map.Entry<String, String>> current =
                OcamlOrder.sortUniqByOp(DbValues.map(r, CLS, ref, "current_operations"));
        if (!current.isEmpty()) {
            Map.Entry<String, String> first = current.getFirst();
            List<String> rest = new ArrayList<>(ops);
            rest.remove("plug");
            t.refuse(
                    rest,
                    ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                    CLS,
                    ref,
                    OpNames.sr(first.getValue()),
                    first.getKey());
            current.stream()
                    .filter(e -> !e.getValue().equals("plug"))
                    .findFirst()
                    .ifPresent(e -> t.refuse(
                            List.of("plug"),
                            ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                            CLS,
                            ref,
                            OpNames.sr(e.getValue()),
                            e.getKey()));
        }
        return t;
    }
}
