package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PGPU;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VGPU;
import org.xapijava.model.api.VGPUType;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.VMPP;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/**
 * Xapi's VM operation checker ({@code xapi_vm_lifecycle.ml}: {@code allowed_power_states},
 * {@code is_allowed_concurrently}, {@code check_operation_error}, {@code update_allowed_operations}),
 * rule for rule and in Xapi's order: the first rule that refuses gives the error.
 */
final class VmChecker implements OpChecker {
    static final String CLS = "VM";

    /** Never listed in allowed_operations ({@code xapi_vm_lifecycle.ml:ignored_ops}). */
    static final Set<String> IGNORED = Set.of(
            "create_template",
            "power_state_reset",
            "csvm",
            "get_boot_record",
            "send_sysrq",
            "send_trigger",
            "query_services",
            "shutdown",
            "call_plugin",
            "changing_memory_live",
            "awaiting_memory_live",
            "changing_memory_limits",
            "changing_shadow_memory_live",
            "changing_VCPUs",
            "assert_operation_valid",
            "data_source_op",
            "update_allowed_operations",
            "import",
            "reverting");

    /** What a rolling pool upgrade still allows ({@code xapi_globs.ml:rpu_allowed_vm_operations}). */
    static final Set<String> RPU_ALLOWED = Set.of(
            "assert_operation_valid",
            "changing_memory_live",
            "changing_shadow_memory_live",
            "changing_VCPUs_live",
            "clean_reboot",
            "clean_shutdown",
            "clone",
            "copy",
            "csvm",
            "destroy",
            "export",
            "get_boot_record",
            "hard_reboot",
            "hard_shutdown",
            "import",
            "make_into_template",
            "migrate_send",
            "pause",
            "pool_migrate",
            "power_state_reset",
            "provision",
            "resume",
            "resume_on",
            "send_sysrq",
            "send_trigger",
            "start",
            "start_on",
            "suspend",
            "unpause",
            "update_allowed_operations");

    /** What a template may do besides destroy and migrate_send ({@code check_template}). */
    private static final Set<String> TEMPLATE_OPS = Set.of(
            "changing_dynamic_range",
            "changing_static_range",
            "changing_memory_limits",
            "changing_shadow_memory",
            "changing_VCPUs",
            "changing_NVRAM",
            "clone",
            "copy",
            "export",
            "metadata_export",
            "provision");

    /** What a snapshot may do ({@code check_snapshot}). */
    private static final Set<String> SNAPSHOT_OPS =
            Set.of("revert", "clone", "copy", "export", "destroy", "hard_shutdown", "metadata_export");

    /** What any control domain other than dom0's special cases may do. */
    private static final Set<String> CONTROL_DOMAIN_OPS = Set.of(
            "data_source_op",
            "changing_memory_live",
            "awaiting_memory_live",
            "metadata_export",
            "changing_dynamic_range",
            "changing_memory_limits",
            "changing_static_range",
            "start",
            "start_on",
            "changing_VCPUs",
            "destroy");

    private static final Set<String> MIGRATING = Set.of("suspend", "checkpoint", "pool_migrate", "migrate_send");

    private final DbReader r;
    private final String ref;
    private final String powerState;
    private final boolean isTemplate;
    private final boolean isSnapshot;
    private final boolean isControlDomain;
    private final boolean isDefaultTemplate;
    private final boolean isDomainZero;
    private final boolean cloneSuspendedEnabled;
    private final boolean rollingUpgrade;
    private final Map<String, String> blocked;
    private final Map<String, String> currentOps;
    private final Map<String, String> otherConfig;
    private final boolean nomigrate;
    private final boolean nestedVirt;
    private final String metricsDomainType; // null without a metrics record
    private final Map<String, String> guestOther; // null without guest metrics
    private final boolean pvDrivers;
    /** One (on_boot=reset, caching) pair per VDI of the VM's VBDs. */
    private final List<boolean[]> vdiResetCaching = new ArrayList<>();

    private final List<String> pcis;
    private final List<String> sriovPcis = new ArrayList<>();
    private final List<String> vgpus;
    private final List<String> vusbs;
    private final int vtpms;
    private final String appliance;
    private final String protectionPolicy;
    private final String snapshotSchedule;

    private VmChecker(DbReader r, String ref) {
        this.r = r;
        this.ref = ref;
        powerState = DbValues.str(r, CLS, ref, "power_state");
        isTemplate = DbValues.bool(r, CLS, ref, "is_a_template");
        isSnapshot = DbValues.bool(r, CLS, ref, "is_a_snapshot");
        isControlDomain = DbValues.bool(r, CLS, ref, "is_control_domain");
        otherConfig = DbValues.map(r, CLS, ref, "other_config");
        isDefaultTemplate =
                DbValues.bool(r, CLS, ref, "is_default_template") || Rows.boolOfAssoc(otherConfig, "default_template");
        isDomainZero = Rows.isDomainZero(r, ref);
        Map<String, String> poolOc = Rows.poolOtherConfig(r);
        cloneSuspendedEnabled = "true".equals(poolOc.get("allow_clone_suspended_vm"));
        rollingUpgrade = poolOc.containsKey("rolling_upgrade_in_progress");
        blocked = DbValues.map(r, CLS, ref, "blocked_operations");
        currentOps = DbValues.map(r, CLS, ref, "current_operations");
        String metrics = DbValues.str(r, CLS, ref, "metrics");
        Map<String, String> platform = DbValues.map(r, CLS, ref, "platform");
        if (r.isValid(VMMetrics.XAPI_CLASS, metrics)) {
            nomigrate = r.get(metrics, VMMetrics.NOMIGRATE);
            nestedVirt = r.get(metrics, VMMetrics.NESTED_VIRT);
            metricsDomainType = r.get(metrics, VMMetrics.CURRENT_DOMAIN_TYPE);
        } else {
            // Xapi reads the platform keys when there is no metrics record
            nomigrate = platformTrue(platform, "nomigrate");
            nestedVirt = platformTrue(platform, "nested-virt");
            metricsDomainType = null;
        }
        String gm = DbValues.str(r, CLS, ref, "guest_metrics");
        guestOther = r.isValid(VMGuestMetrics.XAPI_CLASS, gm) ? r.get(gm, VMGuestMetrics.OTHER) : null;
        pvDrivers = Rows.hasPvDrivers(r, gm);
        for (String vbd : DbValues.list(r, CLS, ref, "VBDs")) {
            if (!r.isValid(VBD.XAPI_CLASS, vbd)) continue;
            String vdi = r.get(vbd, VBD.VDI);
            if (!r.isValid(VDI.XAPI_CLASS, vdi)) continue;
            Map<String, String> sm = r.get(vdi, VDI.SM_CONFIG);
            vdiResetCaching.add(new boolean[] {"reset".equals(sm.get("on_boot")), Rows.boolOfAssoc(sm, "caching")});
        }
        pcis = DbValues.list(r, CLS, ref, "attached_PCIs");
        vgpus = DbValues.list(r, CLS, ref, "VGPUs");
        for (String vgpu : vgpus) {
            if ("nvidia_sriov".equals(vgpuImplementation(vgpu))) sriovPcis.add(r.get(vgpu, VGPU.PCI));
        }
        vusbs = DbValues.list(r, CLS, ref, "VUSBs");
        vtpms = DbValues.list(r, CLS, ref, "VTPMs").size();
        appliance = DbValues.str(r, CLS, ref, "appliance");
        protectionPolicy = DbValues.str(r, CLS, ref, "protection_policy");
        snapshotSchedule = DbValues.str(r, CLS, ref, "snapshot_schedule");
    }

    /** The checker of VM {@code ref} in state {@code r}; {@code HANDLE_INVALID} if there is no such VM. */
    static VmChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return new VmChecker(r, ref);
    }

    /** {@code Vm_platform.is_true ~default:false}. */
    private static boolean platformTrue(Map<String, String> platform, String key) {
        String v = platform.get(key);
        if (v == null) return false;
        String l = v.toLowerCase(java.util.Locale.ROOT);
        return l.equals("true") || l.equals("1");
    }

    private String vgpuImplementation(String vgpu) {
        if (!r.isValid(VGPU.XAPI_CLASS, vgpu)) return null;
        String type = r.get(vgpu, VGPU.TYPE);
        return r.isValid(VGPUType.XAPI_CLASS, type) ? r.get(type, VGPUType.IMPLEMENTATION) : null;
    }

    /**
     * The power states in which {@code op} is allowed, in Xapi's order ({@code allowed_power_states});
     * the order shows in {@code VM_BAD_POWER_STATE}.
     */
    static List<String> allowedPowerStates(String op, boolean controlDomain, boolean snapshotOrCloneSuspended) {
        return switch (op) {
            case "import" -> List.of();
            case "changing_VCPUs", "changing_static_range", "changing_memory_limits" ->
                controlDomain ? List.of("Halted", "Running") : List.of("Halted");
            case "changing_shadow_memory",
                    "changing_NVRAM",
                    "make_into_template",
                    "provision",
                    "start",
                    "start_on",
                    "create_vtpm" -> List.of("Halted");
            case "unpause" -> List.of("Paused");
            case "csvm", "resume", "resume_on" -> List.of("Suspended");
            case "awaiting_memory_live",
                    "call_plugin",
                    "clean_reboot",
                    "clean_shutdown",
                    "changing_memory_live",
                    "changing_shadow_memory_live",
                    "changing_VCPUs_live",
                    "data_source_op",
                    "pause",
                    "pool_migrate",
                    "send_sysrq",
                    "send_trigger",
                    "snapshot_with_quiesce",
                    "sysprep",
                    "suspend" -> List.of("Running");
            case "changing_dynamic_range" -> List.of("Halted", "Running");
            case "clone", "copy" -> snapshotOrCloneSuspended ? List.of("Halted", "Suspended") : List.of("Halted");
            case "create_template", "destroy", "export" -> List.of("Halted", "Suspended");
            case "hard_reboot" -> List.of("Paused", "Running");
            case "checkpoint", "get_boot_record", "shutdown", "hard_shutdown" ->
                List.of("Paused", "Suspended", "Running");
            case "migrate_send" -> List.of("Halted", "Suspended", "Running");
            case "assert_operation_valid",
                    "metadata_export",
                    "power_state_reset",
                    "revert",
                    "reverting",
                    "snapshot",
                    "update_allowed_operations",
                    "query_services" -> List.of("Halted", "Paused", "Suspended", "Running");
            default -> throw new IllegalArgumentException("unknown VM operation " + op);
        };
    }

    /** {@code is_allowed_concurrently}: may {@code op} start while {@code current} (task → op, DB order) run? */
    static boolean allowedConcurrently(String op, Map<String, String> current) {
        List<String> ops = new ArrayList<>(current.values());
        if (inGroup(op, ops, Set.of("clone", "copy", "export"))
                || inGroup(op, ops, Set.of("snapshot", "checkpoint"))
                || inGroup(op, ops, Set.of("get_boot_record"))) {
            return true;
        }
        return switch (op) {
            case "hard_shutdown" -> !ops.contains("hard_shutdown");
            case "hard_reboot" -> !ops.contains("hard_shutdown") && !ops.contains("hard_reboot");
            case "snapshot" -> ops.equals(List.of("snapshot_with_quiesce"));
            case "metadata_export", "clean_shutdown", "clean_reboot" -> ops.equals(List.of("migrate_send"));
            default -> false;
        };
    }

    private static boolean inGroup(String op, List<String> current, Set<String> group) {
        return group.contains(op) && group.containsAll(current);
    }

    @Override
    public ApiError check(String op, boolean strict) {
        String b = blocked.get(op);
        if (b != null) return new ApiError(ErrorCodes.OPERATION_BLOCKED, ref, b);
        List<String> states = allowedPowerStates(op, isControlDomain, isSnapshot || cloneSuspendedEnabled);
        if (!states.contains(powerState)) {
            List<String> lower = states.stream().map(OpNames::lowerState).toList();
            return new ApiError(
                    ErrorCodes.VM_BAD_POWER_STATE, ref, String.join(", ", lower), OpNames.lowerState(powerState));
        }
        if (!currentOps.isEmpty() && !allowedConcurrently(op, currentOps)) return concurrentError();
        if (isTemplate
                && !isSnapshot
                && !TEMPLATE_OPS.contains(op)
                && !((op.equals("destroy") || op.equals("migrate_send")) && !isDefaultTemplate)) {
            return new ApiError(ErrorCodes.VM_IS_TEMPLATE, ref, OpNames.vm(op));
        }
        if (isSnapshot && !SNAPSHOT_OPS.contains(op))
            return new ApiError(ErrorCodes.VM_IS_SNAPSHOT, ref, OpNames.vm(op));
        if (op.equals("provision") && !isTemplate) return new ApiError(ErrorCodes.PROVISION_ONLY_ALLOWED_ON_TEMPLATE);
        if (op.equals("revert") && !isSnapshot) return new ApiError(ErrorCodes.REVERT_ONLY_ALLOWED_ON_SNAPSHOT);
        if (MIGRATING.contains(op) && strict && (nomigrate || nestedVirt))
            return new ApiError(ErrorCodes.VM_IS_IMMOBILE, ref);
        if (op.equals("changing_dynamic_range") && nestedVirt && strict) {
            return new ApiError(ErrorCodes.VM_IS_USING_NESTED_VIRT, ref);
        }
        if ((op.equals("changing_VCPUs") || op.equals("destroy")) && isDomainZero) {
            return new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "This operation is not allowed on dom0");
        }
        if (isControlDomain && !CONTROL_DOMAIN_OPS.contains(op)) {
            return new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "This operation is not allowed on a control domain");
        }
        ApiError feature = featureError(op, strict);
        if (feature != null) return feature;
        if (op.equals("snapshot_with_quiesce"))
            return new ApiError(ErrorCodes.VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED, ref);
        if (op.equals("checkpoint")
                || op.equals("snapshot")
                || op.equals("suspend")
                || op.equals("snapshot_with_quiesce")) {
            if (vdiResetCaching.stream().anyMatch(v -> v[0])) {
                return new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION);
            }
        } else if (op.equals("pool_migrate") && vdiResetCaching.stream().anyMatch(v -> v[0] && v[1])) {
            return new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION);
        }
        if (MIGRATING.contains(op) && pcis.stream().anyMatch(p -> !sriovPcis.contains(p))) {
            return new ApiError(ErrorCodes.VM_HAS_PCI_ATTACHED, ref);
        }
        if (!vgpus.isEmpty()) {
            ApiError e = vgpuError(op);
            if (e != null) return e;
        }
        if (!vusbs.isEmpty() && (MIGRATING.contains(op) || op.equals("snapshot")))
            return new ApiError(ErrorCodes.VM_HAS_VUSBS, ref);
        if (op.equals("make_into_template")) {
            if (r.isValid(VMAppliance.XAPI_CLASS, appliance)) {
                return new ApiError(ErrorCodes.VM_IS_PART_OF_AN_APPLIANCE, ref, appliance);
            }
            if (r.isValid(VMPP.XAPI_CLASS, protectionPolicy)) {
                return new ApiError(ErrorCodes.VM_ASSIGNED_TO_PROTECTION_POLICY, ref, protectionPolicy);
            }
            if (r.isValid(VMSS.XAPI_CLASS, snapshotSchedule)) {
                return new ApiError(ErrorCodes.VM_ASSIGNED_TO_SNAPSHOT_SCHEDULE, ref, snapshotSchedule);
            }
        }
        if (op.equals("query_services") && !Rows.boolOfAssoc(otherConfig, "is_system_domain")) {
            return new ApiError(ErrorCodes.NOT_SYSTEM_DOMAIN, ref);
        }
        if (rollingUpgrade && !RPU_ALLOWED.contains(op)) return new ApiError(ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE);
        if (op.equals("create_vtpm") && vtpms > 0) {
            return new ApiError(ErrorCodes.VTPM_MAX_AMOUNT_REACHED, Integer.toString(vtpms));
        }
        return null;
    }

    /** {@code report_concurrent_operations_error}: one op as is, several as {@code {a,b}} in DB order. */
    private ApiError concurrentError() {
        if (currentOps.size() == 1) {
            Map.Entry<String, String> e = currentOps.entrySet().iterator().next();
            return new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, OpNames.vm(e.getValue()), e.getKey());
        }
        List<String> tasks = new ArrayList<>();
        List<String> ops = new ArrayList<>();
        currentOps.forEach((task, op) -> {
            tasks.add(task);
            ops.add(OpNames.vm(op));
        });
        return new ApiError(
                ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                CLS,
                ref,
                "{" + String.join(",", ops) + "}",
                "{" + String.join(",", tasks) + "}");
    }

    /** {@code check_op_for_feature}: HVM guests without PV drivers lack what the guest must do. */
    private ApiError featureError(String op, boolean strict) {
        boolean live = powerState.equals("Running") || powerState.equals("Paused");
        boolean bootedPv =
                metricsDomainType != null && List.of("pv", "pv_in_pvh", "pvh").contains(metricsDomainType);
        boolean implicitSupport = !live || bootedPv || pvDrivers;
        if (MIGRATING.contains(op) && live) {
            String reason = guestOther == null ? null : guestOther.get("data-cant-suspend-reason");
            if (reason != null) return new ApiError(ErrorCodes.VM_NON_SUSPENDABLE, ref, reason);
            if (!implicitSupport && strict && lacks("feature-suspend"))
                return new ApiError(ErrorCodes.VM_LACKS_FEATURE, ref);
            return null;
        }
        if (implicitSupport) return null;
        boolean lacking = switch (op) {
            case "clean_shutdown" -> strict && lacks("feature-shutdown") && lacks("feature-poweroff");
            case "clean_reboot" -> strict && lacks("feature-shutdown") && lacks("feature-reboot");
            case "changing_VCPUs_live" -> lacks("feature-vcpu-hotplug");
            default -> false;
        };
        return lacking ? new ApiError(ErrorCodes.VM_LACKS_FEATURE, ref) : null;
    }

    private boolean lacks(String feature) {
        return guestOther == null || !"1".equals(guestOther.get(feature));
    }

    /** {@code check_vgpu}: only NVIDIA vGPUs with gpumon compatibility data may suspend or migrate. */
    private ApiError vgpuError(String op) {
        boolean allSuspendable = vgpus.stream().allMatch(this::suspendable);
        return switch (op) {
            case "migrate_send" ->
                powerState.equals("Halted") || allSuspendable ? null : new ApiError(ErrorCodes.VM_HAS_VGPU, ref);
            case "pool_migrate", "suspend" -> allSuspendable ? null : new ApiError(ErrorCodes.VM_HAS_VGPU, ref);
            case "checkpoint" ->
                powerState.equals("Suspended") || allSuspendable ? null : new ApiError(ErrorCodes.VM_HAS_VGPU, ref);
            default -> null;
        };
    }

    private boolean suspendable(String vgpu) {
        String impl = vgpuImplementation(vgpu);
        if (!"nvidia".equals(impl) && !"nvidia_sriov".equals(impl)) return false;
        String pgpu = r.get(vgpu, VGPU.RESIDENT_ON);
        return r.isValid(PGPU.XAPI_CLASS, pgpu)
                && r.get(pgpu, PGPU.COMPATIBILITY_METADATA).containsKey("nvidia");
    }

    /**
     * {@code update_allowed_operations}: every operation but the ignored ones that passes in strict mode,
     * in reverse datamodel order (Xapi folds the enum list onto a list head); during a rolling upgrade
     * only the upgrade-safe ones.
     */
    @Override
    public List<String> allowed() {
        List<String> all = r.datamodel().enumDef("vm_operations").values();
        List<String> out = new ArrayList<>();
        for (String op : all) {
            if (IGNORED.contains(op)) continue;
            if (check(op, true) == null) out.addFirst(op);
        }
        if (rollingUpgrade) out.removeIf(op -> !RPU_ALLOWED.contains(op));
        return out;
    }
}
