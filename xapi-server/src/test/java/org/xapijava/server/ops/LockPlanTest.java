package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Snapshot;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.ImplicitMessages;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.LockPlan.Mark;
import org.xapijava.server.ops.LockPlan.MarkVbds;
import org.xapijava.server.ops.LockPlan.MarkVifs;
import org.xapijava.server.ops.LockPlan.Refresh;
import org.xapijava.server.ops.LockPlan.ReserveHost;
import org.xapijava.server.ops.Locks.Retry;

/** The lock plans as data, and withPlan running them around bound and implicit messages. */
class LockPlanTest {
    static final long WAIT_S = 20;

    final Fixture f = new Fixture();

    /** What a VM needs for Xapi's boot checks to let it start on the fixture's host (VM.start chooses a host). */
    static final Map<String, Object> BOOTABLE = Map.of(
            "VCPUs_max", 1L,
            "VCPUs_at_startup", 1L,
            "memory_static_min", 128L << 20,
            "memory_dynamic_min", 256L << 20,
            "memory_dynamic_max", 256L << 20,
            "memory_static_max", 256L << 20);

    final Locks locks = f.locks(Fixture.fast());
    final MessageTable table = new MessageTable(Fixture.DM);
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** Runs the call as the dispatcher's forwarding stage does: the bound code (else the generic) inside the plan. */
    Object invoke(CallContext ctx, Object... args) throws Exception {
        Implementation impl = table.entry(ctx.message().wireName()).implementation();
        return locks.withPlan(ctx, List.of(args), impl == null ? new ImplicitMessages() : impl);
    }

    Object invoke(String message, Object... args) throws Exception {
        return invoke(f.call(message), args);
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> current(Snapshot s, String cls, String ref) {
        return (Map<String, String>) s.get(cls, ref, "current_operations");
    }

    @SuppressWarnings("unchecked")
    List<String> allowed(String cls, String ref) {
        return (List<String>) f.get(cls, ref, "allowed_operations");
    }

    // ------------------------------------------------------------------ the table as data

    @Test
    void vmStartAsXapiMarksIt() {
        LockPlan start = LockPlan.TABLE.get("VM.start");
        assertEquals(4, start.steps().size());
        Mark vm = (Mark) start.steps().get(0);
        assertEquals(
                List.of("VM", "start", "STANDARD"),
                List.of(vm.cls(), vm.op(), vm.retry().name()));
        assertEquals("attach", ((MarkVbds) start.steps().get(1)).op());
        assertEquals("attach", ((MarkVifs) start.steps().get(2)).op());
        ReserveHost host = (ReserveHost) start.steps().get(3);
        assertEquals("vm_start", host.op());
        assertEquals(LockPlan.Target.Kind.CHOSEN_HOST, host.host().kind());
        assertEquals(Refresh.Kind.VM_AND_DEVICES, start.after().getFirst().kind());
        ReserveHost resumeOn =
                (ReserveHost) LockPlan.TABLE.get("VM.resume_on").steps().get(2);
        assertEquals(
                List.of("vm_resume", "ARG", "1"),
                List.of(
                        resumeOn.op(),
                        resumeOn.host().kind().name(),
                        "" + resumeOn.host().arg()));
        assertEquals(2, LockPlan.TABLE.get("VM.resume").steps().size() - 1, "resume marks VBDs but not VIFs");
    }

    @Test
    void retryPoliciesAndOperationsAsXapi() {
        assertEquals(
                Retry.FAIL_IMMEDIATELY,
                ((Mark) LockPlan.TABLE.get("VM.call_plugin").steps().getFirst()).retry());
        assertEquals(
                "unplug", ((Mark) LockPlan.TABLE.get("VIF.unplug_force").steps().getFirst()).op());
        assertEquals(
                "unplug_force",
                ((Mark) LockPlan.TABLE.get("VBD.unplug_force").steps().getFirst()).op());
        assertEquals(
                "make_into_template",
                ((Mark) LockPlan.TABLE.get("VM.set_is_a_template").steps().getFirst()).op());
        assertEquals(
                "changing_memory_limits",
                ((Mark) LockPlan.TABLE.get("VM.set_memory").steps().getFirst()).op());
        assertEquals(
                "data_source_op",
                ((Mark) LockPlan.TABLE.get("VM.record_data_source").steps().getFirst()).op());
        assertEquals(2, ((Mark) LockPlan.TABLE.get("VM.pool_migrate").steps().getFirst()).strictUnlessForceOption());
        // Xapi does not mark these
        for (String m : List.of("VM.power_state_reset", "VBD.destroy", "VIF.destroy", "SR.update", "VM.create")) {
            assertNull(LockPlan.TABLE.get(m), m);
        }
        // every message of the table exists in the datamodel
        for (String m : LockPlan.TABLE.keySet()) assertTrue(Fixture.DM.message(m) != null, m);
    }

    // ------------------------------------------------------------------ applying

    @Test
    void vmStartMarksTheVmItsDevicesAndTheHostAndRefreshesAfter() throws Exception {
        String sr = f.sr("ext", List.of());
        String vm = f.vm("Halted", BOOTABLE);
        String vbd = f.vbd(vm, f.vdi(sr, Map.of()), Map.of());
        String vif = f.vif(vm, Map.of());
        AtomicReference<Snapshot> during = new AtomicReference<>();
        table.bind("VM.start", (ctx, a) -> {
            during.set(f.db.snapshot());
            f.db.set("VM", vm, "power_state", "Running");
            return null;
        });
        locks.updateAllowedOperations("VM", vm);
        assertEquals(List.of("attach"), allowed("VBD", vbd));
        CallContext ctx = f.call("VM.start");
        invoke(ctx, vm, false, false);
        Snapshot s = during.get();
        String t = ctx.taskRef();
        assertEquals(Map.of(t, "start"), current(s, "VM", vm));
        assertEquals(Map.of(t, "attach"), current(s, "VBD", vbd));
        assertEquals(Map.of(t, "attach"), current(s, "VIF", vif));
        assertEquals(Map.of(t, "vm_start"), current(s, "host", f.host));
        assertEquals(f.host, s.get("VM", vm, "scheduled_to_be_resident_on"));
        Snapshot after = f.db.snapshot();
        for (String[] o :
                List.of(new String[] {"VM", vm}, new String[] {"VBD", vbd}, new String[] {"VIF", vif}, new String[] {
                    "host", f.host
                })) {
            assertEquals(Map.of(), current(after, o[0], o[1]), o[0]);
        }
        assertEquals(Refs.NULL, after.get("VM", vm, "scheduled_to_be_resident_on"));
        // refreshed for the running VM: the (detached) VBD and VIF may now be plugged
        assertEquals(List.of("attach", "unpause", "plug", "pause"), allowed("VBD", vbd));
        assertEquals(List.of("attach", "plug"), allowed("VIF", vif));
    }

    @Test
    void vifsThatCannotBeMarkedFailTheWholeCall() throws Exception {
        String vm = f.vm("Halted");
        String vif = f.vif(vm, Map.of());
        f.ops("VIF", vif, Map.of("other-task", "attach"));
        table.bind("VM.start", (ctx, a) -> "started");
        ApiError e = assertThrows(ApiError.class, () -> invoke("VM.start", vm, false, false));
        assertEquals(List.of("OPERATION_NOT_ALLOWED", "Failed to lock all VIFs"), e.description());
        assertEquals(Map.of(), current(f.db.snapshot(), "VM", vm), "the VM marking is undone");
        assertEquals(Map.of(), current(f.db.snapshot(), "host", f.host));
    }

    @Test
    void vbdsAreMarkedAllOrNone() throws Exception {
        String sr = f.sr("ext", List.of());
        String vm = f.vm("Halted");
        String good = f.vbd(vm, f.vdi(sr, Map.of()), Map.of());
        String bad = f.vbd(vm, f.vdi(sr, Map.of("managed", false)), Map.of("userdevice", "1"));
        table.bind("VM.start", (ctx, a) -> "started");
        ApiError e = assertThrows(ApiError.class, () -> invoke("VM.start", vm, false, false));
        assertEquals(List.of("VDI_NOT_MANAGED", bad), e.description());
        assertEquals(Map.of(), current(f.db.snapshot(), "VBD", good));
        assertEquals(Map.of(), current(f.db.snapshot(), "VM", vm));
    }

    @Test
    void startOnAnEvacuatingHostIsRefusedFirst() throws Exception {
        String vm = f.vm("Halted");
        f.ops("host", f.host, Map.of("t1", "evacuate"));
        table.bind("VM.start_on", (ctx, a) -> "started");
        ApiError e = assertThrows(ApiError.class, () -> invoke("VM.start_on", vm, f.host, false, false));
        assertEquals(List.of("HOST_EVACUATE_IN_PROGRESS", f.host), e.description());
    }

    @Test
    void implicitMessagesAreWrappedAroundTheirGenericCode() throws Exception {
        String running = f.vm("Running");
        ApiError e = assertThrows(ApiError.class, () -> invoke("VM.destroy", running));
        assertEquals(List.of("VM_BAD_POWER_STATE", running, "halted, suspended", "running"), e.description());
        assertTrue(f.db.snapshot().exists("VM", running));
        String halted = f.vm("Halted");
        invoke("VM.destroy", halted);
        assertFalse(f.db.snapshot().exists("VM", halted));

        ApiError t =
                assertThrows(ApiError.class, () -> invoke(f.callWithoutTask("VM.set_is_a_template"), running, true));
        assertEquals(List.of("VM_BAD_POWER_STATE", running, "halted", "running"), t.description());
        invoke(f.callWithoutTask("VM.set_is_a_template"), running, false); // unmarked, as Xapi
        assertEquals(false, f.get("VM", running, "is_a_template"));

        String h = f.vm("Halted");
        locks.updateAllowedOperations("VM", h);
        assertTrue(allowed("VM", h).contains("start"));
        invoke(f.callWithoutTask("VM.add_to_blocked_operations"), h, "start", "no");
        assertFalse(allowed("VM", h).contains("start"), "refreshed after the blocked_operations change");
    }

    @Test
    void revertMarksTheSnapshotAndItsVm() throws Exception {
        String vm = f.vm("Halted");
        String snap = f.vm("Halted", Map.of("is_a_snapshot", true, "is_a_template", true, "snapshot_of", vm));
        AtomicReference<Snapshot> during = new AtomicReference<>();
        table.bind("VM.revert", (ctx, a) -> {
            during.set(f.db.snapshot());
            return null;
        });
        CallContext ctx = f.call("VM.revert");
        invoke(ctx, snap);
        assertEquals(Map.of(ctx.taskRef(), "revert"), current(during.get(), "VM", snap));
        assertEquals(Map.of(ctx.taskRef(), "reverting"), current(during.get(), "VM", vm));
    }

    @Test
    void vdiOperationsMarkTheSrAndTheVdi() throws Exception {
        String sr = f.sr("ext", List.of("VDI_DELETE", "VDI_CREATE"));
        String vdi = f.vdi(sr, Map.of());
        AtomicReference<Snapshot> during = new AtomicReference<>();
        table.bind("VDI.destroy", (ctx, a) -> {
            during.set(f.db.snapshot());
            return null;
        });
        CallContext ctx = f.call("VDI.destroy");
        invoke(ctx, vdi);
        assertEquals(Map.of(ctx.taskRef(), "vdi_destroy"), current(during.get(), "SR", sr));
        assertEquals(Map.of(ctx.taskRef(), "destroy"), current(during.get(), "VDI", vdi));
        assertEquals(Map.of(), current(f.db.snapshot(), "SR", sr));
        // an attached VDI is refused at once, and the SR is left unmarked
        f.vbd(f.vm("Running"), vdi, Map.of("currently_attached", true));
        ApiError e = assertThrows(ApiError.class, () -> invoke("VDI.destroy", vdi));
        assertEquals(List.of("VDI_IN_USE", vdi, "destroy"), e.description());
        assertEquals(Map.of(), current(f.db.snapshot(), "SR", sr));
        // VDI.create (implicit) marks the SR of its record
        String created = (String) invoke(
                "VDI.create", new HashMap<>(Map.of("SR", sr, "name_label", "new", "type", "user", "virtual_size", 1L)));
        assertTrue(f.db.snapshot().exists("VDI", created));
    }

    @Test
    void blockingPoolOperationsRefuseEachOtherWithoutWaiting() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        table.bind("pool.enable_ha", (ctx, a) -> {
            entered.countDown();
            assertTrue(release.await(WAIT_S, TimeUnit.SECONDS));
            return null;
        });
        table.bind("pool.disable_ha", (ctx, a) -> null);
        Future<Object> enable = pool.submit(() -> invoke("pool.enable_ha", List.of(), Map.of()));
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        ApiError e = assertThrows(ApiError.class, () -> invoke("pool.disable_ha"));
        assertEquals(List.of("HA_ENABLE_IN_PROGRESS"), e.description());
        release.countDown();
        enable.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(Map.of(), current(f.db.snapshot(), "pool", f.pool));
    }

    @Test
    void hardShutdownCancelsACleanShutdownAndWaitsForIt() throws Exception {
        String vm = f.vm("Running");
        CountDownLatch entered = new CountDownLatch(1);
        table.bind("VM.clean_shutdown", (ctx, a) -> {
            CountDownLatch cancelled = new CountDownLatch(1);
            f.tasks.setCancellable(ctx.taskRef(), cancelled::countDown);
            entered.countDown();
            assertTrue(cancelled.await(WAIT_S, TimeUnit.SECONDS));
            ctx.checkCancelled();
            return null;
        });
        table.bind("VM.hard_shutdown", (ctx, a) -> {
            f.db.set("VM", vm, "power_state", "Halted");
            return null;
        });
        CallContext clean = f.call("VM.clean_shutdown");
        Future<Object> cleaning = pool.submit(() -> {
            try {
                return invoke(clean, vm);
            } catch (ApiError e) {
                f.tasks.fail(clean.taskRef(), e, null); // as the dispatcher does for an async call
                throw e;
            }
        });
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        invoke("VM.hard_shutdown", vm);
        assertEquals("cancelled", f.get("task", clean.taskRef(), "status"));
        Exception ee = assertThrows(Exception.class, () -> cleaning.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals("TASK_CANCELLED", ((ApiError) ee.getCause()).code());
        assertEquals("Halted", f.get("VM", vm, "power_state"));
        assertEquals(Map.of(), current(f.db.snapshot(), "VM", vm));
    }

    @Test
    void plansCoverImplicitMessagesAndPlansWithUnknownOperationsAreSkipped() throws Exception {
        assertTrue(locks.hasPlan("VM.start"));
        // VDI.revert marks revert_to/revert_from, absent from this datamodel: it runs unmarked
        assertFalse(locks.hasPlan("VDI.revert"));
        String vdi = f.vdi(f.sr("ext", List.of()), Map.of());
        CallContext ctx = f.call("VDI.revert");
        Object[] seen = new Object[1];
        locks.withPlan(ctx, List.of(vdi), (c, a) -> seen[0] = current(f.db.snapshot(), "VDI", vdi));
        assertEquals(Map.of(), seen[0]);
        // implicit messages Xapi marks have their plans, whoever implements them
        for (String m : List.of("VM.destroy", "PBD.create", "VDI.destroy", "VM.set_blocked_operations")) {
            assertTrue(locks.hasPlan(m), m);
        }
    }

    @Test
    void operationMessages() throws Exception {
        new OperationMessages(f.services.allowed()).bind(table);
        String vm = f.vm("Running");
        CallContext ctx = new CallContext(
                f.services.data(),
                f.services.tasks(),
                Fixture.DM.message("VM.assert_operation_valid"),
                "VM.assert_operation_valid",
                null,
                null,
                null);
        table.entry("VM.assert_operation_valid").implementation().invoke(ctx, List.of(vm, "pause"));
        ApiError e = assertThrows(
                ApiError.class,
                () -> table.entry("VM.assert_operation_valid").implementation().invoke(ctx, List.of(vm, "start")));
        assertEquals(List.of("VM_BAD_POWER_STATE", vm, "halted", "running"), e.description());
        String vif = f.vif(vm, Map.of());
        CallContext up = new CallContext(
                f.services.data(),
                f.services.tasks(),
                Fixture.DM.message("VM.update_allowed_operations"),
                "VM.update_allowed_operations",
                null,
                null,
                null);
        table.entry("VM.update_allowed_operations").implementation().invoke(up, List.of(vm));
        assertTrue(allowed("VM", vm).contains("pause"));
        assertEquals(List.of("attach", "plug"), allowed("VIF", vif), "the VM's devices too");
    }
}
