package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

/**
 * The VM operation × power state × kind of VM table, exhaustively, against facts written down here
 * from {@code xapi-core.md} §4.4 and {@code xapi_vm_lifecycle.ml} (not from the implementation):
 * per operation, the power states it needs, and whether a template, a default template, a snapshot and
 * a control domain may do it; the expected error then follows Xapi's documented check order.
 */
class VmOperationTableTest {
    /**
     * One line per vm_operations value: op, states (H P S R, in Xapi's order; "-" none), states for a
     * control domain, then template / default template / snapshot / control domain: "ok" or "x".
     */
    private static final String TABLE = """
            snapshot                     HPSR  HPSR  x  x  x  x
            clone                        H     H     ok ok ok x
            copy                         H     H     ok ok ok x
            create_template              HS    HS    x  x  x  x
            revert                       HPSR  HPSR  x  x  ok x
            checkpoint                   PSR   PSR   x  x  x  x
            snapshot_with_quiesce        R     R     x  x  x  x
            provision                    H     H     ok ok x  x
            start                        H     H     x  x  x  ok
            start_on                     H     H     x  x  x  ok
            pause                        R     R     x  x  x  x
            unpause                      P     P     x  x  x  x
            clean_shutdown               R     R     x  x  x  x
            clean_reboot                 R     R     x  x  x  x
            hard_shutdown                PSR   PSR   x  x  ok x
            power_state_reset            HPSR  HPSR  x  x  x  x
            hard_reboot                  PR    PR    x  x  x  x
            suspend                      R     R     x  x  x  x
            csvm                         S     S     x  x  x  x
            resume                       S     S     x  x  x  x
            resume_on                    S     S     x  x  x  x
            pool_migrate                 R     R     x  x  x  x
            migrate_send                 HSR   HSR   ok x  x  x
            get_boot_record              PSR   PSR   x  x  x  x
            send_sysrq                   R     R     x  x  x  x
            send_trigger                 R     R     x  x  x  x
            query_services               HPSR  HPSR  x  x  x  x
            shutdown                     PSR   PSR   x  x  x  x
            call_plugin                  R     R     x  x  x  x
            changing_memory_live         R     R     x  x  x  ok
            awaiting_memory_live         R     R     x  x  x  ok
            changing_dynamic_range       HR    HR    ok ok x  ok
            changing_static_range        H     HR    ok ok x  ok
            changing_memory_limits       H     HR    ok ok x  ok
            changing_shadow_memory       H     H     ok ok x  x
            changing_shadow_memory_live  R     R     x  x  x  x
            changing_VCPUs               H     HR    ok ok x  ok
            changing_VCPUs_live          R     R     x  x  x  x
            changing_NVRAM               H     H     ok ok x  x
            assert_operation_valid       HPSR  HPSR  x  x  x  x
            data_source_op               R     R     x  x  x  ok
            update_allowed_operations    HPSR  HPSR  x  x  x  x
            make_into_template           H     H     x  x  x  x
            import                       -     -     x  x  x  x
            export                       HS    HS    ok ok ok x
            metadata_export              HPSR  HPSR  ok ok ok ok
            reverting                    HPSR  HPSR  x  x  x  x
            destroy                      HS    HS    ok x  ok ok
            create_vtpm                  H     H     x  x  x  x
            """;

    /** How Xapi prints operations in VM errors where that differs from the wire name (record_util.ml). */
    private static final Map<String, String> PRINTED = Map.of(
            "assert_operation_valid",
            "assertoperationvalid",
            "data_source_op",
            "data_sources_op",
            "create_template",
            "(unknown operation)",
            "query_services",
            "(unknown operation)",
            "changing_memory_limits",
            "(unknown operation)",
            "changing_VCPUs",
            "(unknown operation)");

    private static final Map<Character, String> STATE =
            Map.of('H', "Halted", 'P', "Paused", 'S', "Suspended", 'R', "Running");

    enum Kind {
        NORMAL,
        TEMPLATE,
        DEFAULT_TEMPLATE,
        SNAPSHOT,
        CONTROL_DOMAIN
    }

    record Row(
            String op,
            List<String> states,
            List<String> cdStates,
            boolean template,
            boolean defaultTemplate,
            boolean snapshot,
            boolean controlDomain) {}

    static List<Row> rows() {
        List<Row> out = new ArrayList<>();
        for (String line : TABLE.strip().split("\n")) {
            String[] c = line.trim().split("\\s+");
            out.add(new Row(
                    c[0],
                    states(c[1]),
                    states(c[2]),
                    c[3].equals("ok"),
                    c[4].equals("ok"),
                    c[5].equals("ok"),
                    c[6].equals("ok")));
        }
        return out;
    }

    private static List<String> states(String s) {
        if (s.equals("-")) return List.of();
        List<String> l = new ArrayList<>();
        for (char ch : s.toCharArray()) l.add(STATE.get(ch));
        return l;
    }

    private static String lower(String s) {
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    /** The expected error description ([] when allowed), by Xapi's check order. */
    static List<String> expected(Row row, Kind kind, String state, String vm) {
        List<String> states = kind == Kind.CONTROL_DOMAIN
                ? row.cdStates()
                : kind == Kind.SNAPSHOT && (row.op().equals("clone") || row.op().equals("copy"))
                        ? List.of("Halted", "Suspended")
                        : row.states();
        String printed = PRINTED.getOrDefault(row.op(), row.op());
        if (!states.contains(state)) {
            return List.of(
                    "VM_BAD_POWER_STATE",
                    vm,
                    String.join(
                            ", ",
                            states.stream().map(VmOperationTableTest::lower).toList()),
                    lower(state));
        }
        if (kind == Kind.TEMPLATE && !row.template() || kind == Kind.DEFAULT_TEMPLATE && !row.defaultTemplate()) {
            return List.of("VM_IS_TEMPLATE", vm, printed);
        }
        if (kind == Kind.SNAPSHOT && !row.snapshot()) return List.of("VM_IS_SNAPSHOT", vm, printed);
        boolean templateFlag = kind == Kind.TEMPLATE || kind == Kind.DEFAULT_TEMPLATE || kind == Kind.SNAPSHOT;
        if (row.op().equals("provision") && !templateFlag) return List.of("PROVISION_ONLY_ALLOWED_ON_TEMPLATE");
        if (row.op().equals("revert") && kind != Kind.SNAPSHOT) return List.of("REVERT_ONLY_ALLOWED_ON_SNAPSHOT");
        if (kind == Kind.CONTROL_DOMAIN && !row.controlDomain()) {
            return List.of("OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain");
        }
        if (row.op().equals("snapshot_with_quiesce")) return List.of("VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED", vm);
        if (row.op().equals("query_services")) return List.of("NOT_SYSTEM_DOMAIN", vm);
        return List.of();
    }

    static Map<String, Object> fields(Kind kind) {
        Map<String, Object> m = new HashMap<>();
        switch (kind) {
            case NORMAL -> {}
            case TEMPLATE -> m.put("is_a_template", true);
            case DEFAULT_TEMPLATE -> {
                m.put("is_a_template", true);
                m.put("is_default_template", true);
            }
            case SNAPSHOT -> {
                m.put("is_a_template", true); // Xapi's snapshots are templates too
                m.put("is_a_snapshot", true);
            }
            case CONTROL_DOMAIN -> m.put("is_control_domain", true); // not resident: not dom0
        }
        return m;
    }

    @Test
    void theTableCoversEveryOperationOfTheDatamodel() {
        assertEquals(
                Fixture.DM.enumDef("vm_operations").values(),
                rows().stream().map(Row::op).toList());
    }

    @Test
    void everyOperationInEveryPowerStateForEveryKindOfVm() {
        Fixture f = new Fixture();
        int checked = 0;
        for (Kind kind : Kind.values()) {
            for (String state : List.of("Halted", "Paused", "Suspended", "Running")) {
                String vm = f.vm(state, fields(kind));
                VmChecker c = VmChecker.of(f.db.snapshot(), vm);
                for (Row row : rows()) {
                    ApiError e = c.check(row.op(), true);
                    List<String> got = e == null ? List.of() : e.description();
                    assertEquals(expected(row, kind, state, vm), got, row.op() + " on a " + kind + " VM, " + state);
                    checked++;
                }
            }
        }
        assertEquals(49 * 4 * 5, checked);
    }

    @Test
    void cloningASuspendedVmFollowsThePoolFlag() {
        Fixture f = new Fixture();
        String vm = f.vm("Suspended");
        assertEquals(
                List.of("VM_BAD_POWER_STATE", vm, "halted", "suspended"),
                VmChecker.of(f.db.snapshot(), vm).check("clone", true).description());
        f.db.set("pool", f.pool, "other_config", Map.of("allow_clone_suspended_vm", "true"));
        assertEquals(null, VmChecker.of(f.db.snapshot(), vm).check("clone", true));
        assertEquals(null, VmChecker.of(f.db.snapshot(), vm).check("copy", true));
    }

    /** Ops never in allowed_operations ({@code xapi_vm_lifecycle.ml:ignored_ops}), written down here. */
    static final Set<String> XAPI_IGNORED = Set.of(
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

    @Test
    void allowedOperationsPerPowerStateInXapisOrder() {
        Fixture f = new Fixture();
        Map<String, List<String>> expected = Map.of(
                "Halted",
                        List.of(
                                "create_vtpm",
                                "destroy",
                                "metadata_export",
                                "export",
                                "make_into_template",
                                "changing_NVRAM",
                                "changing_shadow_memory",
                                "changing_static_range",
                                "changing_dynamic_range",
                                "migrate_send",
                                "start_on",
                                "start",
                                "copy",
                                "clone",
                                "snapshot"),
                "Running",
                        List.of(
                                "metadata_export",
                                "changing_VCPUs_live",
                                "changing_dynamic_range",
                                "migrate_send",
                                "pool_migrate",
                                "suspend",
                                "hard_reboot",
                                "hard_shutdown",
                                "clean_reboot",
                                "clean_shutdown",
                                "pause",
                                "checkpoint",
                                "snapshot"),
                "Paused",
                        List.of("metadata_export", "hard_reboot", "hard_shutdown", "unpause", "checkpoint", "snapshot"),
                "Suspended",
                        List.of(
                                "destroy",
                                "metadata_export",
                                "export",
                                "migrate_send",
                                "resume_on",
                                "resume",
                                "hard_shutdown",
                                "checkpoint",
                                "snapshot"));
        expected.forEach((state, ops) -> {
            String vm = f.vm(state);
            assertEquals(ops, VmChecker.of(f.db.snapshot(), vm).allowed(), state);
        });
    }

    @Test
    void allowedOperationsAreThePassingOpsMinusTheIgnoredOnes() {
        Fixture f = new Fixture();
        for (Kind kind : Kind.values()) {
            for (String state : List.of("Halted", "Paused", "Suspended", "Running")) {
                String vm = f.vm(state, fields(kind));
                List<String> want = new ArrayList<>();
                for (Row row : rows()) {
                    if (!XAPI_IGNORED.contains(row.op())
                            && expected(row, kind, state, vm).isEmpty()) want.addFirst(row.op());
                }
                List<String> got = VmChecker.of(f.db.snapshot(), vm).allowed();
                assertEquals(want, got, kind + " " + state);
                assertTrue(got.stream().noneMatch(XAPI_IGNORED::contains));
            }
        }
    }
}
