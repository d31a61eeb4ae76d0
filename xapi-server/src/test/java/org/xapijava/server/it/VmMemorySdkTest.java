package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.server.xenops.MemoryCheck;

/**
 * The memory and vCPU messages of issue 11 with bad input and in the contexts the table ({@link VmMemoryTableSdkTest})
 * does not reach, through the Citrix SDK: settings out of order, a pool without dynamic memory control, nested
 * virtualisation, control domains other than dom0, dom0's command line failing, vCPU counts out of range, a running
 * VM's range needing more than its host has. Each refusal is Xapi's error with its parameters and leaves the VM's
 * record as it was (where Xapi itself writes before it fails, the test says so).
 */
class VmMemorySdkTest {
    static final long MIB = 1024L * 1024;
    static final String VCPU_RULE = "VCPU values must satisfy: 0 < VCPUs_at_startup \u2264 VCPUs_max";
    static final List<String> ORDER = List.of("MEMORY_CONSTRAINT_VIOLATION_ORDER");

    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static Path cmdlineLog;
    static Path cmdlineFails;
    static int made;

    @BeforeAll
    static void start() throws Exception {
        cmdlineLog = dir.resolve("xen-cmdline.log");
        cmdlineFails = dir.resolve("xen-cmdline.fails");
        Path script = dir.resolve("xen-cmdline");
        VmSettingsSdkTest.script(
                script,
                "if [ -e '" + cmdlineFails + "' ]; then echo 'no grub' >&2; exit 1; fi\n" + "echo \"$@\" >> '"
                        + cmdlineLog + "'");
        host = TestHost.start(dir.resolve("host"), "--xen-cmdline-script", script.toString());
        c = ConcurrencySupport.login(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    /** A halted PV VM: static range 128-256 MiB, dynamic range 192-256 MiB, 2 vCPUs at most and 1 at start. */
    static VM newVm() throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "memory-" + (++made));
        vm.setVCPUsMax(c, 2L);
        vm.setMemoryDynamicRange(c, 192 * MIB, 256 * MIB);
        return vm;
    }

    static Map<String, Object> record(VM vm) {
        return host.server.services().db().snapshot().getRecord("VM", vm.toWireString());
    }

    /** The error of {@code call}, having checked that it left the VM's record as it was and nothing marked. */
    static List<String> refused(VM vm, ConcurrencySupport.SdkCall call) throws Exception {
        Map<String, Object> before = record(vm);
        List<String> e = ConcurrencySupport.errorOf(c, call);
        assertEquals(before, record(vm), "a refused call changes nothing");
        ConcurrencySupport.assertNothingMarked(host);
        return e;
    }

    static void db(String cls, String ref, String field, Object value) {
        host.server.services().db().set(cls, ref, field, value);
        if (cls.equals("VM")) host.server.services().allowed().update("VM", ref);
    }

    static VM dom0() throws Exception {
        for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet()) {
            if (e.getValue().isControlDomain) return e.getKey();
        }
        throw new AssertionError("no control domain");
    }

    static List<String> xenCmdlineCalls() throws Exception {
        List<String> calls = Files.exists(cmdlineLog) ? Files.readAllLines(cmdlineLog) : List.of();
        Files.deleteIfExists(cmdlineLog);
        return calls;
    }

    // ---------------------------------------------------------------------------------------- memory

    @Test
    void settingsOutOfOrderAreRefused() throws Exception {
        VM vm = newVm();
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryLimits(c, 300 * MIB, 256 * MIB, 256 * MIB, 256 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 256 * MIB, 200 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 192 * MIB, 512 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemory(c, 64 * MIB)), "below static_min");
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryStaticRange(c, 128 * MIB, 200 * MIB)), "below dynamic_max");
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryStaticRange(c, 300 * MIB, 200 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryStaticMax(c, 128 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryStaticMin(c, 200 * MIB)), "above dynamic_min");
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicRange(c, 100 * MIB, 256 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicRange(c, 200 * MIB, 192 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicRange(c, 192 * MIB, 300 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicMin(c, 300 * MIB)));
        assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicMax(c, 100 * MIB)));
        // Xapi checks the order only: zero is in order
        vm.setMemoryLimits(c, 0L, 256 * MIB, 0L, 256 * MIB);
        Map<String, Object> r = record(vm);
        assertEquals(0L, r.get("memory_static_min"));
        assertEquals(0L, r.get("memory_dynamic_min"));
        assertEquals(0L, r.get("memory_target"));
        // the single setters keep the other end of their range
        vm.setMemoryDynamicMin(c, 64 * MIB);
        vm.setMemoryStaticMin(c, 64 * MIB);
        vm.setMemoryDynamicMax(c, 128 * MIB);
        vm.setMemoryStaticMax(c, 512 * MIB);
        r = record(vm);
        assertEquals(
                List.of(64 * MIB, 64 * MIB, 64 * MIB, 128 * MIB, 512 * MIB),
                List.of(
                        r.get("memory_static_min"),
                        r.get("memory_dynamic_min"),
                        r.get("memory_target"),
                        r.get("memory_dynamic_max"),
                        r.get("memory_static_max")));
        assertEquals(vm.computeMemoryOverhead(c), r.get("memory_overhead"));
        assertEquals(List.of(), xenCmdlineCalls());
    }

    @Test
    void withoutDynamicMemoryControlEveryVmIsPinned() throws Exception {
        VM vm = newVm();
        String pool = host.server.services().poolRef();
        Map<String, String> restrictions = Pool.getAll(c).iterator().next().getRestrictions(c);
        assertEquals("false", restrictions.get("restrict_dmc"), "XCP-ng licenses DMC");
        try {
            for (String flag : List.of("true", "yes")) {
                Map<String, String> r = new HashMap<>(restrictions);
                r.put("restrict_dmc", flag); // not a boolean: Xapi counts the feature as disabled
                db("pool", pool, "restrictions", r);
                assertEquals(
                        List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "DMC disabled"),
                        refused(vm, () -> vm.setMemoryDynamicRange(c, 192 * MIB, 256 * MIB)));
                assertEquals(
                        List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "DMC disabled"),
                        refused(vm, () -> vm.setMemoryStaticMax(c, 512 * MIB)));
            }
            vm.setMemory(c, 512 * MIB);
            assertEquals(512 * MIB, record(vm).get("memory_dynamic_min"));
        } finally {
            db("pool", pool, "restrictions", restrictions);
        }
    }

    @Test
    void nestedVirtualisationPinsTheVm() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        String metrics = (String) record(vm).get("metrics");
        db("VM_metrics", metrics, "nested_virt", true);
        host.server.services().allowed().update("VM", ref);
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "nested virt"),
                refused(vm, () -> vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 192 * MIB, 256 * MIB)));
        // the operation check refuses a nested-virt VM's dynamic range before the body looks
        assertEquals(
                List.of("VM_IS_USING_NESTED_VIRT", ref),
                refused(vm, () -> vm.setMemoryDynamicRange(c, 256 * MIB, 256 * MIB)));
        vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 256 * MIB, 256 * MIB);
        // the metrics decide; the platform key counts only for a VM without a metrics record
        db("VM_metrics", metrics, "nested_virt", false);
        db("VM", ref, "platform", Map.of("nested-virt", "TRUE"));
        vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 192 * MIB, 256 * MIB);
        db("VM", ref, "metrics", "OpaqueRef:NULL");
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "nested virt"),
                refused(vm, () -> vm.setMemoryStaticMax(c, 512 * MIB)));
        db("VM", ref, "platform", Map.of("nested-virt", "0"));
        vm.setMemoryStaticMax(c, 512 * MIB);
    }

    @Test
    void otherControlDomainsStayPinnedAndNeedAReboot() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        db("VM", ref, "is_control_domain", true);
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "control domain"),
                refused(vm, () -> vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 192 * MIB, 256 * MIB)));
        vm.setMemory(c, 256 * MIB);
        vm.setVCPUsAtStartup(c, 2L);
        assertEquals(false, record(vm).get("requires_reboot"), "a halted one starts with its new settings");
        // a running driver domain (made so in the database: nothing here starts one) takes its settings at reboot
        db("VM", ref, "resident_on", host.server.services().hostRef());
        db("VM", ref, "power_state", "Running");
        try {
            vm.setMemoryLimits(c, 128 * MIB, 320 * MIB, 320 * MIB, 320 * MIB);
            assertEquals(320 * MIB, record(vm).get("memory_static_max"));
            assertEquals(true, record(vm).get("requires_reboot"));
            db("VM", ref, "requires_reboot", false);
            vm.setVCPUsMax(c, 4L);
            assertEquals(4L, record(vm).get("VCPUs_max"));
            assertEquals(true, record(vm).get("requires_reboot"));
            db("VM", ref, "requires_reboot", false);
            vm.setVCPUsAtStartup(c, 3L);
            assertEquals(false, record(vm).get("requires_reboot"), "VCPUs_at_startup asks for no reboot");
            assertEquals(List.of(), xenCmdlineCalls(), "only dom0's memory goes on Xen's command line");
        } finally {
            db("VM", ref, "power_state", "Halted");
            db("VM", ref, "resident_on", "OpaqueRef:NULL");
            db("VM", ref, "is_control_domain", false);
        }
    }

    @Test
    void dom0KeepsItsVcpusAndItsMemoryGoesOnXensCommandLine() throws Exception {
        VM vm = dom0();
        Map<String, Object> before = record(vm);
        long mem = (Long) before.get("memory_static_max");
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "set_VCPUs_at_startup is not allowed on dom0"),
                refused(vm, () -> vm.setVCPUsAtStartup(c, 1L)));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0"),
                refused(vm, () -> vm.setVCPUsMax(c, 1L)));
        assertEquals(
                List.of("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "control domain"),
                refused(vm, () -> vm.setMemoryLimits(c, mem, mem, mem / 2, mem)));
        assertEquals(List.of(), xenCmdlineCalls());
        // Xen's command line cannot be changed: Xapi has already written the settings, and asks for no reboot
        Files.writeString(cmdlineFails, "");
        try {
            assertEquals(
                    List.of("INTERNAL_ERROR", "Failed to update dom0 memory"),
                    ConcurrencySupport.errorOf(c, () -> vm.setMemory(c, mem + 64 * MIB)));
            ConcurrencySupport.assertNothingMarked(host);
            Map<String, Object> after = record(vm);
            assertEquals(mem + 64 * MIB, after.get("memory_static_max"));
            assertEquals(false, after.get("requires_reboot"));
            assertFalse(Files.exists(host.dir.resolve("host-requires-reboot")));
        } finally {
            Files.delete(cmdlineFails);
        }
        vm.setMemory(c, mem);
        assertEquals(List.of("--set-xen dom0_mem=" + mem + "B,max:" + mem + "B"), xenCmdlineCalls());
        assertEquals(true, record(vm).get("requires_reboot"));
        assertTrue(Files.exists(host.dir.resolve("host-requires-reboot")));
        db("VM", vm.toWireString(), "requires_reboot", false);
        Files.delete(host.dir.resolve("host-requires-reboot"));
        assertEquals(before, record(vm));
    }

    // ---------------------------------------------------------------------------------------- vCPUs

    @Test
    void vcpuCountsOutOfRangeAreRefused() throws Exception {
        VM vm = newVm();
        assertEquals(List.of("INVALID_VALUE", VCPU_RULE, "0"), refused(vm, () -> vm.setVCPUsMax(c, 0L)));
        assertEquals(List.of("INVALID_VALUE", VCPU_RULE, "-3"), refused(vm, () -> vm.setVCPUsMax(c, -3L)));
        assertEquals(List.of("INVALID_VALUE", VCPU_RULE, "0"), refused(vm, () -> vm.setVCPUsAtStartup(c, 0L)));
        assertEquals(List.of("INVALID_VALUE", VCPU_RULE, "3"), refused(vm, () -> vm.setVCPUsAtStartup(c, 3L)));
        assertEquals(
                List.of("INVALID_VALUE", VCPU_RULE, Long.toString(Long.MIN_VALUE)),
                refused(vm, () -> vm.setVCPUsAtStartup(c, Long.MIN_VALUE)));
        vm.setVCPUsAtStartup(c, 2L);
        assertEquals(
                List.of("INVALID_VALUE", VCPU_RULE, "1"),
                refused(vm, () -> vm.setVCPUsMax(c, 1L)),
                "below VCPUs_at_startup");
        vm.setVCPUsMax(c, 2L);
        // a running VM's vCPUs at start can change (for its next start); its maximum cannot
        vm.setVCPUsAtStartup(c, 1L);
        vm.start(c, false, false);
        try {
            vm.setVCPUsAtStartup(c, 2L);
            assertEquals(2L, record(vm).get("VCPUs_at_startup"));
            assertEquals(List.of("INVALID_VALUE", VCPU_RULE, "3"), refused(vm, () -> vm.setVCPUsAtStartup(c, 3L)));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted", "running"),
                    refused(vm, () -> vm.setVCPUsMax(c, 4L)));
        } finally {
            vm.hardShutdown(c);
        }
    }

    // ---------------------------------------------------------------------------------------- a running VM

    @Test
    void aStartSpecifiesTheDomainTypeAndRecomputesTheOverheadFirst() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        // as Xapi's forwarding layer, before the host is chosen: an unspecified domain type made definite, and an
        // out-of-date overhead recomputed, here one no host could hold, so that a choice made with it would fail.
        // Without disks: with one, the disk's check fails on the unspecified type first (INTERNAL_ERROR), as Xapi's
        // with_vbds_marked does
        db("VM", ref, "domain_type", "unspecified");
        db("VM", ref, "memory_overhead", 1L << 50);
        assertEquals(
                List.of("INTERNAL_ERROR", "unspecified domain type"),
                ConcurrencySupport.errorOf(c, () -> vm.start(c, false, false)));
        for (com.xensource.xenapi.VBD b : vm.getVBDs(c)) b.destroy(c);
        assertEquals(Map.of(), vm.getBiosStrings(c));
        vm.start(c, false, false);
        try {
            // consider_generic_bios_strings: a VM without BIOS strings is made BIOS-generic
            assertEquals(VmSettingsTableSdkTest.GENERIC_BIOS_STRINGS, vm.getBiosStrings(c));
            assertEquals(Types.DomainType.PV, vm.getDomainType(c), "no HVM boot policy: PV");
            assertEquals(vm.computeMemoryOverhead(c), record(vm).get("memory_overhead"));
            assertEquals(6 * MIB, record(vm).get("memory_overhead"));
        } finally {
            vm.hardShutdown(c);
        }
    }

    @Test
    void aRunningVmsRangeMustFitItsHost() throws Exception {
        VM vm = newVm();
        vm.start(c, false, false);
        try {
            String me = host.server.services().hostRef();
            long free =
                    MemoryCheck.hostFreeMemoryBytes(host.server.services().db().snapshot(), me, null);
            long min = 192 * MIB + free + MIB;
            assertEquals(
                    List.of(
                            "HOST_NOT_ENOUGH_FREE_MEMORY",
                            Long.toString((free + MIB) / 1024),
                            Long.toString(free / 1024)),
                    refused(vm, () -> vm.setMemoryDynamicRange(c, min, min)));
            // the increase is reserved before the settings are checked, and given back when they are refused
            assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicRange(c, 300 * MIB, 300 * MIB)));
            assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicMin(c, 300 * MIB)));
            assertEquals(ORDER, refused(vm, () -> vm.setMemoryDynamicMax(c, 128 * MIB)));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted", "running"),
                    refused(vm, () -> vm.setMemoryLimits(c, 128 * MIB, 256 * MIB, 256 * MIB, 256 * MIB)));
        } finally {
            vm.hardShutdown(c);
        }
    }

    @Test
    void aRunningVmsRangeReachesItsDomain() throws Exception {
        VM vm = newVm();
        vm.start(c, false, false);
        try {
            vm.setMemoryDynamicRange(c, 128 * MIB, 224 * MIB);
            Map<String, Object> r = record(vm);
            assertEquals(128 * MIB, r.get("memory_dynamic_min"));
            assertEquals(224 * MIB, r.get("memory_dynamic_max"));
            String uuid = (String) r.get("uuid");
            long target =
                    ConcurrencySupport.xenops(host).vmStat("test", uuid).state().memoryTarget();
            assertTrue(target >= 128 * MIB && target <= 224 * MIB, "the domain's balloon target: " + target);
            assertEquals(target, r.get("memory_target"), "xenopsd's target, which Xapi's event thread writes");
            // a higher minimum is reserved on the host first, then reaches the domain
            vm.setMemoryDynamicMin(c, 224 * MIB);
            assertEquals(224 * MIB, record(vm).get("memory_dynamic_min"));
            assertEquals(224 * MIB, record(vm).get("memory_target"));
            ConcurrencySupport.assertNothingMarked(host);
        } finally {
            vm.hardShutdown(c);
        }
    }

    // ---------------------------------------------------------------------------------------- arithmetic

    @Test
    void overheadAndMaximum() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        // PV, 256 MiB, 2 vCPUs: 1 extra MiB, 4 MiB of shadow (512 + 512 pages), 1 MiB for the vCPUs
        assertEquals(6 * MIB, vm.computeMemoryOverhead(c));
        vm.setDomainType(c, Types.DomainType.HVM);
        vm.setHVMShadowMultiplier(c, 2.0);
        assertEquals(1 + 1 + 8 + 1, vm.computeMemoryOverhead(c) / MIB);
        assertEquals(vm.computeMemoryOverhead(c), record(vm).get("memory_overhead"));
        // approximate: room for 64 vCPUs
        assertTrue(vm.maximiseMemory(c, 4096 * MIB, true) < vm.maximiseMemory(c, 4096 * MIB, false));
        assertEquals(
                List.of(
                        "INTERNAL_ERROR",
                        "File \"ocaml/xapi/helpers.ml\", line 1425, characters 2-8: Assertion failed"),
                refused(vm, () -> vm.maximiseMemory(c, -1L, false)));
        db("VM", ref, "domain_type", "unspecified");
        assertEquals(
                List.of("INTERNAL_ERROR", "unspecified domain type"), refused(vm, () -> vm.computeMemoryOverhead(c)));
        assertEquals(
                List.of("INTERNAL_ERROR", "unspecified domain type"),
                refused(vm, () -> vm.maximiseMemory(c, 4096 * MIB, false)));
        assertEquals(
                List.of("HANDLE_INVALID", "VM", ref + "x"),
                ConcurrencySupport.errorOf(c, () -> Types.toVM(ref + "x").computeMemoryOverhead(c)));
    }
}
