package org.xapijava.server.ops;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/**
 * Xapi's host operation checker ({@code xapi_host_helpers.ml:valid_operations}). The clustered-SR
 * rules (one host down at a time, recovering SRs) are not applied: no clusters yet.
 */
final class HostChecker implements OpChecker {
    static final String CLS = "host";
    static final List<String> ALL_OPS = List.of(
            "provision",
            "evacuate",
            "shutdown",
            "reboot",
            "power_on",
            "vm_start",
            "vm_resume",
            "vm_migrate",
            "apply_updates",
            "enable");
    static final List<String> FOLD_ORDER = OcamlOrder.hashtblFoldOrder(ALL_OPS);
    /** The operations older (Miami) hosts know: all that is listed or marked during a rolling upgrade. */
    static final List<String> MIAMI_OPS = List.of("evacuate", "provision");

    private static final List<String> CREATING = List.of("provision", "vm_resume", "vm_migrate");
    private static final List<String> REMOVING = List.of("evacuate", "reboot", "shutdown");

    private final OpTable table;
    private final boolean rollingUpgrade;

    private HostChecker(OpTable table, boolean rollingUpgrade) {
        this.table = table;
        this.rollingUpgrade = rollingUpgrade;
    }

    /** @param powerOnPlugin whether Xapi's {@code power-on-host} plugin is installed and executable */
    static HostChecker of(DbReader r, String ref, boolean powerOnPlugin) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return new HostChecker(table(r, ref, powerOnPlugin), Rows.rollingUpgrade(r));
    }

    @Override
    public ApiError check(String op, boolean strict) {
        return table.error(op);
    }

    @Override
    public List<String> allowed() {
        List<String> out = table.allowedIn(FOLD_ORDER);
        if (rollingUpgrade) out.retainAll(MIAMI_OPS);
        return out;
    }

    private static Optional<Map.Entry<String, String>> find(Map<String, String> current, List<String> ops) {
        return current.entrySet().stream()
                .filter(e -> ops.contains(e.getValue()))
                .findFirst();
    }

    private static OpTable table(DbReader r, String ref, boolean powerOnPlugin) {
        OpTable t = new OpTable(ALL_OPS);
        Map<String, String> current = DbValues.map(r, CLS, ref, "current_operations");
        Optional<Map.Entry<String, String>> creating = find(current, CREATING);
        Optional<Map.Entry<String, String>> removing = find(current, REMOVING);
        for (String op : ALL_OPS) {
            if (op.equals("power_on")) continue;
            Optional<Map.Entry<String, String>> conflict = CREATING.contains(op) && removing.isPresent()
                    ? removing
                    : REMOVING.contains(op) ? creating : Optional.empty();
            conflict.ifPresent(e -> t.refuse(
                    List.of(op),
                    ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                    CLS,
                    ref,
                    OpNames.host(e.getValue()),
                    e.getKey()));
        }
        find(current, List.of("reboot"))
                .ifPresent(e -> t.refuse(
                        List.of("shutdown", "apply_updates"),
                        ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                        CLS,
                        ref,
                        "reboot",
                        e.getKey()));
        find(current, List.of("shutdown"))
                .ifPresent(e -> t.refuse(
                        List.of("reboot", "apply_updates"),
                        ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                        CLS,
                        ref,
                        "shutdown",
                        e.getKey()));
        find(current, List.of("apply_updates"))
                .ifPresent(e -> t.refuse(
                        List.of("reboot", "shutdown", "enable"),
                        ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                        CLS,
                        ref,
                        "apply_updates",
                        e.getKey()));
        find(current, List.of("provision"))
                .ifPresent(e -> t.refuse(
                        List.of("provision"),
                        ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                        CLS,
                        ref,
                        "provision",
                        e.getKey()));
        if (DbValues.bool(r, CLS, ref, "enabled"))
            t.refuse(List.of("reboot", "shutdown", "apply_updates"), ErrorCodes.HOST_NOT_DISABLED);
        String metrics = DbValues.str(r, CLS, ref, "metrics");
        if (r.isValid(HostMetrics.XAPI_CLASS, metrics) && r.get(metrics, HostMetrics.LIVE)) {
            t.refuse(List.of("power_on"), ErrorCodes.HOST_IS_LIVE, ref);
        }
        if (DbValues.str(r, CLS, ref, "power_on_mode").isEmpty())
            t.refuse(List.of("power_on"), ErrorCodes.HOST_POWER_ON_MODE_DISABLED);
        if (!powerOnPlugin) t.refuse(List.of("power_on"), ErrorCodes.XENAPI_MISSING_PLUGIN, "power-on-host");
        return t;
    }
}
