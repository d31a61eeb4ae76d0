package org.xapijava.server.ops;

import java.util.Locale;
import java.util.Set;

/**
 * How Xapi spells operations and power states inside error parameters ({@code record_util.ml}),
 * which is not always the enum's wire name. Pure functions.
 */
public final class OpNames {
    private OpNames() {}

    /**
     * VM operations absent from {@code record_util.ml}'s table: Xapi prints them as
     * {@code (unknown operation)}.
     */
    private static final Set<String> VM_UNNAMED =
            Set.of("create_template", "query_services", "changing_memory_limits", "changing_VCPUs");

    /** {@code Record_util.vm_operation_to_string}. */
    static String vm(String op) {
        return switch (op) {
            case "assert_operation_valid" -> "assertoperationvalid";
            case "data_source_op" -> "data_sources_op";
            default -> VM_UNNAMED.contains(op) ? "(unknown operation)" : op;
        };
    }

    /** {@code Record_util.host_operation_to_string}. */
    static String host(String op) {
        return switch (op) {
            case "vm_start" -> "VM.start";
            case "vm_resume" -> "VM.resume";
            case "vm_migrate" -> "VM.migrate";
            default -> op;
        };
    }

    /** {@code Record_util.sr_operation_to_string}: {@code vdi_create} is {@code VDI.create}, and so on. */
    static String sr(String op) {
        if (op.startsWith("vdi_")) return "VDI." + op.substring(4);
        if (op.startsWith("pbd_")) return "PBD." + op.substring(4);
        return op;
    }

    /** {@code Record_util.vdi_type_to_string}. */
    public static String vdiType(String t) {
        return switch (t) {
            case "system" -> "System";
            case "user" -> "User";
            case "ephemeral" -> "Ephemeral";
            case "suspend" -> "Suspend";
            case "crashdump" -> "Crashdump";
            case "ha_statefile" -> "HA statefile";
            case "metadata" -> "Metadata";
            case "redo_log" -> "Redo log";
            case "pvs_cache" -> "PVS cache";
            case "cbt_metadata" -> "CBT metadata";
            default -> t; // rrd
        };
    }

    /** {@code Record_util.vm_power_state_to_lowercase_string}: {@code Halted} is {@code halted}. */
    static String lowerState(String powerState) {
        return powerState.isEmpty()
                ? powerState
                : powerState.substring(0, 1).toLowerCase(Locale.ROOT) + powerState.substring(1);
    }
}
