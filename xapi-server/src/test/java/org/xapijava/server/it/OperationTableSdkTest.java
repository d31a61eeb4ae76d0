package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.Datamodel;
import org.xapijava.server.TestHost;

/**
 * Xapi's VM operation table through the Citrix SDK: every lifecycle message bound in issue 4, on an ordinary VM in
 * each power state reached through real operations (Halted; Running by start; Paused by pause; Suspended by
 * suspend), on a template, a default template, a snapshot and the control domain, and on a destroyed VM. Each call
 * either succeeds (the state is then restored) or fails with exactly the error Xapi gives (code and parameters);
 * before each call the VM's whole {@code allowed_operations} is compared with the table, and the message's own
 * operation is in it exactly when the call succeeds.
 *
 * <p>The expected table is literal data from {@code reference/xapi-core.md} §4.4 (power states, template, snapshot
 * and control-domain exceptions, the ignore list, the error shapes of §4.3), written independently of the
 * implementation; the few steps Xapi takes outside its checker come from the sources named at {@link #expected}.
 * One dynamic test per cell, named {@code <subject> <state>: <message>}, so that a failure names its cell.
 */
class OperationTableSdkTest {
    static final String H = "halted";
    static final String P = "paused";
    static final String S = "suspended";
    static final String R = "running";
    static final String NULL = "OpaqueRef:NULL";

    // ---------------------------------------------------------------------------------------- the literal table

    /** §4.4 "Allowed states", in the order Xapi prints them in {@code VM_BAD_POWER_STATE} (halted, paused, suspended, running). */
    static final Map<String, List<String>> POWER = new LinkedHashMap<>();

    static {
        for (String op : List.of(
                "start",
                "start_on",
                "provision",
                "make_into_template",
                "changing_shadow_memory",
                "changing_NVRAM",
                "create_vtpm",
                "changing_VCPUs",
                "changing_static_range",
                "changing_memory_limits",
                "clone",
                "copy")) {
            POWER.put(op, List.of(H));
        }
        POWER.put("unpause", List.of(P));
        for (String op : List.of("resume", "resume_on", "csvm")) POWER.put(op, List.of(S));
        for (String op : List.of(
                "clean_shutdown",
                "clean_reboot",
                "pause",
                "suspend",
                "pool_migrate",
                "call_plugin",
                "send_sysrq",
                "send_trigger",
                "snapshot_with_quiesce",
                "sysprep",
                "data_source_op",
                "changing_memory_live",
                "awaiting_memory_live",
                "changing_shadow_memory_live",
                "changing_VCPUs_live")) {
            POWER.put(op, List.of(R));
        }
        POWER.put("changing_dynamic_range", List.of(H, R));
        for (String op : List.of("destroy", "export", "create_template")) POWER.put(op, List.of(H, S));
        POWER.put("hard_reboot", List.of(P, R));
        for (String op : List.of("hard_shutdown", "shutdown", "checkpoint", "get_boot_record"))
            POWER.put(op, List.of(P, S, R));
        POWER.put("migrate_send", List.of(H, S, R));
        for (String op : List.of(
                "snapshot",
                "revert",
                "reverting",
                "metadata_export",
                "power_state_reset",
                "assert_operation_valid",
                "update_allowed_operations",
                "query_services")) {
            POWER.put(op, List.of(H, P, S, R));
        }
        POWER.put("import", List.of());
    }

    /** "H (+R if control domain)". */
    static final Set<String> RUNNING_TOO_IF_CONTROL_DOMAIN =
            Set.of("changing_VCPUs", "changing_static_range", "changing_memory_limits");
    /** "H (+S if VM is a snapshot or 'clone suspended VM' enabled)" (not enabled here: no pool other_config key). */
    static final Set<String> SUSPENDED_TOO_IF_SNAPSHOT = Set.of("clone", "copy");
    /** Check 4: what a template (not a snapshot) allows; {@link #TEMPLATE_UNLESS_DEFAULT} if not a default template. */
    static final Set<String> TEMPLATE = Set.of(
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

    static final Set<String> TEMPLATE_UNLESS_DEFAULT = Set.of("destroy", "migrate_send");
    /** Check 5: what a snapshot allows. */
    static final Set<String> SNAPSHOT =
            Set.of("revert", "clone", "copy", "export", "destroy", "hard_shutdown", "metadata_export");
    /** Check 8: what a control domain other than for dom0's own two allows. */
    static final Set<String> CONTROL_DOMAIN = Set.of(
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
    /** Check 7: operations refused for an immobile VM (none of ours is). */
    static final Set<String> MOBILE_ONLY = Set.of("suspend", "checkpoint", "pool_migrate", "migrate_send");
    /** "Never listed in allowed_operations (ignored)". */
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

    /** The messages bound in issue 4, with the operation each checks (wire names). */
    static final Map<String, String> MESSAGES = new LinkedHashMap<>();

    static {
        for (String m : List.of(
                "start",
                "start_on",
                "shutdown",
                "clean_shutdown",
                "hard_shutdown",
                "clean_reboot",
                "hard_reboot",
                "suspend",
                "resume",
                "resume_on",
                "pause",
                "unpause",
                "power_state_reset",
                "clone",
                "copy",
                "snapshot",
                "revert",
                "provision",
                "destroy")) {
            MESSAGES.put(m, m);
        }
        MESSAGES.put("set_is_a_template", "make_into_template"); // with value true; false is not marked
    }

    /** The kinds of VM the table distinguishes. */
    enum Kind {
        VM("VM"),
        TEMPLATE("template"),
        DEFAULT_TEMPLATE("default template"),
        SNAPSHOT("snapshot"),
        CONTROL_DOMAIN("control domain");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * The checker's first error for {@code op} (strict, nothing else in progress), or null when allowed: checks 2, 4,
     * 5, 6, 7, 8, 10 of §4.4 (1 needs blocked_operations, 3 another operation, 9 an HVM guest without drivers, 11–12
     * disks with on_boot=reset, PCI, vGPU, VUSB, appliances, VTPMs: our subjects have none).
     */
    static List<String> checkerError(Kind kind, String state, String ref, String op) {
        List<String> states = new ArrayList<>(POWER.get(op));
        if (kind == Kind.CONTROL_DOMAIN && RUNNING_TOO_IF_CONTROL_DOMAIN.contains(op)) states.add(R);
        if (kind == Kind.SNAPSHOT && SUSPENDED_TOO_IF_SNAPSHOT.contains(op)) states.add(S);
        if (!states.contains(state)) {
            List<String> ordered =
                    Stream.of(H, P, S, R).filter(states::contains).toList();
            return List.of("VM_BAD_POWER_STATE", ref, String.join(", ", ordered), state);
        }
        boolean template = kind == Kind.TEMPLATE || kind == Kind.DEFAULT_TEMPLATE;
        if (template && !TEMPLATE.contains(op) && !(kind == Kind.TEMPLATE && TEMPLATE_UNLESS_DEFAULT.contains(op))) {
            return List.of("VM_IS_TEMPLATE", ref, op);
        }
        if (kind == Kind.SNAPSHOT && !SNAPSHOT.contains(op)) return List.of("VM_IS_SNAPSHOT", ref, op);
        // §4.4 names the OCaml constant only_provision_template; its wire code (errors.json) is this one
        if (op.equals("provision") && !template) return List.of("PROVISION_ONLY_ALLOWED_ON_TEMPLATE");
        if (op.equals("revert") && kind != Kind.SNAPSHOT) return List.of("REVERT_ONLY_ALLOWED_ON_SNAPSHOT");
        if (kind == Kind.CONTROL_DOMAIN && (op.equals("changing_VCPUs") || op.equals("destroy"))) {
            return List.of("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0");
        }
        if (kind == Kind.CONTROL_DOMAIN && !CONTROL_DOMAIN.contains(op)) {
            return List.of("OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain");
        }
        if (op.equals("snapshot_with_quiesce")) return List.of("VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED", ref);
        return null;
    }

    /** {@code allowed_operations}: every operation of the datamodel's enum but the ignored ones that the checker allows. */
    static Set<String> allowed(Kind kind, String state, String ref) {
        Set<String> out = new TreeSet<>();
        for (String op : Datamodel.get().enumDef("vm_operations").values()) {
            if (!IGNORED.contains(op) && checkerError(kind, state, ref, op) == null) out.add(op);
        }
        return out;
    }

    /**
     * What calling {@code message} gives: the checker's answer, except where Xapi decides before it looks:
     * {@code VM.revert} of a VM whose {@code snapshot_of} is not a VM first re-creates that VM from the snapshot's
     * metadata, and an ordinary VM, template or control domain has none: {@code VM_REVERT_FAILED [vm, snapshot_of]}
     * ({@code message_forwarding.ml} {@code VM.revert}, {@code Xapi_vm_snapshot.create_vm_from_snapshot}); and
     * {@code VM.power_state_reset} is not marked ({@code xapi_vm.ml}): refused for a control domain, refused with
     * {@code DOMAIN_EXISTS} when xenopsd reports the domain Running, otherwise the VM is reset to Halted (a Paused
     * domain is reported Paused, so a paused VM is reset).
     */
    static List<String> expected(Kind kind, String state, String ref, String message) {
        if (message.equals("revert") && kind != Kind.SNAPSHOT) return List.of("VM_REVERT_FAILED", ref, NULL);
        if (message.equals("power_state_reset")) {
            if (kind == Kind.CONTROL_DOMAIN) return List.of("CANNOT_RESET_CONTROL_DOMAIN", ref);
            if (state.equals(R)) return List.of("DOMAIN_EXISTS", ref);
            return null;
        }
        return checkerError(kind, state, ref, MESSAGES.get(message));
    }

    /** The power state each subject is tested in. */
    static final Map<Kind, List<String>> STATES = new LinkedHashMap<>();

    static {
        STATES.put(Kind.VM, List.of(H, R, P, S));
        STATES.put(Kind.TEMPLATE, List.of(H));
        STATES.put(Kind.DEFAULT_TEMPLATE, List.of(H));
        STATES.put(Kind.SNAPSHOT, List.of(H)); // VM.snapshot always makes a halted snapshot (checkpoint is not bound)
        STATES.put(Kind.CONTROL_DOMAIN, List.of(R));
    }

    /** Cells that fail because of a known bug elsewhere: reported as skipped (with the bug) instead of failing. */
    static final Map<String, String> KNOWN_BUGS = Map.of();

    // ---------------------------------------------------------------------------------------- the host and its VMs

    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static Host thisHost;
    static VmSubjects subjects;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = ConcurrencySupport.login(host);
        thisHost = Types.toHost(host.server.services().hostRef());
        subjects = new VmSubjects(host, c, "table");
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    @TestFactory
    Stream<DynamicTest> everyMessageOnEverySubjectInEveryPowerState() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<Kind, List<String>> e : STATES.entrySet()) {
            for (String state : e.getValue()) {
                for (String message : MESSAGES.keySet()) {
                    String name = e.getKey().label + " " + state + ": VM." + message;
                    tests.add(DynamicTest.dynamicTest(name, () -> cell(name, e.getKey(), state, message)));
                }
            }
        }
        return tests.stream();
    }

    private static void cell(String name, Kind kind, String state, String message) throws Exception {
        String bug = KNOWN_BUGS.get(name);
        Assumptions.assumeTrue(bug == null, bug);
        VM vm = subjects.subject(kind, state);
        String ref = vm.toWireString();
        assertEquals(
                state,
                vm.getPowerState(c).toString().toLowerCase(java.util.Locale.ROOT),
                name + ": the subject's state");
        Set<String> allowedNow = new TreeSet<>(ConcurrencySupport.allowedOperations(host, c, vm));
        assertEquals(allowed(kind, state, ref), allowedNow, name + ": allowed_operations before the call");

        List<String> want = expected(kind, state, ref, message);
        VM[] created = new VM[1];
        List<String> got = ConcurrencySupport.errorOf(c, () -> created[0] = call(vm, message));
        assertEquals(want, got, name + ": outcome (null = success)");
        String op = MESSAGES.get(message);
        if (!IGNORED.contains(op))
            assertEquals(
                    allowedNow.contains(op),
                    got == null,
                    name + ": " + op + " in allowed_operations ⇔ the call succeeded");
        ConcurrencySupport.assertNothingMarked(host);
        if (got == null) restoreAfter(kind, vm, message, created[0]);
    }

    /** Calls {@code message} on {@code vm} through the SDK; returns the VM it made (clone, copy, snapshot), else null. */
    private static VM call(VM vm, String message) throws Exception {
        switch (message) {
            case "start" -> vm.start(c, false, false);
            case "start_on" -> vm.startOn(c, thisHost, false, false);
            case "shutdown" -> vm.shutdown(c);
            case "clean_shutdown" -> vm.cleanShutdown(c);
            case "hard_shutdown" -> vm.hardShutdown(c);
            case "clean_reboot" -> vm.cleanReboot(c);
            case "hard_reboot" -> vm.hardReboot(c);
            case "suspend" -> vm.suspend(c);
            case "resume" -> vm.resume(c, false, false);
            case "resume_on" -> vm.resumeOn(c, thisHost, false, false);
            case "pause" -> vm.pause(c);
            case "unpause" -> vm.unpause(c);
            case "power_state_reset" -> vm.powerStateReset(c);
            case "clone" -> {
                return vm.createClone(c, "clone");
            }
            case "copy" -> {
                return vm.copy(c, "copy", Types.toSR(NULL));
            }
            case "snapshot" -> {
                return vm.snapshot(c, "snapshot");
            }
            case "revert" -> vm.revert(c);
            case "provision" -> vm.provision(c);
            case "destroy" -> vm.destroy(c);
            case "set_is_a_template" -> vm.setIsATemplate(c, true);
            default -> throw new IllegalArgumentException(message);
        }
        return null;
    }

    /**
     * After a successful call: the VM it made is destroyed; a subject the call changed for good (destroyed,
     * provisioned, made a template, reset from a live or suspended state) is discarded so that the next cell makes
     * a fresh one; a plain power change is undone by the next cell's {@link VmSubjects#subject}.
     */
    private static void restoreAfter(Kind kind, VM vm, String message, VM created) throws Exception {
        if (created != null) subjects.discard(created);
        boolean changedForGood = switch (message) {
            case "destroy", "provision", "set_is_a_template" -> true;
            case "power_state_reset" ->
                true; // a paused domain is still in the simulator; a suspended VM keeps its image
            default -> false;
        };
        if (changedForGood) {
            subjects.discard(vm);
            subjects.forget(kind);
        }
    }

    // ---------------------------------------------------------------------------------------- outside the table

    @Test
    void everyMessageOnADestroyedVmIsHandleInvalid() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "table-destroyed");
        String ref = vm.toWireString();
        vm.destroy(c);
        for (String message : MESSAGES.keySet()) {
            List<String> got = ConcurrencySupport.errorOf(c, () -> call(vm, message));
            assertEquals(List.of("HANDLE_INVALID", "VM", ref), got, "VM." + message);
        }
        ConcurrencySupport.assertNothingMarked(host);
    }

    @Test
    void aFirstStartDefaultTemplateCannotBeDestroyedOrStarted() throws Exception {
        VM template = null;
        for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet()) {
            if (e.getValue().isATemplate
                    && "true".equals(e.getValue().otherConfig.get("default_template"))) template = e.getKey();
        }
        assertTrue(template != null, "first start made default templates");
        VM t = template;
        String ref = t.toWireString();
        assertEquals(List.of("VM_IS_TEMPLATE", ref, "destroy"), ConcurrencySupport.errorOf(c, () -> t.destroy(c)));
        assertEquals(
                List.of("VM_IS_TEMPLATE", ref, "start"), ConcurrencySupport.errorOf(c, () -> t.start(c, false, false)));
        assertEquals(
                List.of("VM_BAD_POWER_STATE", ref, "running", "halted"),
                ConcurrencySupport.errorOf(c, () -> t.cleanShutdown(c)));
        assertTrue(subjects.valid(t));
        assertFalse(ConcurrencySupport.allowedOperations(host, c, t).contains("destroy"));
        ConcurrencySupport.assertNothingMarked(host);
    }
}
