package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.server.it.OperationTableSdkTest.Kind;
import org.xapijava.server.it.VmTable.Call;
import org.xapijava.server.it.VmTable.Effect;
import org.xapijava.server.it.VmTable.Expect;
import org.xapijava.server.it.VmTable.Msg;

/**
 * The memory and vCPU messages of issue 11 through the Citrix SDK, on an ordinary VM in each power state reached
 * through real operations (Halted, Running, Paused, Suspended), on a template, a snapshot and the control domain
 * (dom0, running). Each cell either succeeds, and then its effect is checked and undone, or fails with exactly Xapi's
 * error while the VM's whole record stays as it was and nothing is left marked.
 *
 * <p>Where Xapi marks an operation ({@code message_forwarding.ml}: {@code changing_memory_limits},
 * {@code changing_static_range}, {@code changing_dynamic_range}, {@code changing_VCPUs}, {@code changing_VCPUs_live})
 * the expected refusal is the operation table's ({@link OperationTableSdkTest#checkerError}); the rest is written
 * here as data from {@code xapi_vm.ml}: dom0's memory must stay pinned at its static maximum ({@code
 * MEMORY_CONSTRAINT_VIOLATION_MAXPIN ["control domain"]}), goes on Xen's command line (the host's
 * {@code xen-cmdline-script}, a recording shell script here) and leaves dom0 {@code requires_reboot};
 * {@code set_VCPUs_at_startup} marks nothing and refuses only dom0; {@code add_to_VCPUs_params_live} has no
 * implementation behind its check. The subjects have 2 vCPUs at most, 1 at start, and a dynamic range of 192-256 MiB
 * within a static range of 128-256 MiB.
 */
class VmMemoryTableSdkTest {
    static final String H = OperationTableSdkTest.H;
    static final String P = OperationTableSdkTest.P;
    static final String S = OperationTableSdkTest.S;
    static final String R = OperationTableSdkTest.R;
    static final long MIB = 1024L * 1024;

    // ---------------------------------------------------------------------------------------- the host

    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static Path cmdlineLog;
    static VmTable table;

    // ---------------------------------------------------------------------------------------- the messages

    static final List<Msg> MESSAGES = new ArrayList<>();

    static final List<String> MEMORY = List.of(
            "memory_static_min",
            "memory_dynamic_min",
            "memory_target",
            "memory_dynamic_max",
            "memory_static_max",
            "memory_overhead",
            "requires_reboot");

    /** Operations {@code record_util.ml} has no name for: Xapi prints them {@code (unknown operation)}. */
    static final List<String> UNNAMED = List.of("changing_memory_limits", "changing_VCPUs");

    static Expect checker(String op) {
        return checker(op, s -> null);
    }

    /** The operation table's answer, else {@code then}'s. */
    static Expect checker(String op, Expect then) {
        return s -> {
            List<String> e = OperationTableSdkTest.checkerError(s.kind(), s.state(), s.ref(), op);
            if (e == null) return then.of(s);
            return e.stream()
                    .map(p -> p.equals(op) && UNNAMED.contains(op) ? "(unknown operation)" : p)
                    .toList();
        };
    }

    static final List<String> MAXPIN_CONTROL_DOMAIN = List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "control domain");

    /**
     * The dynamic setters unpin dom0 (whose settings are all at its static maximum), which it refuses; a running VM's
     * new range reaches its domain through xenopsd.
     */
    static final Expect DYNAMIC_RANGE =
            checker("changing_dynamic_range", s -> s.kind() == Kind.CONTROL_DOMAIN ? MAXPIN_CONTROL_DOMAIN : null);

    /**
     * The five settings after a successful call: the given ones, the others as before; the overhead follows the static
     * maximum and vCPUs (Xapi's {@code compute_memory_overhead} agrees); dom0's memory went on Xen's command line and
     * dom0 needs a reboot.
     */
    static Effect memory(long smin, long dmin, long dmax, long smax, boolean staticChange) {
        return (s, r, after) -> {
            assertEquals(smin, after.get("memory_static_min"), "static_min");
            assertEquals(dmin, after.get("memory_dynamic_min"), "dynamic_min");
            assertEquals(dmin, after.get("memory_target"), "target follows dynamic_min");
            assertEquals(dmax, after.get("memory_dynamic_max"), "dynamic_max");
            assertEquals(smax, after.get("memory_static_max"), "static_max");
            assertEquals(s.vm().computeMemoryOverhead(c), after.get("memory_overhead"), "overhead");
            boolean dom0 = s.kind() == Kind.CONTROL_DOMAIN;
            assertEquals(dom0 && staticChange, after.get("requires_reboot"), "requires_reboot");
            List<String> calls = Files.exists(cmdlineLog) ? Files.readAllLines(cmdlineLog) : List.of();
            if (dom0 && staticChange) {
                assertEquals(List.of("--set-xen dom0_mem=" + smax + "B,max:" + smax + "B"), calls);
                assertTrue(Files.exists(host.dir.resolve("host-requires-reboot")), "the host requires a reboot");
            } else {
                assertEquals(List.of(), calls, "xen-cmdline called");
            }
            Files.deleteIfExists(cmdlineLog);
        };
    }

    static final Effect NOTHING = (s, result, after) -> assertEquals(s.before(), after, "record changed");

    static void msg(String name, Call call, Expect expect, Effect effect, List<String> restore) {
        MESSAGES.add(new Msg(name, call, expect, effect, restore));
    }

    static {
        msg(
                "set_memory",
                s -> {
                    s.vm().setMemory(c, s.num("memory_static_max") + 64 * MIB);
                    return null;
                },
                checker("changing_memory_limits"),
                (s, r, after) -> {
                    long v = s.num("memory_static_max") + 64 * MIB;
                    memory(s.num("memory_static_min"), v, v, v, true).check(s, r, after);
                },
                MEMORY);
        msg(
                "set_memory_limits",
                s -> {
                    long v = s.num("memory_static_max") + 64 * MIB;
                    s.vm().setMemoryLimits(c, s.num("memory_static_min"), v, v, v);
                    return null;
                },
                checker("changing_memory_limits"),
                (s, r, after) -> {
                    long v = s.num("memory_static_max") + 64 * MIB;
                    memory(s.num("memory_static_min"), v, v, v, true).check(s, r, after);
                },
                MEMORY);
        msg(
                "set_memory_static_range",
                s -> {
                    s.vm().setMemoryStaticRange(c, s.num("memory_static_min"), s.num("memory_static_max") + 64 * MIB);
                    return null;
                },
                checker("changing_static_range", s -> s.kind() == Kind.CONTROL_DOMAIN ? MAXPIN_CONTROL_DOMAIN : null),
                (s, r, after) -> memory(
                                s.num("memory_static_min"),
                                s.num("memory_dynamic_min"),
                                s.num("memory_dynamic_max"),
                                s.num("memory_static_max") + 64 * MIB,
                                true)
                        .check(s, r, after),
                MEMORY);
        msg(
                "set_memory_static_max",
                s -> {
                    s.vm().setMemoryStaticMax(c, s.num("memory_static_max") + 64 * MIB);
                    return null;
                },
                checker("changing_static_range", s -> s.kind() == Kind.CONTROL_DOMAIN ? MAXPIN_CONTROL_DOMAIN : null),
                (s, r, after) -> memory(
                                s.num("memory_static_min"),
                                s.num("memory_dynamic_min"),
                                s.num("memory_dynamic_max"),
                                s.num("memory_static_max") + 64 * MIB,
                                true)
                        .check(s, r, after),
                MEMORY);
        msg(
                "set_memory_static_min",
                s -> {
                    s.vm().setMemoryStaticMin(c, s.num("memory_dynamic_min"));
                    return null;
                },
                checker("changing_static_range"),
                (s, r, after) -> memory(
                                s.num("memory_dynamic_min"),
                                s.num("memory_dynamic_min"),
                                s.num("memory_dynamic_max"),
                                s.num("memory_static_max"),
                                true)
                        .check(s, r, after),
                MEMORY);
        msg(
                "set_memory_dynamic_range",
                s -> {
                    s.vm().setMemoryDynamicRange(
                                    c, s.num("memory_dynamic_min") - 64 * MIB, s.num("memory_dynamic_max"));
                    return null;
                },
                DYNAMIC_RANGE,
                (s, r, after) -> memory(
                                s.num("memory_static_min"),
                                s.num("memory_dynamic_min") - 64 * MIB,
                                s.num("memory_dynamic_max"),
                                s.num("memory_static_max"),
                                false)
                        .check(s, r, after),
                MEMORY);
        msg(
                "set_memory_dynamic_min",
                s -> {
                    s.vm().setMemoryDynamicMin(c, s.num("memory_dynamic_min") - 64 * MIB);
                    return null;
                },
                DYNAMIC_RANGE,
                (s, r, after) -> memory(
                                s.num("memory_static_min"),
                                s.num("memory_dynamic_min") - 64 * MIB,
                                s.num("memory_dynamic_max"),
                                s.num("memory_static_max"),
                                false)
                        .check(s, r, after),
                MEMORY);
        msg(
                "set_memory_dynamic_max",
                s -> {
                    s.vm().setMemoryDynamicMax(c, s.num("memory_dynamic_max") - 64 * MIB);
                    return null;
                },
                DYNAMIC_RANGE,
                (s, r, after) -> memory(
                                s.num("memory_static_min"),
                                s.num("memory_dynamic_min"),
                                s.num("memory_dynamic_max") - 64 * MIB,
                                s.num("memory_static_max"),
                                false)
                        .check(s, r, after),
                MEMORY);
        msg(
                "set_VCPUs_max",
                s -> {
                    s.vm().setVCPUsMax(c, s.num("VCPUs_max") + 1);
                    return null;
                },
                checker("changing_VCPUs"),
                (s, r, after) -> {
                    assertEquals(s.num("VCPUs_max") + 1, after.get("VCPUs_max"));
                    assertEquals(s.vm().computeMemoryOverhead(c), after.get("memory_overhead"));
                    assertTrue((Long) after.get("memory_overhead") > s.num("memory_overhead"), "256 more shadow pages");
                },
                List.of("VCPUs_max", "memory_overhead"));
        msg(
                "set_VCPUs_at_startup",
                s -> {
                    s.vm().setVCPUsAtStartup(c, s.num("VCPUs_max"));
                    return null;
                },
                s -> s.kind() == Kind.CONTROL_DOMAIN
                        ? List.of("OPERATION_NOT_ALLOWED", "set_VCPUs_at_startup is not allowed on dom0")
                        : null,
                (s, r, after) -> {
                    assertEquals(s.num("VCPUs_max"), after.get("VCPUs_at_startup"));
                    assertEquals(s.num("memory_overhead"), after.get("memory_overhead"), "follows VCPUs_max only");
                },
                List.of("VCPUs_at_startup"));
        msg("compute_memory_overhead", s -> s.vm().computeMemoryOverhead(c), s -> null, (s, r, after) -> {
            assertEquals(s.num("memory_overhead"), r, "the VM's own overhead");
            assertEquals(s.before(), after);
        });
        msg("maximise_memory", s -> s.vm().maximiseMemory(c, 1024 * MIB, false), s -> null, (s, r, after) -> {
            // a 2-vCPU PV guest: 1012 MiB + 1 extra + 10 shadow + 1 for the vCPUs; dom0 has the host's vCPUs
            if (s.kind() != Kind.CONTROL_DOMAIN) assertEquals(1012 * MIB, r);
            else assertTrue((Long) r <= 1013 * MIB && (Long) r % MIB == 0, "rounded to MiB: " + r);
            assertEquals(s.before(), after);
        });
        msg(
                "add_to_VCPUs_params_live",
                s -> {
                    s.vm().addToVCPUsParamsLive(c, "weight", "512");
                    return null;
                },
                checker("changing_VCPUs_live", s -> List.of("NOT_IMPLEMENTED", "add_to_VCPUs_params_live")),
                NOTHING);
    }

    static void msg(String name, Call call, Expect expect, Effect effect) {
        msg(name, call, expect, effect, List.of());
    }

    /** The power state each subject is tested in. */
    static final Map<Kind, List<String>> STATES = new LinkedHashMap<>();

    static {
        STATES.put(Kind.VM, List.of(H, R, P, S));
        STATES.put(Kind.TEMPLATE, List.of(H));
        STATES.put(Kind.SNAPSHOT, List.of(H));
        STATES.put(Kind.CONTROL_DOMAIN, List.of(R));
    }

    @BeforeAll
    static void start() throws Exception {
        cmdlineLog = dir.resolve("xen-cmdline.log");
        Path script = dir.resolve("xen-cmdline");
        VmSettingsSdkTest.script(script, "echo \"$@\" >> '" + cmdlineLog + "'");
        host = TestHost.start(dir.resolve("host"), "--xen-cmdline-script", script.toString());
        c = ConcurrencySupport.login(host);
        table = new VmTable(
                host, c, new VmSubjects(host, c, "memory", VmMemoryTableSdkTest::newVm), new VmTable.Hooks() {
                    @Override
                    public void refused(VmTable.Subject s) {
                        assertEquals(
                                false,
                                Files.exists(cmdlineLog),
                                s.kind().label + " " + s.state() + ": xen-cmdline called");
                    }

                    @Override
                    public void restored(VmTable.Subject s) throws Exception {
                        Files.deleteIfExists(host.dir.resolve("host-requires-reboot"));
                    }
                });
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    @TestFactory
    Stream<DynamicTest> everyMessageOnEverySubjectInEveryPowerState() {
        return table.tests(STATES, MESSAGES);
    }

    // ---------------------------------------------------------------------------------------- subjects

    /** A halted PV VM with 2 vCPUs (1 at start) and a dynamic range of 192-256 MiB, set through the API. */
    private static VM newVm(String name) throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, name);
        vm.setVCPUsMax(c, 2L);
        vm.setMemoryDynamicRange(c, 192 * MIB, 256 * MIB);
        return vm;
    }
}
