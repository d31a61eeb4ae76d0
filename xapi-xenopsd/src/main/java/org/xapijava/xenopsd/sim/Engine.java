package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.XenopsError;

/**
 * xenopsd's generic engine ({@code ocaml/xenopsd/lib/xenops_server.ml}): operations queued per VM, run as their
 * atomic steps, with progress, cancellation and the clean-up after a failure.
 *
 * <p><b>Queues.</b> Every mutating call creates a task and queues an {@link Operation} on the VM's queue
 * ({@link WorkQueues}: one VM's operations run in order, different VMs in parallel on a fixed number of virtual
 * threads); {@link #queueOperation} returns at once, {@link #queueOperationAndWait} waits for the task,
 * {@link #immediateOperation} runs on the caller's thread under a task nobody can see. A backend event (a guest
 * shutting itself down, an action request) queues a {@code VM_check_state} ({@link #backendVmEvent}).
 *
 * <p><b>Steps.</b> An operation is the list of atomic steps {@link Planner} builds. Each step is a cancellation
 * point and then takes its simulated duration ({@link StepDelays}), during which {@code Task.cancel} also takes
 * effect; then its effect on {@link Domains} or {@link Devices}. Progress goes up after each top-level step, with
 * a {@code Task} update. A failed or cancelled operation runs xenopsd's clean-up ({@code VM_check_state}): a
 * domain that is not yet survivable is destroyed and its devices unplugged, so a cancelled start leaves the VM
 * Halted. Suspend becomes non-cancellable when the domain is saved.
 *
 * <p>Thread-safe: holds no lock of its own; the state it changes is guarded by {@link VmTable}'s lock, and no lock
 * is held across a step's duration or a wait.
 */
final class Engine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Engine.class.getName());

    private final VmTable vms;
    private final Tasks tasks;
    private final Planner planner;
    private final Domains domains;
    private final Devices devices;
    private final MetadataImport metadata;
    private final StepDelays delays;
    private final VbdStorage storage;
    private final WorkQueues queues;
    private final Migrations migrations;
    /** VMs in the middle of {@code VM_reboot}: {@code VM.stat} reports them Running throughout. */
    private final Set<String> rebooting = ConcurrentHashMap.newKeySet();

    private volatile boolean closed;

    Engine(
            VmTable vms,
            Tasks tasks,
            Domains domains,
            Devices devices,
            MetadataImport metadata,
            StepDelays delays,
            VbdStorage storage,
            int workers,
            java.nio.file.Path poolBundle) {
        this.vms = vms;
        this.tasks = tasks;
        this.planner = new Planner(vms);
        this.domains = domains;
        this.devices = devices;
        this.metadata = metadata;
        this.delays = delays;
        this.storage = storage;
        this.queues = new WorkQueues(workers, "xenopsd-sim");
        this.migrations = new Migrations(vms, domains, planner, metadata, storage, this::performAtomics, poolBundle);
    }

    /** Live migration, sending and receiving. */
    Migrations migrations() {
        return migrations;
    }

    /** Stops the workers; queued operations are dropped and no more are accepted. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        queues.stop();
    }

    /** Whether the VM is being rebooted ({@code VM.stat} then says Running whatever the domain's state). */
    boolean rebooting(String vmId) {
        return rebooting.contains(vmId);
    }

    /** One queued operation with its task. */
    private final class Work implements WorkQueues.Item {
        final Operation op;
        final SimTask task;

        Work(Operation op, SimTask task) {
            this.op = op;
            this.task = task;
        }

        @Override
        public void run() {
            tasks.run(task, () -> {
                perform(op, task);
                return null;
            });
        }

        @Override
        public boolean duplicateOf(WorkQueues.Item other) {
            return op.isCheck() && other instanceof Work w && w.op.equals(op);
        }
    }

    /** {@code queue_operation}: returns the new task at once. */
    SimTask queueOperation(String dbg, Operation op) {
        if (closed) throw XenopsError.internalError("xenopsd simulator is shutting down");
        SimTask t = tasks.create(dbg);
        if (!queues.push(op.vm(), new Work(op, t))) {
            tasks.destroy(t.id); // xenopsd drops a check already waiting; its task would never run
        }
        return t;
    }

    /** {@code queue_operation_and_wait}: the task, finished (xenopsd waits up to 20 minutes). */
    SimTask queueOperationAndWait(String dbg, Operation op) {
        SimTask t = queueOperation(dbg, op);
        try {
            t.done.get(1200, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            t.cancel();
            throw XenopsError.cancelled(t.id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw XenopsError.internalError("interrupted");
        } catch (ExecutionException e) {
            throw XenopsError.internalError(String.valueOf(e.getCause()));
        }
        return t;
    }

    /** {@code immediate_operation}: runs now on this thread under a task nobody can see; rethrows its error. */
    void immediateOperation(String dbg, Operation op) {
        SimTask t = tasks.create(dbg);
        tasks.destroy(t.id);
        tasks.run(t, () -> {
            perform(op, t);
            return null;
        });
        if (t.state() instanceof TaskInfo.Failed f) throw f.toError();
    }

    /** A backend event: the generic engine reacts with a check of the VM on its queue (xenopsd's event thread). */
    void backendVmEvent(String vmId) {
        if (closed) return;
        SimTask t = queueOperation("events", new Operation.VmCheckState(vmId));
        tasks.destroyIfPresent(t.id);
    }

    /** {@code verify_power_state}. */
    private void verifyPowerState(Operation op) {
        switch (op) {
            case Operation.VmStart s -> expect(s.vm(), PowerState.Halted);
            case Operation.VmReboot r -> expect(r.vm(), PowerState.Running, PowerState.Paused);
            case Operation.VmResume r -> expect(r.vm(), PowerState.Suspended, PowerState.Halted);
            case Operation.VmMigrate m -> expect(m.vm(), PowerState.Running, PowerState.Paused);
            case Operation.VmReceiveMemory r -> expect(r.vm(), PowerState.Halted);
            case Operation.VmReceiveMemoryComplete r -> expect(r.vm(), PowerState.Paused);
            default -> {}
        }
    }

    private void expect(String vmId, PowerState... allowed) {
        PowerState p = vms.powerState(vmId);
        for (PowerState a : allowed) if (a == p) return;
        throw XenopsError.badPowerState(p, allowed[0]);
    }

    /** {@code perform}: checks, runs, and on failure runs the clean-up before rethrowing. */
    private void perform(Operation op, SimTask t) {
        verifyPowerState(op);
        try {
            performExn(op, t);
        } catch (RuntimeException e) {
            try {
                cleanupAfterFailure(op, t);
            } catch (RuntimeException c) {
                LOG.log(System.Logger.Level.WARNING, "clean-up after " + op + " failed: " + c);
            }
            throw e;
        }
    }

    /** {@code trigger_cleanup_after_failure}. */
    private void cleanupAfterFailure(Operation op, SimTask t) {
        switch (op) {
            case Operation.VmCheckState c -> {}
            case Operation.VbdCheckState c -> {}
            case Operation.VifCheckState c -> {}
            case Operation.VbdHotplug h -> immediateOperation(t.dbg, new Operation.VbdCheckState(h.id()));
            case Operation.VbdHotunplug h -> immediateOperation(t.dbg, new Operation.VbdCheckState(h.id()));
            case Operation.VifHotplug h -> immediateOperation(t.dbg, new Operation.VifCheckState(h.id()));
            case Operation.VifHotunplug h -> immediateOperation(t.dbg, new Operation.VifCheckState(h.id()));
            case Operation.AtomicOp a -> cleanupAfterFailedAtom(a.atomic(), t);
            default -> immediateOperation(t.dbg, new Operation.VmCheckState(op.vm()));
        }
    }

    private void cleanupAfterFailedAtom(Atomic a, SimTask t) {
        switch (a) {
            case Atomic.VbdSetActive x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdEpochBegin x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdEpochEnd x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdAttach x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdPlug x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdUnplug x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdInsert x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdEject x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VifSetActive x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifPlug x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifUnplug x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifMove x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifSetLockingMode x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifSetIpv4Configuration x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifSetIpv6Configuration x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.BestEffort b -> cleanupAfterFailedAtom(b.atom(), t);
            case Atomic.Parallel p -> {
                for (Atomic x : p.atoms()) cleanupAfterFailedAtom(x, t);
            }
            case Atomic.Serial s -> {
                for (Atomic x : s.atoms()) cleanupAfterFailedAtom(x, t);
            }
            case Atomic.VmImportMetadata x -> {}
            default -> immediateOperation(t.dbg, new Operation.VmCheckState(vmOf(a)));
        }
    }

    private static String vmOf(Atomic a) {
        return switch (a) {
            case Atomic.VmHookScript x -> x.vm();
            case Atomic.VmCreate x -> x.vm();
            case Atomic.VmBuild x -> x.vm();
            case Atomic.VmCreateDeviceModel x -> x.vm();
            case Atomic.VmDestroyDeviceModel x -> x.vm();
            case Atomic.VmDestroy x -> x.vm();
            case Atomic.VmPause x -> x.vm();
            case Atomic.VmUnpause x -> x.vm();
            case Atomic.VmSetDomainActionRequest x -> x.vm();
            case Atomic.VmShutdownDomain x -> x.vm();
            case Atomic.VmSave x -> x.vm();
            case Atomic.VmRestore x -> x.vm();
            case Atomic.VmRemove x -> x.vm();
            case Atomic.VmImportMetadata x -> x.vm();
            case Atomic.VmDelay x -> x.vm();
            case Atomic.VmSetXsdata x -> x.vm();
            case Atomic.VmSetVcpus x -> x.vm();
            case Atomic.VmSetShadowMultiplier x -> x.vm();
            case Atomic.VmSetMemoryDynamicRange x -> x.vm();
            case Atomic.VmS3suspend x -> x.vm();
            case Atomic.VmRequestRdp x -> x.vm();
            case Atomic.VmRunScript x -> x.vm();
            case Atomic.VmS3resume x -> x.vm();
            case Atomic.VbdSetActive x -> x.id().vm();
            case Atomic.VbdEpochBegin x -> x.id().vm();
            case Atomic.VbdEpochEnd x -> x.id().vm();
            case Atomic.VbdAttach x -> x.id().vm();
            case Atomic.VbdPlug x -> x.id().vm();
            case Atomic.VbdUnplug x -> x.id().vm();
            case Atomic.VbdInsert x -> x.id().vm();
            case Atomic.VbdEject x -> x.id().vm();
            case Atomic.VifSetActive x -> x.id().vm();
            case Atomic.VifPlug x -> x.id().vm();
            case Atomic.VifUnplug x -> x.id().vm();
            case Atomic.VifMove x -> x.id().vm();
            case Atomic.VifSetLockingMode x -> x.id().vm();
            case Atomic.VifSetIpv4Configuration x -> x.id().vm();
            case Atomic.VifSetIpv6Configuration x -> x.id().vm();
            case Atomic.Parallel x -> x.vm();
            case Atomic.Serial x -> x.vm();
            case Atomic.BestEffort x -> vmOf(x.atom());
        };
    }

    /** {@code perform_exn}. */
    private void performExn(Operation op, SimTask t) {
        String id = op.vm();
        switch (op) {
            case Operation.VmStart s -> {
                if (vms.powerState(id) == PowerState.Running) {
                    LOG.log(System.Logger.Level.INFO, "VM " + id + " is already running");
                } else {
                    performAtomics(planner.atomicsOf(op), t);
                    vms.signalVm(id);
                }
            }
            case Operation.VmReboot r -> {
                rebooting.add(id);
                try {
                    performAtomics(planner.atomicsOf(op), t);
                } finally {
                    rebooting.remove(id);
                }
                vms.signalVm(id);
            }
            case Operation.VmPoweroff p -> {
                performAtomics(planner.atomicsOf(op), t);
                vms.signalVm(id);
            }
            case Operation.VmShutdown p -> {
                performAtomics(planner.atomicsOf(op), t);
                vms.signalVm(id);
            }
            case Operation.VmSuspend p -> {
                performAtomics(planner.atomicsOf(op), t);
                vms.signalVm(id);
            }
            case Operation.VmResume p -> {
                performAtomics(planner.atomicsOf(op), t);
                vms.signalVm(id);
            }
            case Operation.VmMigrate m -> {
                migrations.send(m, t);
                vms.signalVm(id);
            }
            case Operation.VmReceiveMemory r -> migrations.receive(r, t);
            case Operation.VmReceiveMemoryComplete r -> {
                migrations.complete(r.vm(), r.unpause(), t);
                vms.signalVm(id);
            }
            case Operation.VmCheckState c -> checkVmState(id, t);
            case Operation.VbdCheckState c -> {
                vms.vbdExn(c.id());
                PowerState p = vms.powerState(id);
                if (p != PowerState.Running && p != PowerState.Paused) {
                    performExn(new Operation.AtomicOp(id, new Atomic.VbdUnplug(c.id(), true)), t);
                }
                vms.signalVbd(c.id());
            }
            case Operation.VifCheckState c -> {
                vms.vifExn(c.id());
                PowerState p = vms.powerState(id);
                if (p != PowerState.Running && p != PowerState.Paused) {
                    performExn(new Operation.AtomicOp(id, new Atomic.VifUnplug(c.id(), true)), t);
                }
            }
            case Operation.AtomicOp a -> performAtomic(a.atomic(), t);
            default -> performAtomics(planner.atomicsOf(op), t);
        }
    }

    /** {@code VM_check_state}: act on the domain's request (or finish off a domain a failure left behind). */
    private void checkVmState(String id, SimTask t) {
        VmEntry e = vms.vmExn(id);
        Domain d = e.domain();
        List<Operation> ops = new ArrayList<>();
        if (d != null && !d.survivable() && !d.suspended()) {
            // left behind by a failed or cancelled start/resume/reboot: destroy it and deactivate its devices
            ops.add(new Operation.VmPoweroff(id, null));
        } else if (d != null && d.actionRequest() != null) {
            double runTime = System.currentTimeMillis() / 1000.0 - d.lastCreateTime();
            List<Vm.Action> actions = switch (d.actionRequest()) {
                case "Needs_reboot" -> e.vm().onReboot();
                case "Needs_poweroff" -> e.vm().onShutdown();
                case "Needs_crashdump" -> {
                    if (runTime < 120) { // a VM that crashes too quickly is shut down rather than restarted
                        List<Vm.Action> r = new ArrayList<>();
                        for (Vm.Action a : e.vm().onCrash()) r.add(a == Vm.Action.Start ? Vm.Action.Shutdown : a);
                        yield r;
                    }
                    yield e.vm().onCrash();
                }
                case "Needs_suspend" -> List.of(Vm.Action.Shutdown);
                case "Needs_softreset" -> e.vm().onSoftreboot();
                default -> List.of();
            };
            for (Vm.Action a : actions) {
                switch (a) {
                    case Coredump, Softreboot -> {} // no dump to write; the simulator's soft reset does nothing
                    case Shutdown -> ops.add(new Operation.VmShutdown(id, null));
                    case Start -> ops.add(new Operation.VmReboot(id, null));
                    case Pause -> ops.add(new Operation.AtomicOp(id, new Atomic.VmPause(id)));
                }
            }
        }
        for (Operation o : ops) performExn(o, t);
        vms.signalVm(id);
    }

    private static double weightOf(Atomic a) {
        return a instanceof Atomic.VmSave || a instanceof Atomic.VmRestore ? 10.0 : 1.0;
    }

    /** {@code perform_atomics}: progress moves on after each step, with a task update. */
    private void performAtomics(List<Atomic> atomics, SimTask t) {
        double total = 0;
        for (Atomic a : atomics) total += weightOf(a);
        double progress = 0;
        for (Atomic a : atomics) {
            performAtomic(a, t);
            progress += weightOf(a) / total;
            t.setProgress(Math.min(1.0, progress));
            tasks.signal(t.id);
        }
    }

    // =========================================================================================== atomics

    /** {@code perform_atomic}: a cancellation point, the step's simulated duration, then its effect. */
    private void performAtomic(Atomic op, SimTask t) {
        t.checkCancelling();
        switch (op) {
            case Atomic.BestEffort b -> {
                try {
                    performAtomic(b.atom(), t);
                } catch (XenopsError e) {
                    if (e.is("Cancelled")) throw e;
                    LOG.log(System.Logger.Level.DEBUG, "ignoring error during best-effort step: " + e.getMessage());
                }
            }
            case Atomic.Parallel p -> {
                for (Atomic a : p.atoms()) performAtomic(a, t);
            }
            case Atomic.Serial s -> {
                for (Atomic a : s.atoms()) performAtomic(a, t);
            }
            default -> {
                t.sleep(delays.millis(op.name()));
                performLeaf(op, t);
            }
        }
    }

    private void performLeaf(Atomic op, SimTask t) {
        switch (op) {
            case Atomic.VmHookScript h -> {}
            case Atomic.VmCreate c -> domains.create(c.vm());
            case Atomic.VmBuild b -> domains.build(b.vm());
            case Atomic.VmCreateDeviceModel c -> domains.createDeviceModel(c.vm());
            case Atomic.VmDestroyDeviceModel c -> domains.destroyDeviceModel(c.vm());
            case Atomic.VmDestroy c -> {
                releaseVbds(c.vm(), t); // VM.destroy: detach any remaining disks
                domains.destroy(c.vm());
                storage.guestPaused(c.vm(), false);
            }
            case Atomic.VmPause p -> {
                vms.vmExn(p.vm());
                // the guest's disk I/O under way ends first; then it issues none until unpaused
                storage.withGuestStopped(p.vm(), () -> {
                    domains.setPaused(p.vm(), true);
                    storage.guestPaused(p.vm(), true);
                });
                vms.signalVm(p.vm());
            }
            case Atomic.VmUnpause u -> {
                if (vms.powerState(u.vm()) == PowerState.Paused) {
                    storage.guestPaused(u.vm(), false);
                    domains.setPaused(u.vm(), false);
                    vms.signalVm(u.vm());
                } else {
                    LOG.log(System.Logger.Level.INFO, "VM " + u.vm() + " is not paused");
                }
            }
            case Atomic.VmSetDomainActionRequest r -> {
                vms.vmExn(r.vm());
                domains.setActionRequest(r.vm(), r.request());
            }
            case Atomic.VmShutdownDomain s -> {
                vms.vmExn(s.vm());
                String req = switch (s.reason()) {
                    case Halt, PowerOff -> "Needs_poweroff";
                    case Reboot -> "Needs_reboot";
                    case Suspend, S3Suspend -> "Needs_suspend";
                };
                domains.requestAction(s.vm(), req);
                backendVmEvent(s.vm());
                // the simulated guest acknowledges at once and has shut down when wait_shutdown is asked
            }
            case Atomic.VmSave s -> {
                vms.vmExn(s.vm());
                t.prohibitCancellation(); // just before suspending the domain, as xenopsd does
                tasks.signal(t.id);
                storage.withDisk(t.dbg, t.id, s.disk(), true, image -> {
                    domains.save(s.vm(), s.disk(), image);
                    return null;
                });
            }
            case Atomic.VmRestore r ->
                storage.withDisk(t.dbg, t.id, r.disk(), false, image -> {
                    domains.restore(r.vm(), image);
                    return null;
                });
            case Atomic.VmRemove r -> removeVm(r.vm());
            case Atomic.VmImportMetadata i -> metadata.importMetadata(i.md());
            case Atomic.VmDelay d -> t.sleep((long) (d.seconds() * 1000));
            case Atomic.VmSetXsdata x -> domains.setXsdata(x.vm(), x.xsdata());
            case Atomic.VmSetVcpus x -> domains.setVcpus(x.vm(), x.vcpus());
            case Atomic.VmSetShadowMultiplier x -> domains.setShadowMultiplier(x.vm(), x.multiplier());
            case Atomic.VmSetMemoryDynamicRange x -> domains.setMemoryDynamicRange(x.vm(), x.min(), x.max());
            case Atomic.VmS3suspend x -> domains.setS3(x.vm(), true);
            case Atomic.VmRequestRdp x -> domains.requestRdp(x.vm(), x.enabled());
            case Atomic.VmRunScript x -> domains.runScript(x.vm());
            case Atomic.VmS3resume x -> domains.setS3(x.vm(), false);
            case Atomic.VbdSetActive a -> {
                vms.vbdExn(a.id());
                devices.setActive("vbd", a.id(), a.active());
                vms.signalVbd(a.id());
            }
            case Atomic.VbdEpochBegin x -> storage.epochBegin(t.dbg, domidOf(x.id().vm()), x.disk(), x.persistent());
            case Atomic.VbdEpochEnd x -> storage.epochEnd(t.dbg, domidOf(x.id().vm()), x.disk());
            case Atomic.VbdAttach x -> {
                Vbd vbd = vms.vbdExn(x.id());
                storage.attach(t.dbg, domidOf(x.id().vm()), vbd, vbd.backend());
            }
            case Atomic.VbdPlug p -> {
                plugVbd(vms.vbdExn(p.id()), t);
                vms.signalVbd(p.id());
            }
            case Atomic.VbdUnplug u -> {
                try {
                    devices.unplugVbd(vms.vbdExn(u.id()), u.force());
                } finally {
                    releaseVbd(u.id(), t); // as xenopsd: the datapath is destroyed whatever the unplug did
                    vms.signalVbd(u.id());
                }
            }
            case Atomic.VbdInsert i -> {
                vms.vbdExn(i.id());
                expect(i.id().vm(), PowerState.Running, PowerState.Paused);
                insertMedium(i.id(), i.disk(), t);
                vms.signalVbd(i.id());
            }
            case Atomic.VbdEject j -> {
                Vbd vbd = vms.vbdExn(j.id());
                if (vbd.ty() == Vbd.Type.Disk) throw XenopsError.mediaNotEjectable();
                expect(j.id().vm(), PowerState.Running, PowerState.Paused);
                devices.changeMedium(j.id(), null);
                releaseVbd(j.id(), t);
                vms.signalVbd(j.id());
            }
            case Atomic.VifSetActive a -> {
                vms.vifExn(a.id());
                devices.setActive("vif", a.id(), a.active());
                vms.signalVif(a.id());
            }
            case Atomic.VifPlug p -> {
                devices.plugVif(vms.vifExn(p.id()));
                vms.signalVif(p.id());
            }
            case Atomic.VifUnplug u -> {
                try {
                    devices.unplugVif(vms.vifExn(u.id()), u.force());
                } finally {
                    vms.signalVif(u.id());
                }
            }
            // the record is written before the domain is changed (the backend's scripts read it), as xenopsd does
            case Atomic.VifMove m -> {
                try {
                    Vif vif = devices.updateVifConfig(m.id(), v -> v.withBackend(m.network()));
                    devices.moveVif(vif, m.network());
                } finally {
                    vms.signalVif(m.id());
                }
            }
            case Atomic.VifSetLockingMode m -> {
                try {
                    devices.updateVifConfig(m.id(), v -> v.withLockingMode(m.mode()));
                    devices.updatePluggedVif(m.id(), v -> v.withLockingMode(m.mode()));
                } finally {
                    vms.signalVif(m.id());
                }
            }
            case Atomic.VifSetIpv4Configuration c -> {
                try {
                    devices.updateVifConfig(c.id(), v -> v.withIpConfigurations(c.config(), v.ipv6Configuration()));
                    devices.updatePluggedVif(c.id(), v -> v.withIpConfigurations(c.config(), v.ipv6Configuration()));
                } finally {
                    vms.signalVif(c.id());
                    vms.signalVm(c.id().vm()); // the guest agent reports the new address
                }
            }
            case Atomic.VifSetIpv6Configuration c -> {
                try {
                    devices.updateVifConfig(c.id(), v -> v.withIpConfigurations(v.ipv4Configuration(), c.config()));
                    devices.updatePluggedVif(c.id(), v -> v.withIpConfigurations(v.ipv4Configuration(), c.config()));
                } finally {
                    vms.signalVif(c.id());
                }
            }
            case Atomic.Parallel p -> throw new IllegalStateException("not a leaf");
            case Atomic.Serial s -> throw new IllegalStateException("not a leaf");
            case Atomic.BestEffort b -> throw new IllegalStateException("not a leaf");
        }
    }

    // =========================================================================================== storage

    /** The VBD's copy plugged in the domain, or null. */
    private static Vbd pluggedCopy(Domain d, org.xapijava.xenopsd.DeviceId id) {
        for (Vbd p : d.vbds()) if (p.id().equals(id)) return p;
        return null;
    }

    /** {@code VBD.plug}: its disk attached and activated, then the device added (the disk freed if that fails). */
    private void plugVbd(Vbd vbd, SimTask t) {
        Domain d = vms.domainExn(vbd.id().vm());
        if (pluggedCopy(d, vbd.id()) != null) {
            devices.plugVbd(vbd); // Already_exists, the storage untouched
            return;
        }
        storage.attachAndActivate(t.dbg, d.domid(), vbd, vbd.backend());
        try {
            devices.plugVbd(vbd);
        } catch (RuntimeException e) {
            storage.release(t.dbg, d.domid(), vbd.id());
            throw e;
        }
    }

    /** {@code VBD.insert}: the new medium attached and activated, then inserted (freed if that fails). */
    private void insertMedium(org.xapijava.xenopsd.DeviceId id, org.xapijava.xenopsd.Disk disk, SimTask t) {
        Domain d = vms.domainExn(id.vm());
        Vbd plugged = pluggedCopy(d, id);
        if (plugged == null || plugged.backend() != null) {
            devices.changeMedium(id, disk); // Device_not_connected or Media_present, the storage untouched
            return;
        }
        storage.attachAndActivate(t.dbg, d.domid(), plugged, disk);
        try {
            devices.changeMedium(id, disk);
        } catch (RuntimeException e) {
            storage.release(t.dbg, d.domid(), id);
            throw e;
        }
    }

    /** The VM's domain id, as xenopsd's {@code Storage.vm_of_domid} names the storage VM; 0 without a domain. */
    private int domidOf(String vmId) {
        VmEntry e = vms.get(vmId);
        return e == null || e.domain() == null ? 0 : e.domain().domid();
    }

    /** {@code DP.destroy} of the VBD's datapath in the VM's domain, if it has one. */
    private void releaseVbd(org.xapijava.xenopsd.DeviceId id, SimTask t) {
        if (!storage.enabled()) return;
        VmEntry e = vms.get(id.vm());
        if (e != null && e.domain() != null) storage.release(t.dbg, e.domain().domid(), id);
    }

    /** {@code DP.destroy} of the datapath of every VBD of the VM in its domain. */
    private void releaseVbds(String vmId, SimTask t) {
        if (!storage.enabled()) return;
        VmEntry e = vms.get(vmId);
        if (e == null || e.domain() == null) return;
        for (Vbd v : e.vbds()) storage.release(t.dbg, e.domain().domid(), v.id());
    }

    /** {@code VM_remove}: only a halted or suspended VM; its objects are no longer reported. */
    private void removeVm(String vmId) {
        expect(vmId, PowerState.Halted, PowerState.Suspended);
        vms.update(vmId, now -> {
            if (now != null) {
                for (Vbd v : now.vbds()) vms.forget(new DynamicId.Vbd(v.id()));
                for (Vif v : now.vifs()) vms.forget(new DynamicId.Vif(v.id()));
                vms.forget(new DynamicId.Vm(vmId));
            }
            return null;
        });
    }
}
