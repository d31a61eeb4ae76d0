package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.XenopsClient;

/** Many VMs at once; a restarted simulator finds its running domains again. */
class SimulatorScaleAndRestartTest {

    @TempDir
    Path dir;

    @Test
    void fiftyVmsStartInParallel() throws Exception {
        // every step takes a little time, so the starts really overlap
        Simulator.Config c = Simulator.Config.inMemory().withDelays(Map.of("VM_build", 20L, "VBD_plug", 5L));
        try (SimFixture f = new SimFixture(dir, c);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            XenopsClient x = f.client;
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String vm = "vm-" + i;
                jobs.add(pool.submit(() -> {
                    x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
                    ok(x, x.vmStart("t", vm, false));
                    ok(x, x.vmUnpause("t", vm));
                    return null;
                }));
            }
            for (Future<?> j : jobs) j.get();
            List<VmStat> all = x.vmList("t");
            assertEquals(50, all.size());
            Set<Integer> domids = new HashSet<>();
            for (VmStat s : all) {
                assertEquals(PowerState.Running, s.state().powerState(), s.vm().id());
                domids.add(s.state().domids().get(0));
            }
            assertEquals(50, domids.size(), "distinct domids");
            jobs.clear();
            for (int i = 0; i < 50; i++) {
                String vm = "vm-" + i;
                jobs.add(pool.submit(() -> {
                    ok(x, x.vmShutdown("t", vm, null));
                    return null;
                }));
            }
            for (Future<?> j : jobs) j.get();
            for (VmStat s : x.vmList("t"))
                assertEquals(PowerState.Halted, s.state().powerState());
            assertTrue(x.taskList("t").isEmpty(), "every task was destroyed");
        }
    }

    @Test
    void restartWithTheSameStateDirKeepsRunningDomains() throws Exception {
        Path state = dir.resolve("state");
        Path sockDir = dir.resolve("s");
        java.nio.file.Files.createDirectories(sockDir);
        String running = "vm-running";
        String halted = "vm-halted";
        int domid;
        String firstInstance;
        try (SimFixture f = new SimFixture(sockDir, Simulator.Config.persistent(state))) {
            XenopsClient x = f.client;
            firstInstance = x.query("t").instanceId();
            x.vmImportMetadata("t", SimFixture.metadata(running, 1L << 30));
            x.vmImportMetadata("t", SimFixture.metadata(halted, 1L << 30));
            ok(x, x.vmStart("t", running, false));
            ok(x, x.vmUnpause("t", running));
            domid = x.vmStat("t", running).state().domids().get(0);
        }
        try (SimFixture f = new SimFixture(sockDir, Simulator.Config.persistent(state))) {
            XenopsClient x = f.client;
            assertNotEquals(firstInstance, x.query("t").instanceId());
            VmStat s = x.vmStat("t", running);
            assertEquals(PowerState.Running, s.state().powerState());
            assertEquals(List.of(domid), s.state().domids());
            assertTrue(x.vbdStat("t", new DeviceId(running, "xvda")).state().plugged());
            assertEquals(PowerState.Halted, x.vmStat("t", halted).state().powerState());
            // a fresh daemon reports every object once
            Updates u = x.updatesGet("t", null, 0);
            assertTrue(u.ids().contains(new DynamicId.Vm(running)));
            assertTrue(u.ids().contains(new DynamicId.Vm(halted)));
            // new domains continue after the highest existing one
            ok(x, x.vmStart("t", halted, false));
            assertTrue(x.vmStat("t", halted).state().domids().get(0) > domid);
            ok(x, x.vmShutdown("t", running, 10.0));
            x.vmRemove("t", running);
        }
        try (SimFixture f = new SimFixture(sockDir, Simulator.Config.persistent(state))) {
            assertFalse(f.client.vmExists("t", running));
            assertEquals(PowerState.Paused, f.client.vmStat("t", halted).state().powerState());
        }
        // a fresh state directory is a host that has just booted
        try (SimFixture f = new SimFixture(sockDir, Simulator.Config.persistent(dir.resolve("fresh")))) {
            assertTrue(f.client.vmList("t").isEmpty());
        }
    }
}
