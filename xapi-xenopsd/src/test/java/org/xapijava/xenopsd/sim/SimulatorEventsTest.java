package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.XenopsClient;

/** UPDATES (long poll, de-duplication, barriers, refresh) and guest-initiated events. */
class SimulatorEventsTest {

    @TempDir
    Path dir;

    SimFixture f;
    XenopsClient x;

    @BeforeEach
    void start() throws Exception {
        f = new SimFixture(dir, Simulator.Config.inMemory());
        x = f.client;
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Reads updates after {@code from} until {@code want} has been seen (long polls, never a sleep). */
    private Updates until(int from, DynamicId want) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int last = from;
        while (System.nanoTime() < deadline) {
            Updates u = x.updatesGet("t", last, 5);
            if (u.ids().contains(want)) return u;
            last = u.nextId();
        }
        throw new AssertionError("no update for " + want);
    }

    @Test
    void longPollWakesOnAChangeAndTimesOutEmpty() throws Exception {
        String vm = "vm-poll";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        int last = x.updatesLastId("t");
        // nothing happens: the poll returns empty after its timeout, with the same position
        long t0 = System.nanoTime();
        Updates empty = x.updatesGet("t", last, 1);
        long waited = System.nanoTime() - t0;
        assertTrue(empty.ids().isEmpty() && empty.barriers().isEmpty(), empty.toString());
        assertEquals(last, empty.nextId());
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(900), "waited only " + waited);

        CompletableFuture<Updates> poll = CompletableFuture.supplyAsync(() -> x.updatesGet("t", last, 30));
        Thread.sleep(100); // let the poll block first (the result is right either way)
        x.updatesRefreshVm("t", vm);
        Updates u = poll.get(10, TimeUnit.SECONDS);
        assertTrue(u.ids().contains(new DynamicId.Vm(vm)), u.toString());
        assertTrue(u.nextId() > last);
    }

    @Test
    void idsAreDeduplicatedAndOrderedByLatestChange() {
        String vm = "vm-dedup";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        int last = x.updatesLastId("t");
        x.updatesRefreshVm("t", vm);
        x.updatesRefreshVm("t", vm);
        Updates u = x.updatesGet("t", last, 0);
        long vms = u.ids().stream().filter(i -> i.equals(new DynamicId.Vm(vm))).count();
        assertEquals(1, vms);
        // refresh_vm reports the VM and every device
        assertTrue(u.ids().contains(new DynamicId.Vbd(new DeviceId(vm, "xvda"))));
        assertTrue(u.ids().contains(new DynamicId.Vbd(new DeviceId(vm, "xvdd"))));
        assertTrue(u.ids().contains(new DynamicId.Vif(new DeviceId(vm, "0"))));
        assertEquals(
                new DynamicId.Vif(new DeviceId(vm, "0")), u.ids().get(u.ids().size() - 1));
        assertEquals(x.updatesLastId("t"), u.nextId());
    }

    @Test
    void barriersCarryTheVmsChangesUntilRemoved() {
        String a = "vm-a";
        String b = "vm-b";
        x.vmImportMetadata("t", SimFixture.metadata(a, 1L << 30));
        x.vmImportMetadata("t", SimFixture.metadata(b, 1L << 30));
        int last = x.updatesLastId("t");
        x.updatesRefreshVm("t", a);
        x.updatesRefreshVm("t", b);
        x.updatesInjectBarrier("t", a, 42);
        Updates u = x.updatesGet("t", last, 0);
        assertEquals(1, u.barriers().size());
        Updates.Barrier bar = u.barriers().get(0);
        assertEquals(42, bar.id());
        assertTrue(bar.ids().contains(new DynamicId.Vm(a)));
        assertTrue(bar.ids().stream().allMatch(i -> a.equals(i.vmId())), bar.toString());
        assertEquals(x.updatesLastId("t"), u.nextId());
        // a barrier alone makes an answer
        int after = u.nextId();
        x.updatesInjectBarrier("t", b, 43);
        Updates only = x.updatesGet("t", after, 0);
        assertEquals(
                List.of(43), only.barriers().stream().map(Updates.Barrier::id).toList());
        assertTrue(only.ids().isEmpty());
        x.updatesRemoveBarrier("t", 42);
        x.updatesRemoveBarrier("t", 43);
        Updates again = x.updatesGet("t", last, 0);
        assertTrue(again.barriers().isEmpty(), again.toString());
    }

    @Test
    void taskProgressRisesThroughTheAtomics() {
        String vm = "vm-progress";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        x.debugTrigger("t", "set-delay", List.of("VM_build", "50"));
        x.debugTrigger("t", "set-delay", List.of("VBD_plug", "50"));
        int last = x.updatesLastId("t");
        String task = x.vmStart("t", vm, false);
        List<Double> seen = new ArrayList<>();
        for (; ; ) {
            Updates u = x.updatesGet("t", last, 5);
            last = u.nextId();
            if (!u.ids().contains(new DynamicId.Task(task))) continue;
            TaskInfo.State s = x.taskStat("t", task).state();
            if (s instanceof TaskInfo.Pending p) {
                seen.add(p.progress());
            } else {
                assertTrue(s instanceof TaskInfo.Completed, s.toString());
                break;
            }
        }
        assertTrue(seen.size() >= 2, seen.toString());
        for (int i = 1; i < seen.size(); i++) assertTrue(seen.get(i) >= seen.get(i - 1), seen.toString());
        assertTrue(seen.get(0) > 0 && seen.get(0) < 1, seen.toString());
        x.taskDestroy("t", task);
    }

    @Test
    void guestHaltAppliesOnShutdownAndIsSeenInUpdates() {
        String vm = "vm-halt";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
        int last = x.updatesLastId("t");
        x.debugTrigger("t", "halt", List.of(vm));
        awaitPower(vm, last, PowerState.Halted);
    }

    @Test
    void guestRebootRestartsWithANewDomid() {
        String vm = "vm-reboot";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
        int domid = x.vmStat("t", vm).state().domids().get(0);
        int last = x.updatesLastId("t");
        x.debugTrigger("t", "reboot", List.of(vm));
        int after = awaitPower(vm, last, PowerState.Running, domid);
        assertNotEquals(domid, after);
    }

    @Test
    void guestRebootWithOnRebootDestroyHalts() {
        String vm = "vm-reboot-destroy";
        Metadata md = SimFixture.metadata(vm, 1L << 30);
        Vm v = md.vm().toBuilder().onReboot(List.of(Vm.Action.Shutdown)).build();
        x.vmImportMetadata("t", Metadata.of(v, md.vbds(), md.vifs()));
        ok(x, x.vmStart("t", vm, false));
        int last = x.updatesLastId("t");
        x.debugTrigger("t", "reboot", List.of(vm));
        awaitPower(vm, last, PowerState.Halted);
    }

    @Test
    void crashSoonAfterStartShutsDownInsteadOfRestarting() {
        String vm = "vm-crash";
        Metadata md = SimFixture.metadata(vm, 1L << 30);
        Vm v = md.vm().toBuilder().onCrash(List.of(Vm.Action.Start)).build();
        x.vmImportMetadata("t", Metadata.of(v, md.vbds(), md.vifs()));
        ok(x, x.vmStart("t", vm, false));
        int last = x.updatesLastId("t");
        x.debugTrigger("t", "crash", List.of(vm));
        awaitPower(vm, last, PowerState.Halted);
    }

    private void awaitPower(String vm, int from, PowerState want) {
        awaitPower(vm, from, want, -1);
    }

    /** Follows Vm updates until the VM has the power state (and a domid other than {@code notDomid}). */
    private int awaitPower(String vm, int from, PowerState want, int notDomid) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int last = from;
        while (System.nanoTime() < deadline) {
            Updates u = until(last, new DynamicId.Vm(vm));
            last = u.nextId();
            var st = x.vmStat("t", vm).state();
            if (st.powerState() == want && (st.domids().isEmpty() || st.domids().get(0) != notDomid)) {
                return st.domids().isEmpty() ? -1 : st.domids().get(0);
            }
        }
        throw new AssertionError(vm + " did not become " + want);
    }
}
