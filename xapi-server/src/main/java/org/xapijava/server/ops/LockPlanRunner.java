package org.xapijava.server.ops;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.DbReader;
import org.xapijava.db.Transaction;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.ops.LockPlan.AssertCanBootOn;
import org.xapijava.server.ops.LockPlan.CancelVmOps;
import org.xapijava.server.ops.LockPlan.Check;
import org.xapijava.server.ops.LockPlan.HostNotEvacuating;
import org.xapijava.server.ops.LockPlan.Mark;
import org.xapijava.server.ops.LockPlan.MarkChosenHost;
import org.xapijava.server.ops.LockPlan.MarkSrVdi;
import org.xapijava.server.ops.LockPlan.MarkVbds;
import org.xapijava.server.ops.LockPlan.MarkVifs;
import org.xapijava.server.ops.LockPlan.PbdUnplug;
import org.xapijava.server.ops.LockPlan.Refresh;
import org.xapijava.server.ops.LockPlan.ReserveHost;
import org.xapijava.server.ops.LockPlan.ReserveMigrationDest;
import org.xapijava.server.ops.LockPlan.Step;
import org.xapijava.server.ops.LockPlan.Target;
import org.xapijava.server.ops.LockPlan.VdiHasVbd;
import org.xapijava.server.ops.LockPlan.VdiNotOnRunningVm;
import org.xapijava.server.ops.LockPlan.VmCompatibleWithHost;
import org.xapijava.server.ops.LockPlan.VmPowerState;
import org.xapijava.server.ops.Locks.Retry;
import org.xapijava.server.xenops.BootChecks;
import org.xapijava.server.xenops.HostChooser;
import org.xapijava.server.xenops.Lifecycle;
import org.xapijava.server.xenops.MigrateChecks;

/**
 * Runs the {@link LockPlan} plans around message implementations: prechecks, markings (each undone
 * in reverse order whatever happens), the message, then the refreshes of a successful call.
 * Thread-safe; the markings and waits go through {@link Locks}.
 */
final class LockPlanRunner {
    private static final Logger LOG = LoggerFactory.getLogger(LockPlanRunner.class);
    /** How long one wait for cancelled tasks lasts before checking again (Xapi's event.from timeout). */
    private static final Duration TASK_WAIT_SLICE = Duration.ofSeconds(30);

    private final Locks locks;
    /** The plans whose markings all name operations the datamodel knows (Xapi's newer ones may not), by message. */
    private final Map<String, LockPlan> plans = new ConcurrentHashMap<>();
    /** Steps a module runs before the plan's checks and marks (see {@link Locks#beforeMarking}). */
    private final Map<String, Implementation> preparers = new ConcurrentHashMap<>();

    LockPlanRunner(Locks locks, Datamodel dm) {
        this.locks = locks;
        for (LockPlan f : LockPlan.TABLE.values()) {
            if (dm.message(f.message()) != null && opsKnown(dm, f)) plans.put(f.message(), f);
        }
    }

    /** Whether every operation the plan marks exists in the datamodel. */
    private static boolean opsKnown(Datamodel dm, LockPlan f) {
        for (String[] co : f.markedOps()) {
            String enumName = switch (co[0]) {
                case "VM" -> "vm_operations";
                case "VBD" -> "vbd_operations";
                case "VIF" -> "vif_operations";
                case "VDI" -> "vdi_operations";
                case "SR" -> "storage_operations";
                case "host" -> "host_allowed_operations";
                case "pool" -> "pool_allowed_operations";
                case VMAppliance.XAPI_CLASS -> "vm_appliance_operation";
                case VUSB.XAPI_CLASS -> "vusb_operations";
                default -> throw new IllegalStateException(co[0]);
            };
            if (!dm.enumDef(enumName).contains(co[1])) return false;
        }
        return true;
    }

    /** Whether {@code message} has a lock plan. */
    boolean hasPlan(String message) {
        return plans.containsKey(message);
    }

    /**
     * Runs {@code inner} (this host's implementation, or the call to the host that runs the message) inside the
     * lock plan of the call's message: prechecks, markings, then the refreshes of a successful call, all in one
     * deferring-durability scope. A message without a plan runs {@code inner} as it is.
     */
    Object run(CallContext ctx, List<Object> args, Implementation inner) throws Exception {
        LockPlan f = plans.get(ctx.message().wireName());
        if (f == null) return inner.invoke(ctx, args);
        // an operation's writes (markings, the implementation's, the refreshes) do not wait for durability one by
        // one: the call waits once, at its end, before its answer or error leaves (Database#deferringDurability)
        return locks.db().callDeferringDurability(() -> run(f, inner, ctx, args));
    }

    void beforeMarking(String message, Implementation step) {
        if (preparers.putIfAbsent(message, step) != null)
            throw new IllegalArgumentException(message + ": a step is already registered");
    }

    private Object run(LockPlan f, Implementation inner, CallContext ctx, List<Object> args) throws Exception {
        Implementation prepare = preparers.get(f.message());
        if (prepare != null) prepare.invoke(ctx, args);
        DbReader s = locks.snapshot();
        boolean marked = f.guard().holds(s, args);
        if (marked) for (Check c : f.checks()) precheck(c, s, args);
        Deque<Runnable> undo = new ArrayDeque<>();
        Object result;
        try {
            if (marked && !f.steps().isEmpty()) {
                String key = locks.key(ctx);
                for (Step st : f.steps()) step(st, ctx, key, args, undo);
            }
            result = inner.invoke(ctx, args);
        } finally {
            while (!undo.isEmpty()) {
                try {
                    undo.pop().run();
                } catch (RuntimeException e) {
                    LOG.warn("{}: undoing a marking failed", f.message(), e);
                }
            }
        }
        for (Refresh r : f.after()) refresh(f, r, args);
        return result;
    }

    // ------------------------------------------------------------------ prechecks

    private void precheck(Check c, DbReader r, List<Object> args) {
        switch (c) {
            case HostNotEvacuating h -> {
                String host = (String) args.get(h.arg());
                if (r.isValid(Host.XAPI_CLASS, host)
                        && r.get(host, Host.CURRENT_OPERATIONS).containsValue("evacuate")) {
                    throw new ApiError(ErrorCodes.HOST_EVACUATE_IN_PROGRESS, host);
                }
            }
            case VmPowerState p -> {
                String vm = (String) args.get(p.arg());
                if (!r.isValid(VM.XAPI_CLASS, vm)) throw ApiError.handleInvalid(VM.XAPI_CLASS, vm);
                String actual = r.get(vm, VM.POWER_STATE);
                if (!p.states().contains(actual)) {
                    List<String> expected = p.states().stream()
                            .map(st -> p.lowercase() ? OpNames.lowerState(st) : st)
                            .toList();
                    throw new ApiError(
                            ErrorCodes.VM_BAD_POWER_STATE,
                            vm,
                            String.join(p.separator(), expected),
                            p.lowercase() ? OpNames.lowerState(actual) : actual);
                }
            }
            case VdiNotOnRunningVm v -> {
                String vdi = (String) args.get(v.arg());
                if (!r.isValid(VDI.XAPI_CLASS, vdi)) throw ApiError.handleInvalid("VDI", vdi);
                for (String vbd : r.get(vdi, VDI.VBDS)) {
                    if (!r.isValid(VBD.XAPI_CLASS, vbd)) continue;
                    String vm = r.get(vbd, VBD.VM);
                    if (!r.isValid(VM.XAPI_CLASS, vm)) continue;
                    String actual = r.get(vm, VM.POWER_STATE);
                    if (!actual.equals("Halted")) {
                        throw new ApiError(ErrorCodes.VM_BAD_POWER_STATE, vm, "halted", OpNames.lowerState(actual));
                    }
                }
            }
            case VmCompatibleWithHost v -> {
                String vm = (String) args.get(v.vmArg());
                String host = (String) args.get(v.hostArg());
                if (!r.isValid(VM.XAPI_CLASS, vm)) throw ApiError.handleInvalid("VM", vm);
                if (!r.isValid(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
                if (!forced(args.get(v.optionsArg()))) BootChecks.assertCpuCompatible(r, vm, host);
            }
            case VdiHasVbd v -> {
                String vdi = (String) args.get(v.arg());
                if (!r.isValid(VDI.XAPI_CLASS, vdi) || r.get(vdi, VDI.VBDS).isEmpty()) {
                    throw new ApiError(ErrorCodes.VDI_NEEDS_VM_FOR_MIGRATE, vdi);
                }
            }
        }
    }

    // ------------------------------------------------------------------ markings

    /** The target's ref; null when a derived target (a field of the argument) names nothing. */
    private String target(Target t, DbReader r, List<Object> args) {
        String ref = t.resolve(r, locks.poolRef(), args);
        boolean derived = t.kind() == Target.Kind.FIELD_OF_ARG || t.kind() == Target.Kind.VM_OF_VDI_ARG;
        return derived && Refs.isNull(ref) ? null : ref;
    }

    private void step(Step st, CallContext ctx, String key, List<Object> args, Deque<Runnable> undo) throws Exception {
        DbReader r = locks.snapshot();
        switch (st) {
            case Mark m -> {
                String ref = target(m.target(), r, args);
                if (ref == null) return;
                boolean strict = m.strictUnlessForceOption() < 0 || !forced(args.get(m.strictUnlessForceOption()));
                locks.retrying(ctx, m.retry(), () -> {
                    locks.db().transact(tx -> locks.markIn(tx, key, m.cls(), ref, m.op(), strict));
                    return null;
                });
                undo.push(() -> locks.release(tx -> locks.unmarkIn(tx, key, m.cls(), ref)));
            }
            case MarkSrVdi m -> {
                String sr = m.srOp() == null ? null : target(m.sr(), r, args);
                String vdi = m.vdiOp() == null ? null : target(m.vdi(), r, args);
                if (sr == null && vdi == null) return;
                locks.retrying(ctx, Retry.STANDARD, () -> {
                    locks.db().transact(tx -> {
                        if (sr != null) locks.markIn(tx, key, "SR", sr, m.srOp(), true);
                        if (vdi != null) locks.markIn(tx, key, "VDI", vdi, m.vdiOp(), true);
                    });
                    return null;
                });
                undo.push(() -> locks.release(tx -> {
                    if (sr != null) locks.unmarkIn(tx, key, "SR", sr);
                    if (vdi != null) locks.unmarkIn(tx, key, "VDI", vdi);
                }));
            }
            case MarkVbds m -> {
                String vm = (String) args.get(m.vmArg());
                List<String> vbds = locks.retrying(
                        ctx,
                        Retry.FAIL_QUICKLY,
                        () -> locks.db().call(tx -> {
                            List<String> l = tx.get(vm, VM.VBDS);
                            for (String vbd : l) locks.markIn(tx, key, "VBD", vbd, m.op(), true);
                            return l;
                        }));
                undo.push(() -> locks.release(tx -> {
                    for (String vbd : vbds) locks.unmarkIn(tx, key, "VBD", vbd);
                }));
            }
            case MarkVifs m -> {
                String vm = (String) args.get(m.vmArg());
                List<String> vifs = locks.retrying(
                        ctx,
                        Retry.STANDARD,
                        () -> locks.db().call(tx -> {
                            List<String> l = tx.get(vm, VM.VIFS);
                            for (String vif : l) {
                                ApiError e = tx.isValid(VIF.XAPI_CLASS, vif)
                                        ? locks.allowed().refusal(tx, "VIF", vif, m.op(), true)
                                        : ApiError.handleInvalid("VIF", vif);
                                // Xapi drops each VIF's error and reports the whole: never retried
                                if (e != null)
                                    throw new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "Failed to lock all VIFs");
                                locks.addIn(tx, key, "VIF", vif, m.op());
                            }
                            return l;
                        }));
                undo.push(() -> locks.release(tx -> {
                    for (String vif : vifs) locks.unmarkIn(tx, key, "VIF", vif);
                }));
            }
            case AssertCanBootOn b ->
                BootChecks.assertCanBootHere(r, (String) args.get(b.vmArg()), (String) args.get(b.hostArg()), false);
            case ReserveHost h -> reserveHost(h, key, args, undo);
            case ReserveMigrationDest h -> reserveMigrationDest(h, key, args, undo);
            case MarkChosenHost h -> {
                String host = locks.hostRef();
                locks.retrying(ctx, Retry.STANDARD, () -> {
                    locks.db().transact(tx -> {
                        // loadbalance_host_operation: no possible host is reported as the host being busy
                        if (locks.allowed().refusal(tx, "host", host, h.op(), true) != null) {
                            throw new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, "host", host);
                        }
                        locks.addIn(tx, key, "host", host, h.op());
                    });
                    return null;
                });
                undo.push(() -> locks.release(tx -> locks.unmarkIn(tx, key, "host", host)));
            }
            case PbdUnplug p -> {
                String sr = target(Target.fieldOf(p.arg(), "PBD", "SR"), r, args);
                if (sr == null) return;
                locks.retrying(ctx, Retry.STANDARD, () -> {
                    locks.db().transact(tx -> {
                        // this host is the SR master: no VDI of the SR may be busy
                        for (String vdi : tx.get(sr, SR.VDIS)) {
                            if (!tx.isValid(VDI.XAPI_CLASS, vdi)) continue;
                            Map<String, String> ops = tx.get(vdi, VDI.CURRENT_OPERATIONS);
                            if (!ops.isEmpty()) {
                                Map.Entry<String, String> e =
                                        ops.entrySet().iterator().next();
                                throw new ApiError(
                                        ErrorCodes.OTHER_OPERATION_IN_PROGRESS, "VDI", vdi, e.getValue(), e.getKey());
                            }
                        }
                        locks.markIn(tx, key, "SR", sr, "unplug", true);
                    });
                    return null;
                });
                undo.push(() -> locks.release(tx -> locks.unmarkIn(tx, key, "SR", sr)));
            }
            case CancelVmOps c -> cancelVmOps(c, ctx, args);
        }
    }

    /** OCaml {@code bool_of_string} of the options' {@code force}: exactly "true"; anything else is false. */
    private static boolean forced(Object options) {
        return options instanceof Map<?, ?> m && "true".equals(m.get("force"));
    }

    /**
     * {@code allocate_vm_to_host}: marks the host and sets the VM's
     * scheduled_to_be_resident_on; undone by {@code finally_clear_host_operation} and
     * {@code clear_reservations}.
     */
    private void reserveHost(ReserveHost h, String key, List<Object> args, Deque<Runnable> undo) {
        String vm = (String) args.get(h.vmArg());
        // one transaction: the host choice, its check and the reservation are atomic, as under Xapi's global lock
        String host = locks.db().call(tx -> {
            if (!tx.isValid(VM.XAPI_CLASS, vm)) throw ApiError.handleInvalid("VM", vm);
            if (h.op().equals("vm_start")) Lifecycle.prepareStart(tx, vm); // before the choice, as Xapi
            if (h.host().kind() == Target.Kind.CHOSEN_HOST) {
                String scheduled = tx.get(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON);
                if (!Refs.isNull(scheduled)) return scheduled; // already reserved: no host operation
            }
            String chosen = h.host().kind() == Target.Kind.CHOSEN_HOST
                    ? HostChooser.choose(tx, vm, HostChooser::biasedRandom)
                    : (String) args.get(h.host().arg());
            if (h.host().kind() != Target.Kind.CHOSEN_HOST
                    && (h.op().equals("vm_start") || h.op().equals("vm_resume"))
                    && tx.isValid(Host.XAPI_CLASS, chosen)) {
                // reserve_memory_for_vm of start_on and resume_on: the named host must be able to boot the VM (its
                // CPU not compared), checked on the master before the reservation, as the choice does for a start
                BootChecks.assertCanBootHere(tx, vm, chosen, false);
            }
            ApiError e = locks.allowed().refusal(tx, "host", chosen, h.op(), true);
            if (e != null) throw e;
            locks.addIn(tx, key, "host", chosen, h.op());
            tx.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, chosen);
            return chosen;
        });
        undo.push(() -> locks.release(tx -> {
            locks.unmarkIn(tx, key, "host", host);
            if (tx.isValid(VM.XAPI_CLASS, vm)) tx.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL);
        }));
    }

    /** {@link ReserveMigrationDest}: the destination of a live VM's move within the pool reserved. */
    private void reserveMigrationDest(ReserveMigrationDest h, String key, List<Object> args, Deque<Runnable> undo) {
        String vm = (String) args.get(h.vmArg());
        Object dest = args.get(h.destArg());
        String target = dest instanceof Map<?, ?> m && m.get(MigrateChecks.HOST) instanceof String s ? s : null;
        String host = locks.db().call(tx -> {
            if (!tx.isValid(VM.XAPI_CLASS, vm)) throw ApiError.handleInvalid(VM.XAPI_CLASS, vm);
            String power = tx.get(vm, VM.POWER_STATE);
            boolean live = power.equals("Running") || power.equals("Paused");
            if (!live || target == null || !tx.isValid(Host.XAPI_CLASS, target)) return null;
            ApiError e = locks.allowed().refusal(tx, Host.XAPI_CLASS, target, h.op(), true);
            if (e != null) throw e;
            locks.addIn(tx, key, Host.XAPI_CLASS, target, h.op());
            tx.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, target);
            return target;
        });
        if (host == null) return;
        undo.push(() -> locks.release(tx -> {
            locks.unmarkIn(tx, key, Host.XAPI_CLASS, host);
            if (tx.isValid(VM.XAPI_CLASS, vm)) tx.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL);
        }));
    }

    /**
     * VM.hard_shutdown/hard_reboot: cancels the tasks doing {@code ops} on the VM and waits until none
     * is pending (woken by database changes, not polling), failing with TASK_CANCELLED if the caller's
     * own task is cancelled meanwhile.
     */
    private void cancelVmOps(CancelVmOps c, CallContext ctx, List<Object> args) throws InterruptedException {
        String vm = (String) args.get(c.vmArg());
        DbReader r = locks.snapshot();
        if (!r.isValid(VM.XAPI_CLASS, vm)) return;
        String own = ctx == null ? null : ctx.taskRef();
        List<String> cancelled = new ArrayList<>();
        for (Map.Entry<String, String> e : r.get(vm, VM.CURRENT_OPERATIONS).entrySet()) {
            if (!c.ops().contains(e.getValue())) continue;
            try {
                locks.tasks().cancel(e.getKey(), own);
            } catch (RuntimeException ex) {
                LOG.debug("cancelling task {} for {} failed: {}", e.getKey(), vm, ex.getMessage());
            }
            cancelled.add(e.getKey());
        }
        var db = locks.db();
        while (true) {
            long gen = db.generation();
            if (own != null) locks.tasks().checkCancelled(own);
            DbReader now = db.snapshot();
            if (cancelled.stream().noneMatch(t -> now.exists("task", t) && "pending".equals(now.get(t, Task.STATUS))))
                return;
            db.awaitGeneration(gen, TASK_WAIT_SLICE);
        }
    }

    // ------------------------------------------------------------------ refreshes

    private void refresh(LockPlan f, Refresh r, List<Object> args) {
        try {
            String ref = (String) args.get(r.target().arg());
            locks.db().transact(tx -> refreshIn(tx, r.kind(), ref));
        } catch (RuntimeException e) {
            LOG.warn("{}: refreshing allowed_operations failed", f.message(), e);
        }
    }

    private void refreshIn(Transaction tx, Refresh.Kind kind, String ref) {
        switch (kind) {
            case VM_AND_DEVICES -> {
                if (!tx.isValid(VM.XAPI_CLASS, ref)) return;
                locks.allowed().writeVmDevices(tx, ref);
                locks.allowed().writeAllowed(tx, "VM", ref);
            }
            case VM -> {
                if (tx.isValid(VM.XAPI_CLASS, ref)) locks.allowed().writeAllowed(tx, "VM", ref);
            }
            case VBD_AND_VDI -> locks.allowed().writeVbdAndVdi(tx, ref);
            case HOST -> {
                if (tx.isValid(Host.XAPI_CLASS, ref)) locks.allowed().writeAllowed(tx, "host", ref);
            }
        }
    }
}
