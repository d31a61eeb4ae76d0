package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.failed;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.VbdStat;
import org.xapijava.xenopsd.VifStat;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/** Task.cancel at cancellation points and in simulated durations; rollback; non-cancellable sections. */
class SimulatorCancelTest {

    @TempDir
    Path dir;

    SimFixture f;
    XenopsClient x;

    @BeforeEach
    void start() throws Exception {
        // plugging a disk takes a while, so a start can be caught half way
        f = new SimFixture(dir, Simulator.Config.inMemory().withDelays(Map.of("VBD_plug", 800L)));
        x = f.client;
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Waits (on updates) until the task's progress is above zero, i.e. it is inside its atomics. */
    private void awaitProgress(String task) {
        int last = 0;
        for (; ; ) {
            TaskInfo.State s = x.taskStat("t", task).state();
            if (s instanceof TaskInfo.Pending p && p.progress() > 0) return;
            if (!(s instanceof TaskInfo.Pending)) throw new AssertionError("task ended early: " + s);
            Updates u = x.updatesGet("t", last, 5);
            last = u.nextId();
        }
    }

    @Test
    void cancelledStartRollsBack() {
        String vm = "vm-cancel";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        String task = x.vmStart("t", vm, false);
        awaitProgress(task); // domain created and built, disks being plugged
        assertTrue(x.taskStat("t", task).cancellable());
        x.taskCancel("t", task);
        XenopsError e = failed(x, task);
        assertEquals("Cancelled", e.code());
        assertEquals(List.of(task), e.args());
        // no half-started VM: no domain, nothing plugged or active
        var st = x.vmStat("t", vm).state();
        assertEquals(PowerState.Halted, st.powerState());
        assertEquals(List.of(), st.domids());
        for (VbdStat v : x.vbdList("t", vm)) {
            assertFalse(v.state().plugged(), v.toString());
            assertFalse(v.state().active(), v.toString());
        }
        for (VifStat v : x.vifList("t", vm))
            assertFalse(v.state().plugged() || v.state().active());
        // and it starts normally afterwards
        x.debugTrigger("t", "set-delay", List.of("VBD_plug", "0"));
        ok(x, x.vmStart("t", vm, false));
        assertEquals(PowerState.Paused, x.vmStat("t", vm).state().powerState());
    }

    @Test
    void cancelTriggerCancelsAtTheNthPoint() {
        String vm = "vm-trigger";
        x.debugTrigger("t", "set-delay", List.of("VBD_plug", "0"));
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        x.debugTrigger("t", "set-cancel-trigger", List.of("dbg-to-cancel", "3"));
        String task = x.vmStart("dbg-to-cancel", vm, false);
        XenopsError e = failed(x, task);
        assertEquals("Cancelled", e.code());
        assertEquals(PowerState.Halted, x.vmStat("t", vm).state().powerState());
        // one shot: the next start of that dbg is not cancelled
        ok(x, x.vmStart("dbg-to-cancel", vm, false));
    }

    @Test
    void suspendIsNotCancellableOnceTheDomainIsSaved() {
        String vm = "vm-suspend";
        x.debugTrigger("t", "set-delay", List.of("VBD_plug", "0"));
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        ok(x, x.vmStart("t", vm, false));
        // unplugging after the save takes a while: the task is seen not cancellable then
        x.debugTrigger("t", "set-delay", List.of("VBD_unplug", "300"));
        int last = x.updatesLastId("t");
        String task = x.vmSuspend("t", vm, new org.xapijava.xenopsd.Disk.Vdi("sr/img"));
        for (; ; ) {
            Updates u = x.updatesGet("t", last, 5);
            last = u.nextId();
            if (u.ids().contains(new DynamicId.Task(task))
                    && !x.taskStat("t", task).cancellable()) break;
        }
        x.taskCancel("t", task); // ignored
        ok(x, task);
        assertEquals(PowerState.Suspended, x.vmStat("t", vm).state().powerState());
    }

    @Test
    void cancelWhileQueuedBehindAnotherOperation() {
        String vm = "vm-queued";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        String start = x.vmStart("t", vm, false);
        String unpause = x.vmUnpause("t", vm); // waits in the VM's queue
        x.taskCancel("t", unpause);
        ok(x, start);
        XenopsError e = failed(x, unpause);
        assertEquals(List.of(unpause), e.args());
        assertEquals(PowerState.Paused, x.vmStat("t", vm).state().powerState());
    }

    @Test
    void destroyedTaskIsGoneAndDestroyOnFinish() {
        String vm = "vm-destroy";
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
        String task = x.vmStart("t", vm, false);
        x.taskDestroyOnFinish("t", task);
        // the VM's next operation runs after the start: once it is done, the start task is gone
        ok(x, x.vmUnpause("t", vm));
        XenopsError e = org.junit.jupiter.api.Assertions.assertThrows(XenopsError.class, () -> x.taskStat("t", task));
        assertEquals("Does_not_exist", e.code());
        assertTrue(x.taskList("t").stream().noneMatch(t -> t.id().equals(task)));
    }
}
