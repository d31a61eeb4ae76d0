package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/** Xapi's VDI operation checker ({@code xapi_vdi.ml:check_operation_error}, {@code update_allowed_operations}). */
final class VdiChecker implements OpChecker {
    static final String CLS = "VDI";

    /**
     * What allowed_operations may list: Xapi's pre-Ely operations without {@code blocked} and
     * {@code force_unlock} (CA-260245, CA-281176), in OCaml's set order.
     */
    static final List<String> LISTED = sorted(List.of(
            "clone", "copy", "resize", "resize_online", "snapshot", "destroy", "forget", "update", "generate_config"));

    /** {@code rpu_allowed_vdi_operations} (the pre-Ely set). */
    static final Set<String> RPU_ALLOWED = Set.of(
            "clone",
            "copy",
            "resize",
            "resize_online",
            "snapshot",
            "destroy",
            "forget",
            "update",
            "force_unlock",
            "generate_config",
            "blocked");

    private static final Set<String> LIVE_OK = Set.of(
            "snapshot",
            "resize_online",
            "blocked",
            "clone",
            "revert_to",
            "mirror",
            "enable_cbt",
            "disable_cbt",
            "data_destroy");
    private static final Set<String> NOT_FOR_CBT_METADATA = Set.of(
            "clone",
            "copy",
            "disable_cbt",
            "enable_cbt",
            "mirror",
            "resize",
            "resize_online",
            "snapshot",
            "revert_to",
            "revert_from",
            "set_on_boot");

    private final DbReader r;
    private final String ref;
    private final String sr;
    private final String srType;
    private final boolean toolsSr;
    private final Map<String, String> current;
    private final boolean resetOnBoot;
    private final boolean rollingUpgrade;
    private final boolean haEnabled;
    private final boolean haStateOrRedoLog;
    private final String type;
    private final boolean pbdsAttached;
    private final List<String> activeVbds = new ArrayList<>();
    private final List<String> busyVbds = new ArrayList<>();
    private final Set<String> smFeatures;

    private VdiChecker(DbReader r, String ref) {
        this.r = r;
        this.ref = ref;
        current = DbValues.map(r, CLS, ref, "current_operations");
        resetOnBoot = "reset".equals(DbValues.str(r, CLS, ref, "on_boot"));
        rollingUpgrade = Rows.rollingUpgrade(r);
        haEnabled = Rows.haEnabled(r);
        sr = DbValues.str(r, CLS, ref, "SR");
        srType = r.get(sr, SR.TYPE);
        toolsSr = r.get(sr, SR.IS_TOOLS_SR);
        type = DbValues.str(r, CLS, ref, "type");
        haStateOrRedoLog = type.equals("ha_statefile") || type.equals("redo_log");
        boolean attached = false;
        for (String pbd : r.get(sr, SR.PBDS)) {
            if (r.isValid(PBD.XAPI_CLASS, pbd) && r.get(pbd, PBD.CURRENTLY_ATTACHED)) attached = true;
        }
        pbdsAttached = attached;
        for (String vbd : DbValues.list(r, CLS, ref, "VBDs")) {
            if (!r.isValid(VBD.XAPI_CLASS, vbd)) continue;
            if (r.get(vbd, VBD.CURRENTLY_ATTACHED) || r.get(vbd, VBD.RESERVED)) activeVbds.add(vbd);
            if (!r.get(vbd, VBD.CURRENT_OPERATIONS).isEmpty()) busyVbds.add(vbd);
        }
        smFeatures = SrChecker.smFeatures(r, srType);
    }

    static VdiChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return new VdiChecker(r, ref);
    }

    private static List<String> sorted(List<String> ops) {
        List<String> l = new ArrayList<>(ops);
        l.sort(OcamlOrder.VARIANTS);
        return List.copyOf(l);
    }

    /** {@code feature_of_op}: the SM capability an operation needs, or null. */
    static String featureOf(String op) {
        return switch (op) {
            case "snapshot" -> "VDI_SNAPSHOT";
            case "destroy" -> "VDI_DELETE";
            case "resize" -> "VDI_RESIZE";
            case "update" -> "VDI_UPDATE";
            case "resize_online" -> "VDI_RESIZE_ONLINE";
            case "generate_config" -> "VDI_GENERATE_CONFIG";
            case "clone", "revert_to", "revert_from" -> "VDI_CLONE";
            case "mirror" -> "VDI_MIRROR";
            case "enable_cbt", "disable_cbt", "data_destroy", "list_changed_blocks" -> "VDI_CONFIG_CBT";
            case "set_on_boot" -> "VDI_RESET_ON_BOOT";
            default -> null; // forget, copy, force_unlock, blocked
        };
    }

    @Override
    public ApiError check(String op, boolean strict) {
        if (rollingUpgrade && !RPU_ALLOWED.contains(op)) return new ApiError(ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE);
        boolean mirroring = op.equals("destroy") && current.containsValue("mirror");
        if (!mirroring) {
            for (Map.Entry<String, String> e : current.entrySet()) {
                if (!e.getValue().equals("copy")) {
                    return new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, e.getValue(), e.getKey());
                }
            }
        }
        if (!pbdsAttached && op.equals("resize")) return new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
        boolean live = LIVE_OK.contains(op);
        boolean blockedByAttach = live
                ? false
                : op.equals("copy")
                        ? activeVbds.stream().anyMatch(v -> r.get(v, VBD.MODE).equals("RW"))
                        : !activeVbds.isEmpty();
        if (blockedByAttach
                && op.equals("list_changed_blocks")
                && activeVbds.stream().allMatch(this::onSnapshotVm)) {
            blockedByAttach = false; // VM.checkpoint leaves its snapshot's VBDs currently_attached
        }
        if (blockedByAttach) return new ApiError(ErrorCodes.VDI_IN_USE, ref, op);
        if (!busyVbds.isEmpty() && !op.equals("data_destroy")) {
            Map.Entry<String, String> e = r.get(busyVbds.getFirst(), VBD.CURRENT_OPERATIONS)
                    .entrySet()
                    .iterator()
                    .next();
            return new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, e.getValue(), e.getKey());
        }
        String feature = featureOf(op);
        if (feature != null && !smFeatures.contains(feature))
            return new ApiError(ErrorCodes.SR_OPERATION_NOT_SUPPORTED, sr);
        if (NOT_FOR_CBT_METADATA.contains(op) && type.equals("cbt_metadata")) {
            return new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, ref, OpNames.vdiType("cbt_metadata"));
        }
        if ((op.equals("mirror") || op.equals("set_on_boot")) && DbValues.bool(r, CLS, ref, "cbt_enabled")) {
            return new ApiError(ErrorCodes.VDI_CBT_ENABLED, ref);
        }
        boolean snapshot = DbValues.bool(r, CLS, ref, "is_a_snapshot");
        switch (op) {
            case "forget" -> {
                if (haEnabled && haStateOrRedoLog) return new ApiError(ErrorCodes.HA_IS_ENABLED);
                if (type.equals("rrd")) return new ApiError(ErrorCodes.VDI_HAS_RRDS, ref);
                return null;
            }
            case "destroy", "revert_from" -> {
                return destroyError();
            }
            case "data_destroy" -> {
                if (!snapshot) return new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "VDI is not a snapshot: " + ref);
                if (!DbValues.bool(r, CLS, ref, "cbt_enabled"))
                    return new ApiError(ErrorCodes.VDI_NO_CBT_METADATA, ref);
                return destroyError();
            }
            case "resize", "resize_online" -> {
                return haEnabled && haStateOrRedoLog ? new ApiError(ErrorCodes.HA_IS_ENABLED) : null;
            }
            case "snapshot" -> {
                if (DbValues.bool(r, CLS, ref, "sharable")) return new ApiError(ErrorCodes.VDI_IS_SHARABLE, ref);
                if (resetOnBoot) return new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION);
                if (current.containsValue("copy")) {
                    return new ApiError(
                            ErrorCodes.OPERATION_NOT_ALLOWED, "Snapshot operation not allowed during copy.");
                }
                return null;
            }
            case "copy" -> {
                if (resetOnBoot) return new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION);
                if (haStateOrRedoLog) {
                    return new ApiError(
                            ErrorCodes.OPERATION_NOT_ALLOWED,
                            "VDI containing HA statefile or redo log cannot be copied (check the VDI's allowed operations).");
                }
                return null;
            }
            case "enable_cbt", "disable_cbt" -> {
                if (snapshot) return new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "VDI is a snapshot: " + ref);
                if (!type.equals("user") && !type.equals("system")) {
                    return new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, ref, OpNames.vdiType(type));
                }
                return resetOnBoot ? new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION) : null;
            }
            case "revert_to" -> {
                return snapshot ? null : new ApiError(ErrorCodes.REVERT_ONLY_ALLOWED_ON_SNAPSHOT);
            }
            default -> {
                return null;
            }
        }
    }

    private boolean onSnapshotVm(String vbd) {
        String vm = r.get(vbd, VBD.VM);
        return r.isValid(VM.XAPI_CLASS, vm) && r.get(vm, VM.IS_A_SNAPSHOT);
    }

    /** {@code check_destroy}. */
    private ApiError destroyError() {
        if (srType.equals("udev")) return new ApiError(ErrorCodes.VDI_IS_A_PHYSICAL_DEVICE, ref);
        if (toolsSr) return new ApiError(ErrorCodes.SR_OPERATION_NOT_SUPPORTED, sr);
        if (type.equals("rrd")) return new ApiError(ErrorCodes.VDI_HAS_RRDS, ref);
        if (haEnabled && haStateOrRedoLog) return new ApiError(ErrorCodes.HA_IS_ENABLED);
        if (haStateOrRedoLog && Rows.poolOpInProgress(r, "ha_enable"))
            return new ApiError(ErrorCodes.HA_ENABLE_IN_PROGRESS);
        if (haStateOrRedoLog && Rows.poolOpInProgress(r, "ha_disable"))
            return new ApiError(ErrorCodes.HA_DISABLE_IN_PROGRESS);
        return null;
    }

    @Override
    public List<String> allowed() {
        List<String> out = new ArrayList<>();
        for (String op : LISTED) if (check(op, true) == null) out.add(op);
        if (rollingUpgrade) out.removeIf(op -> !RPU_ALLOWED.contains(op));
        return out;
    }
}
