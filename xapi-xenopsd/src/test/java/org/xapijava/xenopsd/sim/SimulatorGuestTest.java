package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.failed;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.VmState;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/**
 * What the guest sees and shows, through the client and the socket server: {@code xsdata_state} (the VM's
 * {@code vm-data} written into its xenstore and read back), {@code VM.set_xsdata}, vCPU hot-plug, the balloon
 * moving toward a new memory target, S3 and the shadow multiplier.
 */
class SimulatorGuestTest {

    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    SimFixture f;
    XenopsClient x;

    @BeforeEach
    void start() throws Exception {
        f = new SimFixture(dir, Simulator.Config.persistent(dir.resolve("state")));
        x = f.client;
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** A halted HVM VM of 1 GiB and 2 (of 4) vCPUs with {@code xsdata}, imported. */
    private void define(String vm, Map<String, String> xsdata) {
        Metadata md = SimFixture.metadata(vm, 1L << 30);
        Vm v = md.vm().toBuilder().xsdata(xsdata).vcpuMax(4).vcpus(2).build();
        x.vmImportMetadata("t", Metadata.of(v, md.vbds(), md.vifs()));
    }

    private void run(String vm) {
        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
    }

    private VmState state(String vm) {
        return x.vmStat("t", vm).state();
    }

    /** Reads updates from {@code from} until the VM is reported with a state {@code ok} accepts (long polls). */
    private VmState untilReported(String vm, int from, Predicate<VmState> ok) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int last = from;
        while (System.nanoTime() < deadline) {
            Updates u = x.updatesGet("t", last, 5);
            last = u.nextId();
            if (u.ids().contains(new DynamicId.Vm(vm))) {
                VmState s = state(vm);
                if (ok.test(s)) return s;
            }
        }
        throw new AssertionError("VM " + vm + " never reported as expected: " + state(vm));
    }

    /** The {@code domains} member of the VM's exported metadata (the simulator's domain record). */
    private String domains(String vm) {
        return Metadata.fromJson(x.vmExportMetadata("t", vm)).domains();
    }

    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void vmDataIsWrittenAtStartAndReportedBackWithItsDirectories() {
        String vm = "vm-xsdata";
        define(
                vm,
                map(
                        "vm-data/foo", "bar",
                        "vm-data/net/0/ip", "10.0.0.2",
                        "vm-data", "a directory's own value is not written",
                        "FIST/fail", "1",
                        "attr/os", "not an allowed prefix",
                        "vm-data/bad.key", "not a xenstore path",
                        "vm-data/", "empty component"));
        assertEquals(Map.of(), state(vm).xsdataState(), "a halted VM has no domain");
        ok(x, x.vmStart("t", vm, false));
        Map<String, String> expected = map(
                "FIST", "",
                "FIST/fail", "1",
                "vm-data", "",
                "vm-data/foo", "bar",
                "vm-data/net", "",
                "vm-data/net/0", "",
                "vm-data/net/0/ip", "10.0.0.2");
        assertEquals(expected, state(vm).xsdataState(), "reported from creation on, paused or not");
        ok(x, x.vmUnpause("t", vm));
        assertEquals(expected, state(vm).xsdataState());

        // what xapi writes back into VM.xenstore_data, given again at the next start, gives the same state
        ok(x, x.vmShutdown("t", vm, null));
        define(vm, expected);
        run(vm);
        assertEquals(expected, state(vm).xsdataState());
    }

    @Test
    void aVmWithoutXsdataStillHasItsVmDataDirectory() {
        String vm = "vm-empty";
        define(vm, Map.of());
        run(vm);
        assertEquals(Map.of("vm-data", ""), state(vm).xsdataState());
    }

    @Test
    void setXsdataReplacesBothTreesAndSignalsTheVm() {
        String vm = "vm-set";
        define(vm, map("vm-data/old", "1", "FIST/x", "y"));
        run(vm);
        int last = x.updatesLastId("t");
        ok(x, x.vmSetXsdata("t", vm, map("vm-data/new/k", "v", "other", "ignored")));
        VmState s = untilReported(vm, last, st -> st.xsdataState().containsKey("vm-data/new/k"));
        assertEquals(map("vm-data", "", "vm-data/new", "", "vm-data/new/k", "v"), s.xsdataState());

        // nothing left under vm-data: the directory itself is gone (xenopsd removes the trees before writing)
        ok(x, x.vmSetXsdata("t", vm, Map.of()));
        assertEquals(Map.of(), state(vm).xsdataState());
    }

    @Test
    void setXsdataNeedsALiveDomain() {
        String vm = "vm-halted";
        define(vm, Map.of());
        XenopsError e = failed(x, x.vmSetXsdata("t", vm, Map.of()));
        assertEquals("Does_not_exist", e.code());
        assertEquals(List.of("domain", vm), e.args());
        e = failed(x, x.vmSetXsdata("t", "nobody", Map.of()));
        assertEquals(List.of("VM", "nobody/config"), e.args());
    }

    @Test
    void vmDataSurvivesARestartOfTheSimulatorAndIsRewrittenOnResume() throws Exception {
        String vm = "vm-keep";
        define(vm, map("vm-data/foo", "bar"));
        run(vm);
        ok(x, x.vmSetXsdata("t", vm, map("vm-data/foo", "changed")));
        f.close();
        f = new SimFixture(dir, Simulator.Config.persistent(dir.resolve("state")));
        x = f.client;
        assertEquals(map("vm-data", "", "vm-data/foo", "changed"), state(vm).xsdataState());

        // a resumed domain is a new domain: xenopsd writes the VM's xsdata (as then given) into it again
        Path image = dir.resolve("image");
        ok(x, x.vmSuspend("t", vm, new Disk.Local(image.toString())));
        define(vm, map("vm-data/foo", "from the metadata"));
        ok(x, x.vmResume("t", vm, new Disk.Local(image.toString())));
        assertEquals(
                map("vm-data", "", "vm-data/foo", "from the metadata"),
                state(vm).xsdataState());
    }

    @Test
    void vcpusAreHotPluggedWithinTheMaximum() {
        String vm = "vm-cpu";
        define(vm, Map.of());
        XenopsError e = failed(x, x.vmSetVcpus("t", vm, 3));
        assertEquals(List.of("domain", vm), e.args(), "halted: no domain");
        run(vm);
        assertEquals(2, state(vm).vcpuTarget());
        ok(x, x.vmSetVcpus("t", vm, 4));
        assertEquals(4, state(vm).vcpuTarget());
        ok(x, x.vmSetVcpus("t", vm, 1));
        assertEquals(1, state(vm).vcpuTarget());
        for (int bad : new int[] {0, -1, 5}) {
            e = failed(x, x.vmSetVcpus("t", vm, bad));
            assertEquals("Invalid_vcpus", e.code());
            assertEquals(List.of(4L), e.args(), "names vcpu_max");
        }
        assertEquals(1, state(vm).vcpuTarget());
    }

    @Test
    void theBalloonMovesTowardANewTargetAndTheVmIsReportedWhenItArrives() {
        String vm = "vm-balloon";
        define(vm, Map.of());
        run(vm);
        assertEquals(1L << 30, state(vm).memoryTarget());
        assertEquals(1L << 30, state(vm).memoryActual());

        // without the agent's balloon driver the guest keeps its memory: the target moves, the actual does not
        x.debugTrigger("t", "guest-agent", List.of(vm, "off"));
        ok(x, x.vmSetMemoryDynamicRange("t", vm, 256 * MIB, 512 * MIB));
        VmState s = state(vm);
        assertEquals(512 * MIB, s.memoryTarget());
        assertEquals(1L << 30, s.memoryActual());

        // the driver comes back: the guest balloons down and is reported once it is there
        int last = x.updatesLastId("t");
        x.debugTrigger("t", "guest-agent", List.of(vm, "on"));
        s = untilReported(vm, last, st -> st.memoryActual() == 512 * MIB);
        assertEquals(512 * MIB, s.memoryTarget());

        // and up again
        last = x.updatesLastId("t");
        ok(x, x.vmSetMemoryDynamicRange("t", vm, 768 * MIB, 768 * MIB));
        assertEquals(768 * MIB, state(vm).memoryTarget());
        s = untilReported(vm, last, st -> st.memoryActual() == 768 * MIB);
        assertEquals(768 * MIB, s.memoryTarget());
    }

    @Test
    void s3AndShadowNeedALiveDomain() throws Exception {
        String vm = "vm-s3";
        define(vm, Map.of());
        assertEquals(List.of("domain", vm), failed(x, x.vmS3suspend("t", vm)).args());
        run(vm);
        ok(x, x.vmS3suspend("t", vm));
        assertTrue(domains(vm).contains("\"s3\":true"), "the guest's S3 state is kept with its domain");
        ok(x, x.vmS3resume("t", vm));
        assertTrue(domains(vm).contains("\"s3\":false"));

        ok(x, x.vmSetShadowMultiplier("t", vm, 2.5));
        assertEquals(2.5, state(vm).shadowMultiplierTarget());

        String pv = "vm-pv";
        Metadata md = SimFixture.metadata(pv, 1L << 30);
        Vm v = md.vm().toBuilder()
                .ty(new Vm.Pv(Vm.PvInfo.of(new Vm.Direct("/boot/vmlinuz", "", null))))
                .build();
        x.vmImportMetadata("t", Metadata.of(v, md.vbds(), md.vifs()));
        run(pv);
        XenopsError e = failed(x, x.vmSetShadowMultiplier("t", pv, 2.0));
        assertEquals("Unimplemented", e.code());
        assertEquals(List.of("shadow_multiplier for PV domains"), e.args());
    }
}
