package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.jsonrpc.JsonRpcLimits;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.HostStat;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Query;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.VbdStat;
import org.xapijava.xenopsd.VbdState;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.VifStat;
import org.xapijava.xenopsd.VifState;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.VmState;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.sim.Atomic.Hook;
import org.xapijava.xenopsd.sim.Atomic.ShutdownRequest;

/**
 * A simulated xenopsd: xenopsd's generic engine ({@code ocaml/xenopsd/lib/xenops_server.ml}) over a simulated
 * hypervisor in the manner of its simulator backend ({@code ocaml/xenopsd/lib/xenops_server_simulator.ml}).
 * Usable in-process (it is a {@link Xenops}) and served on a Unix socket by {@link SimulatorServer}.
 *
 * <p><b>Engine.</b> Every mutating call creates a task and queues an operation on the VM's queue
 * ({@link WorkQueues}: one VM's operations run in order, different VMs in parallel on a fixed number of virtual
 * threads). An operation is a list of atomic steps (the same lists xenopsd builds: {@code VM_start} = create,
 * build, plug read-write VBDs then read-only ones, plug VIFs, create the device model, mark the domain
 * survivable; the domain stays paused). Each step is a cancellation point and then takes its simulated duration
 * (configurable per step name, default 0), during which {@code Task.cancel} also takes effect. Progress goes up
 * after each top-level step, with a {@code Task} update. A failed or cancelled operation runs xenopsd's clean-up
 * ({@code VM_check_state}): a domain that is not yet survivable is destroyed and its devices unplugged, so a
 * cancelled start leaves the VM Halted. Suspend becomes non-cancellable when the domain is saved
 * ({@code cancellable=false}).
 *
 * <p><b>Hypervisor.</b> Domains get the highest existing domid + 1. {@code VM.stat} reports Halted without a
 * domain, Suspended for a saved domain, Paused for a paused one and Running otherwise (the xc backend's rule; the
 * upstream simulator never says Paused). Building a domain needs its {@code memory_dynamic_max} free out of the
 * host total (running and paused domains count) or fails with {@code Not_enough_memory}. A guest's own
 * shutdown/reboot/crash (see {@code DEBUG.trigger}) is handled as xenopsd does: the VM's {@code on_shutdown},
 * {@code on_reboot} or {@code on_crash} actions decide (destroy, restart with a new domid, pause). Suspend to a
 * {@code Local path} writes a small image file there (resume checks it); to a {@code VDI} it is recorded.
 *
 * <p><b>State directory.</b> With a state directory, the hypervisor's state (VM metadata, devices, domains,
 * active flags) is kept in {@code <dir>/vms/<vm>.json}, written atomically on every change; a simulator started
 * on the same directory finds its VMs and running domains again, as xenopsd restarted on a host with running
 * domains does (tasks and the update counter start afresh, with a new {@code instance_id}). A fresh directory is
 * a host that has just booted. Without one, the state lives in memory only.
 *
 * <p><b>DEBUG.trigger</b>: {@code "reboot" [vm]}, {@code "halt" [vm]} (a guest-initiated reboot or halt, as in
 * xenopsd's simulator), {@code "check-vbd-plug-ordering" [vm]}, {@code "set-cancel-trigger" [dbg; n]} (xenopsd's),
 * and extensions: {@code "crash" [vm]}, {@code "guest-agent" [vm; "on"|"off"]}, {@code "set-delay" [step; ms]}, {@code "wedge" [seconds]} (the socket
 * server stops answering calls for that long).
 *
 * <p>Thread-safe. One lock guards the hypervisor state and is held only for in-memory changes; file writes,
 * simulated durations and waits happen outside it.
 */
public final class Simulator implements Xenops, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Simulator.class.getName());

    /** xenopsd's simulator reports 1 TiB of host memory. */
    public static final long DEFAULT_TOTAL_MEMORY_MIB = 1024L * 1024L;
    /** xenopsd's default worker pool size is 4; a simulated operation is short, so more cost nothing. */
    public static final int DEFAULT_WORKERS = 16;

    /**
     * How to run the simulator.
     *
     * @param stateDir       where the hypervisor state is kept, or {@code null} for memory only
     * @param totalMemoryMib the host's memory
     * @param workers        how many VM queues are served at once
     * @param delaysMs       simulated duration per atomic step name (e.g. {@code VM_build}), in milliseconds
     */
    public record Config(Path stateDir, long totalMemoryMib, int workers, Map<String, Long> delaysMs) {
        public Config {
            if (totalMemoryMib <= 0) throw new IllegalArgumentException("totalMemoryMib must be positive");
            if (workers <= 0) throw new IllegalArgumentException("workers must be positive");
            delaysMs = Map.copyOf(delaysMs);
            for (String k : delaysMs.keySet()) checkStepName(k);
        }

        public static Config inMemory() {
            return new Config(null, DEFAULT_TOTAL_MEMORY_MIB, DEFAULT_WORKERS, Map.of());
        }

        public static Config persistent(Path stateDir) {
            return new Config(stateDir, DEFAULT_TOTAL_MEMORY_MIB, DEFAULT_WORKERS, Map.of());
        }

        public Config withDelays(Map<String, Long> d) {
            return new Config(stateDir, totalMemoryMib, workers, d);
        }

        public Config withTotalMemoryMib(long mib) {
            return new Config(stateDir, mib, workers, delaysMs);
        }
    }

    static void checkStepName(String name) {
        if (!Atomic.LEAF_NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown atomic step '" + name + "'; known: " + Atomic.LEAF_NAMES);
        }
    }

    /** Everything known about one VM; immutable, replaced on change. */
    private record VmEntry(
            Vm vm,
            List<Vbd> vbds,
            List<Vif> vifs,
            List<Object> pcis,
            List<Object> vgpus,
            List<Object> vusbs,
            Domain domain,
            Map<String, Boolean> active) {
        VmEntry {
            vbds = List.copyOf(vbds);
            vifs = List.copyOf(vifs);
            active = Collections.unmodifiableMap(new LinkedHashMap<>(active));
        }

        VmEntry withDomain(Domain d) {
            return new VmEntry(vm, vbds, vifs, pcis, vgpus, vusbs, d, active);
        }

        VmEntry withVbds(List<Vbd> v) {
            return new VmEntry(vm, v, vifs, pcis, vgpus, vusbs, domain, active);
        }

        VmEntry withVifs(List<Vif> v) {
            return new VmEntry(vm, vbds, v, pcis, vgpus, vusbs, domain, active);
        }

        VmEntry withActive(String key, boolean b) {
            Map<String, Boolean> a = new LinkedHashMap<>(active);
            a.put(key, b);
            return new VmEntry(vm, vbds, vifs, pcis, vgpus, vusbs, domain, a);
        }

        Vbd vbd(String name) {
            for (Vbd v : vbds) if (v.id().name().equals(name)) return v;
            return null;
        }

        Vif vif(String name) {
            for (Vif v : vifs) if (v.id().name().equals(name)) return v;
            return null;
        }
    }

    private final Config config;
    private final StateStore store;
    private final String instanceId = UUID.randomUUID().toString();

    /** Guards {@link #vms}, {@link #versionCounter}, {@link #nextDomid} and the cancel trigger. */
    private final ReentrantLock m = new ReentrantLock();

    private final Map<String, VmEntry> vms = new TreeMap<>();
    private long versionCounter;
    private int nextDomid = -1;
    private String cancelTriggerDbg;
    private int cancelTriggerAt;

    private final UpdateLog updates = new UpdateLog();
    private final Map<String, SimTask> tasks = new ConcurrentHashMap<>();
    private final AtomicLong taskCounter = new AtomicLong();
    private final Set<String> rebooting = ConcurrentHashMap.newKeySet();
    /** VMs whose simulated guest runs no guest agent ({@code DEBUG.trigger "guest-agent" [vm; "off"]}). */
    private final Set<String> withoutGuestAgent = ConcurrentHashMap.newKeySet();

    private final Map<String, Long> delays = new ConcurrentHashMap<>();
    private final WorkQueues queues;

    private final ReentrantLock wedgeLock = new ReentrantLock();
    private final Condition unwedged = wedgeLock.newCondition();
    private long wedgedUntilNanos;
    private boolean wedged;
    private volatile boolean closed;

    private static final JsonRpcCodec STATE_JSON = new JsonRpcCodec(new JsonRpcLimits(256L << 20, 64));
    private static final SecureRandom RANDOM = new SecureRandom();

    private Simulator(Config config) throws IOException {
        this.config = config;
        this.delays.putAll(config.delaysMs());
        this.store = config.stateDir() == null ? null : new StateStore(config.stateDir());
        if (store != null) load();
        this.queues = new WorkQueues(config.workers(), "xenopsd-sim");
        registerObjects();
    }

    /**
     * Starts a simulator; with a state directory, loads what a previous run left there.
     *
     * @throws IOException when the state directory cannot be created or read
     */
    public static Simulator start(Config config) throws IOException {
        return new Simulator(config);
    }

    public Config config() {
        return config;
    }

    /** Stops the workers (queued operations are dropped) and answers waiting {@code UPDATES.get}s. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        queues.stop();
        updates.close();
        wedgeLock.lock();
        try {
            wedged = false;
            unwedged.signalAll();
        } finally {
            wedgeLock.unlock();
        }
    }

    // =========================================================================================== state

    private void load() throws IOException {
        for (byte[] b : store.loadAll()) {
            try {
                Object v = STATE_JSON.parseValue(b);
                Rpc.Fields f = Rpc.fields(v, "vm_state");
                Vm vm = f.req("vm", Vm::fromRpc);
                VmEntry e = new VmEntry(
                        vm,
                        f.def("vbds", x -> Rpc.list(x, Vbd::fromRpc), List.of()),
                        f.def("vifs", x -> Rpc.list(x, Vif::fromRpc), List.of()),
                        f.def("pcis", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                        f.def("vgpus", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                        f.def("vusbs", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                        f.opt("domain", Domain::fromRpc),
                        f.def("active", x -> Rpc.map(x, Rpc::bool), Map.of()));
                vms.put(vm.id(), e);
            } catch (Exception e) {
                throw new IOException("unreadable VM state file in " + store.dir() + ": " + e.getMessage(), e);
            }
        }
    }

    private static byte[] serialize(VmEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm", e.vm().toRpc());
        m.put("vbds", Rpc.encodeList(e.vbds(), Vbd::toRpc));
        m.put("vifs", Rpc.encodeList(e.vifs(), Vif::toRpc));
        m.put("pcis", new ArrayList<>(e.pcis()));
        m.put("vgpus", new ArrayList<>(e.vgpus()));
        m.put("vusbs", new ArrayList<>(e.vusbs()));
        if (e.domain() != null) m.put("domain", e.domain().toRpc());
        m.put("active", new LinkedHashMap<String, Object>(e.active()));
        return JsonRpcCodec.toJson(m).getBytes(StandardCharsets.UTF_8);
    }

    /** xenopsd's {@code register_objects}: every known object is reported once by a fresh daemon. */
    private void registerObjects() {
        m.lock();
        try {
            for (VmEntry e : vms.values()) {
                updates.add(new DynamicId.Vm(e.vm().id()));
                for (Vbd v : e.vbds()) updates.add(new DynamicId.Vbd(v.id()));
                for (Vif v : e.vifs()) updates.add(new DynamicId.Vif(v.id()));
            }
        } finally {
            m.unlock();
        }
    }

    private VmEntry entry(String vmId) {
        m.lock();
        try {
            return vms.get(vmId);
        } finally {
            m.unlock();
        }
    }

    /**
     * Replaces a VM's entry ({@code f} may return {@code null} to delete it, and receives {@code null} for an
     * unknown VM) and persists the result. Returns the new entry.
     */
    private VmEntry update(String vmId, UnaryOperator<VmEntry> f) {
        VmEntry after;
        long version;
        byte[] bytes = null;
        m.lock();
        try {
            VmEntry before = vms.get(vmId);
            after = f.apply(before);
            if (after == before) return after;
            if (after == null) vms.remove(vmId);
            else vms.put(vmId, after);
            version = ++versionCounter;
            if (store != null && after != null) bytes = serialize(after);
        } finally {
            m.unlock();
        }
        persist(vmId, version, bytes);
        return after;
    }

    private void persist(String vmId, long version, byte[] bytes) {
        if (store == null) return;
        try {
            store.put(vmId, version, bytes);
        } catch (IOException e) {
            throw XenopsError.internalError("cannot write the simulator state of " + vmId + ": " + e);
        }
    }

    /** Updates the VM's domain, which must exist ({@code Does_not_exist ("domain", vm)} otherwise). */
    private Domain updateDomain(String vmId, UnaryOperator<Domain> f) {
        VmEntry e = update(vmId, old -> {
            if (old == null || old.domain() == null) throw XenopsError.doesNotExist("domain", vmId);
            return old.withDomain(f.apply(old.domain()));
        });
        return e.domain();
    }

    private Domain domainExn(String vmId) {
        VmEntry e = entry(vmId);
        if (e == null || e.domain() == null) throw XenopsError.doesNotExist("domain", vmId);
        return e.domain();
    }

    /** {@code VM_DB.read_exn}. */
    private VmEntry vmExn(String vmId) {
        VmEntry e = entry(vmId);
        if (e == null) throw XenopsError.doesNotExist("VM", vmId + "/config");
        return e;
    }

    private Vbd vbdExn(DeviceId id) {
        VmEntry e = entry(id.vm());
        Vbd v = e == null ? null : e.vbd(id.name());
        if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vbd." + id.name());
        return v;
    }

    private Vif vifExn(DeviceId id) {
        VmEntry e = entry(id.vm());
        Vif v = e == null ? null : e.vif(id.name());
        if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vif." + id.name());
        return v;
    }

    private static String activeKey(String kind, DeviceId id) {
        return kind + "." + id.name();
    }

    // ------------------------------------------------------------------------------------------- signals

    private void signalVm(String vmId) {
        m.lock();
        try {
            if (vms.containsKey(vmId)) updates.add(new DynamicId.Vm(vmId));
        } finally {
            m.unlock();
        }
    }

    private void signalVbd(DeviceId id) {
        m.lock();
        try {
            VmEntry e = vms.get(id.vm());
            if (e != null && e.vbd(id.name()) != null) updates.add(new DynamicId.Vbd(id));
        } finally {
            m.unlock();
        }
    }

    private void signalVif(DeviceId id) {
        updates.add(new DynamicId.Vif(id));
    }

    private void signalTask(String taskId) {
        if (tasks.containsKey(taskId)) updates.add(new DynamicId.Task(taskId));
    }

    // ------------------------------------------------------------------------------------------- states

    private VmState vmState(VmEntry e) {
        Domain d = e.domain();
        if (d == null) return haltedState();
        Vm vm = e.vm();
        PowerState p = powerState(d);
        long mem = d.suspended() ? 0 : d.memoryDynamicMax();
        VmState.DomainType dt = switch (vm.ty()) {
            case Vm.Hvm h -> VmState.DomainType.Domain_HVM;
            case Vm.Pv pv -> VmState.DomainType.Domain_PV;
            case Vm.PvInPvh pv -> VmState.DomainType.Domain_PVinPVH;
            case Vm.Pvh pv -> VmState.DomainType.Domain_PVH;
        };
        String timeoffset = vm.ty() instanceof Vm.Hvm h ? h.info().timeoffset() : "";
        boolean agent = d.built() && !d.suspended() && !withoutGuestAgent.contains(vm.id());
        Map<String, String> guestAgent = agent ? guestAgent(mem) : Map.of();
        return new VmState(
                p,
                List.of(d.domid()),
                List.of(),
                mem,
                mem,
                vm.memoryStaticMax(),
                d.vcpus(),
                d.shadowMultiplier(),
                timeoffset,
                false,
                guestAgent,
                Map.of(),
                agent,
                d.lastCreateTime(),
                d.hvm(),
                false,
                false,
                dt,
                vm.platformdata().getOrDefault("featureset", ""),
                false,
                0,
                List.of());
    }

    /**
     * What the guest agent of a simulated guest writes in xenstore once its domain is built (paths relative
     * to the domain's xenstore directory, as xenopsd reports them): a Linux guest with PV drivers that
     * supports clean shutdown, reboot and suspend, so that Xapi's checks treat it as a guest with tools.
     * Xenopsd's own simulator reports no agent; {@code DEBUG.trigger "guest-agent" [vm; "off"]} gives that.
     */
    private static Map<String, String> guestAgent(long memoryBytes) {
        Map<String, String> ga = new java.util.LinkedHashMap<>();
        ga.put("attr/PVAddons/MajorVersion", "8");
        ga.put("attr/PVAddons/MinorVersion", "4");
        ga.put("attr/PVAddons/MicroVersion", "0");
        ga.put("attr/PVAddons/BuildVersion", "1");
        for (String f : List.of("shutdown", "poweroff", "reboot", "suspend", "balloon"))
            ga.put("control/feature-" + f, "1");
        ga.put("data/os_name", "Simulated Linux");
        ga.put("data/os_uname", "6.1.0-simulated");
        ga.put("data/os_distro", "debian");
        ga.put("data/os_majorver", "12");
        ga.put("data/os_minorver", "0");
        ga.put("data/meminfo_total", Long.toString(memoryBytes / 1024));
        ga.put("data/meminfo_free", Long.toString(memoryBytes / 2048));
        return Map.copyOf(ga);
    }

    /** {@code halted_vm} of {@code ocaml/xenopsd/lib/xenops_utils.ml}. */
    private static VmState haltedState() {
        return new VmState(
                PowerState.Halted,
                List.of(),
                List.of(),
                0,
                0,
                0,
                0,
                1.0,
                "",
                false,
                Map.of(),
                Map.of(),
                false,
                0.0,
                false,
                false,
                false,
                VmState.DomainType.Domain_undefined,
                "",
                false,
                0,
                List.of());
    }

    /** The power state {@link #vmState} reports, without building the rest of it. */
    private PowerState powerState(String vmId) {
        return powerState(vmExn(vmId).domain());
    }

    private static PowerState powerState(Domain d) {
        if (d == null) return PowerState.Halted;
        return d.suspended() ? PowerState.Suspended : d.paused() ? PowerState.Paused : PowerState.Running;
    }

    private static VbdState vbdState(VmEntry e, Vbd vbd) {
        boolean active = e.active().getOrDefault(activeKey("vbd", vbd.id()), false);
        if (e.domain() != null) {
            for (Vbd p : e.domain().vbds()) {
                if (p.id().equals(vbd.id())) return new VbdState(active, true, null, p.backend());
            }
        }
        return new VbdState(active, false, null, null);
    }

    private static VifState vifState(VmEntry e, Vif vif) {
        boolean active = e.active().getOrDefault(activeKey("vif", vif.id()), false);
        if (e.domain() != null) {
            for (Vif p : e.domain().vifs()) {
                if (p.id().equals(vif.id())) {
                    return new VifState(
                            active, true, 0, false, "vif" + e.domain().domid() + "." + p.position(), false);
                }
            }
        }
        return new VifState(active, false, 0, false, null, false);
    }

    // =========================================================================================== tasks

    private SimTask newTask(String dbg) {
        int cancelAt = 0;
        m.lock();
        try {
            if (cancelTriggerDbg != null && cancelTriggerDbg.equals(dbg)) { // one shot
                cancelAt = cancelTriggerAt;
                cancelTriggerDbg = null;
            }
        } finally {
            m.unlock();
        }
        SimTask t = new SimTask(Long.toString(taskCounter.getAndIncrement()), dbg, cancelAt);
        tasks.put(t.id, t);
        return t;
    }

    private SimTask taskExn(String id) {
        SimTask t = tasks.get(id);
        if (t == null) throw XenopsError.doesNotExist("task", id);
        return t;
    }

    /** {@code TASK.destroy'}. */
    private void destroyTask(String id) {
        if (tasks.remove(id) == null) throw XenopsError.doesNotExist("task", id);
        updates.remove(new DynamicId.Task(id));
    }

    private interface Body {
        Object run();
    }

    /** Runs a task's body and records its outcome ({@code Xenops_task.run} then {@code Work.finally}). */
    private void runTask(SimTask t, Body body) {
        long start = System.nanoTime();
        TaskInfo.State outcome;
        String bt = null;
        try {
            Object result = body.run();
            outcome = new TaskInfo.Completed((System.nanoTime() - start) / 1e9, result);
        } catch (XenopsError e) {
            outcome = new TaskInfo.Failed(e.toRpc());
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "task " + t.id + " failed", e);
            outcome =
                    new TaskInfo.Failed(XenopsError.internalError(e.toString()).toRpc());
            bt = "((name(" + e.getClass().getName() + ")))";
        }
        boolean destroy = t.finish(outcome, bt);
        if (destroy) {
            tasks.remove(t.id);
            updates.remove(new DynamicId.Task(t.id));
        } else {
            signalTask(t.id);
        }
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
            runTask(task, () -> {
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
    private SimTask queueOperation(String dbg, Operation op) {
        if (closed) throw XenopsError.internalError("xenopsd simulator is shutting down");
        SimTask t = newTask(dbg);
        if (!queues.push(op.vm(), new Work(op, t))) {
            destroyTask(t.id); // xenopsd drops a check already waiting; its task would never run
        }
        return t;
    }

    /** {@code queue_operation_and_wait}: the task, finished (xenopsd waits up to 20 minutes). */
    private SimTask queueOperationAndWait(String dbg, Operation op) {
        SimTask t = queueOperation(dbg, op);
        try {
            t.done.get(1200, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            t.cancel();
            throw XenopsError.cancelled(t.id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw XenopsError.internalError("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw XenopsError.internalError(String.valueOf(e.getCause()));
        }
        return t;
    }

    /** {@code immediate_operation}: runs now on this thread under a task nobody can see; rethrows its error. */
    private void immediateOperation(String dbg, Operation op) {
        SimTask t = newTask(dbg);
        destroyTask(t.id);
        runTask(t, () -> {
            perform(op, t);
            return null;
        });
        if (t.state() instanceof TaskInfo.Failed f) throw f.toError();
    }

    /** A backend event: the generic engine reacts with a check of the VM on its queue (xenopsd's event thread). */
    private void backendVmEvent(String vmId) {
        if (closed) return;
        SimTask t = queueOperation("events", new Operation.VmCheckState(vmId));
        if (tasks.containsKey(t.id)) destroyTask(t.id);
    }

    // =========================================================================================== operations

    private static List<Atomic> collectInto(List<Atomic> ls, java.util.function.Function<List<Atomic>, Atomic> wrap) {
        if (ls.size() <= 1) return ls;
        return List.of(wrap.apply(ls));
    }

    private static List<Atomic> parallel(String name, String id, List<Atomic> ls) {
        return collectInto(ls, l -> new Atomic.Parallel(id, name + " VM=" + id, l));
    }

    private static List<Atomic> serial(String name, String id, List<Atomic> ls) {
        return collectInto(ls, l -> new Atomic.Serial(id, name + " VM=" + id, l));
    }

    @SafeVarargs
    private static List<Atomic> concat(List<Atomic>... parts) {
        List<Atomic> r = new ArrayList<>();
        for (List<Atomic> p : parts) r.addAll(p);
        return r;
    }

    private static List<Atomic> one(Atomic... as) {
        return List.of(as);
    }

    /** Read-write VBDs first: the storage layer cannot upgrade a read-only attach. */
    private static List<List<Vbd>> vbdPlugSets(List<Vbd> vbds) {
        List<Vbd> rw = new ArrayList<>();
        List<Vbd> ro = new ArrayList<>();
        for (Vbd v : vbds) (v.mode() == Vbd.Mode.ReadWrite ? rw : ro).add(v);
        return List.of(rw, ro);
    }

    private static List<Vif> vifPlugOrder(List<Vif> vifs) {
        List<Vif> r = new ArrayList<>(vifs);
        r.sort((a, b) -> Integer.compare(a.position(), b.position()));
        return r;
    }

    /** {@code atomics_of_operation}. */
    private List<Atomic> atomicsOf(Operation op) {
        String id = op.vm();
        switch (op) {
            case Operation.VmStart s -> {
                VmEntry e = vmExn(id);
                List<List<Vbd>> sets = vbdPlugSets(e.vbds());
                return concat(
                        one(
                                new Atomic.VmHookScript(id, Hook.VM_pre_start),
                                new Atomic.VmCreate(id),
                                new Atomic.VmBuild(id, s.force())),
                        parallel(
                                "Devices.plug (no qemu)",
                                id,
                                concat(
                                        serial(
                                                "VBDs.acticate_epoch_and_plug RW+RO",
                                                id,
                                                concat(
                                                        plugVbdsForStart("RW", id, sets.get(0)),
                                                        plugVbdsForStart("RO", id, sets.get(1)))),
                                        activateAndPlugVifs(id, vifPlugOrder(e.vifs())))),
                        one(new Atomic.VmCreateDeviceModel(id, false)),
                        // at this point the domain is considered survivable
                        one(new Atomic.VmSetDomainActionRequest(id, null)));
            }
            case Operation.VmShutdown s -> {
                VmEntry e = vmExn(id);
                List<Atomic> unplugs = new ArrayList<>();
                for (Vbd v : e.vbds()) unplugs.add(new Atomic.VbdUnplug(v.id(), true));
                for (Vif v : e.vifs()) unplugs.add(new Atomic.VifUnplug(v.id(), true));
                return concat(
                        s.timeout() == null
                                ? List.of()
                                : one(new Atomic.VmShutdownDomain(id, ShutdownRequest.PowerOff, s.timeout())),
                        one(new Atomic.BestEffort(new Atomic.VmPause(id)), new Atomic.VmDestroyDeviceModel(id)),
                        parallel("Devices.unplug", id, unplugs),
                        one(new Atomic.VmDestroy(id)));
            }
            case Operation.VmPoweroff p -> {
                VmEntry e = vmExn(id);
                Hook reasonless = Hook.VM_pre_destroy;
                List<Atomic> deactivate = new ArrayList<>();
                for (Vbd v : e.vbds()) {
                    deactivate.addAll(serial(
                            "VBD.epoch_and_deactivate",
                            id,
                            concat(
                                    v.backend() == null ? List.of() : one(new Atomic.VbdEpochEnd(v.id(), v.backend())),
                                    one(new Atomic.VbdSetActive(v.id(), false)))));
                }
                for (Vif v : e.vifs()) deactivate.add(new Atomic.VifSetActive(v.id(), false));
                return concat(
                        one(new Atomic.VmHookScript(id, reasonless)),
                        atomicsOf(new Operation.VmShutdown(id, p.timeout())),
                        parallel("Devices.deactivate", id, deactivate),
                        one(new Atomic.VmHookScript(id, Hook.VM_post_destroy)));
            }
            case Operation.VmReboot r -> {
                VmEntry e = vmExn(id);
                List<Atomic> epochEnds = new ArrayList<>();
                for (Vbd v : e.vbds())
                    if (v.backend() != null) epochEnds.add(new Atomic.VbdEpochEnd(v.id(), v.backend()));
                return concat(
                        r.timeout() == null
                                ? List.of()
                                : one(new Atomic.VmShutdownDomain(id, ShutdownRequest.Reboot, r.timeout())),
                        one(new Atomic.VmHookScript(id, Hook.VM_pre_destroy)),
                        atomicsOf(new Operation.VmShutdown(id, null)),
                        parallel("VBD.epoch_end", id, epochEnds),
                        one(
                                new Atomic.VmHookScript(id, Hook.VM_post_destroy),
                                new Atomic.VmHookScript(id, Hook.VM_pre_reboot)),
                        atomicsOf(new Operation.VmStart(id, false)),
                        one(new Atomic.VmUnpause(id)));
            }
            case Operation.VmSuspend s -> {
                return concat(
                        one(
                                new Atomic.VmHookScript(id, Hook.VM_pre_suspend),
                                new Atomic.VmSave(id, s.disk()),
                                new Atomic.VmHookScript(id, Hook.VM_pre_destroy)),
                        atomicsOf(new Operation.VmShutdown(id, null)),
                        one(new Atomic.VmHookScript(id, Hook.VM_post_destroy)));
            }
            case Operation.VmResume r -> {
                return concat(
                        one(new Atomic.VmCreate(id), new Atomic.VmHookScript(id, Hook.VM_pre_resume)),
                        one(new Atomic.VmRestore(id, r.disk())),
                        atomicsOf(new Operation.VmRestoreDevices(id)),
                        // at this point the domain is considered survivable
                        one(
                                new Atomic.VmSetDomainActionRequest(id, null),
                                new Atomic.VmHookScript(id, Hook.VM_post_resume)));
            }
            case Operation.VmRestoreVifs v -> {
                return parallel(
                        "VIFs.activate_and_plug",
                        id,
                        activateAndPlugVifs(id, vmExn(id).vifs()));
            }
            case Operation.VmRestoreDevices d -> {
                List<List<Vbd>> sets = vbdPlugSets(vmExn(id).vbds());
                return concat(
                        plugVbdsForRestore("RW", id, sets.get(0)),
                        plugVbdsForRestore("RO", id, sets.get(1)),
                        atomicsOf(new Operation.VmRestoreVifs(id)),
                        one(new Atomic.VmCreateDeviceModel(id, true)));
            }
            case Operation.VbdHotplug h -> {
                return one(new Atomic.VbdSetActive(h.id(), true), new Atomic.VbdPlug(h.id()));
            }
            case Operation.VbdHotunplug h -> {
                return one(new Atomic.VbdUnplug(h.id(), h.force()), new Atomic.VbdSetActive(h.id(), false));
            }
            case Operation.VifHotplug h -> {
                return one(new Atomic.VifSetActive(h.id(), true), new Atomic.VifPlug(h.id()));
            }
            case Operation.VifHotunplug h -> {
                return one(new Atomic.VifUnplug(h.id(), h.force()), new Atomic.VifSetActive(h.id(), false));
            }
            default -> {
                return List.of();
            }
        }
    }

    private static List<Atomic> plugVbdsForStart(String typ, String id, List<Vbd> vbds) {
        List<Atomic> each = new ArrayList<>();
        for (Vbd vbd : vbds) {
            each.addAll(serial(
                    "VBD.activate_epoch_and_plug " + typ,
                    id,
                    concat(
                            one(new Atomic.VbdSetActive(vbd.id(), true)),
                            vbd.backend() == null
                                    ? List.of()
                                    : one(new Atomic.VbdEpochBegin(vbd.id(), vbd.backend(), vbd.persistent())),
                            one(new Atomic.VbdPlug(vbd.id())))));
        }
        return parallel("VBDs.activate_epoch_and_plug " + typ, id, each);
    }

    private static List<Atomic> activateAndPlugVifs(String id, List<Vif> vifs) {
        List<Atomic> each = new ArrayList<>();
        for (Vif vif : vifs) {
            each.addAll(serial(
                    "VIF.activate_and_plug",
                    id,
                    one(new Atomic.VifSetActive(vif.id(), true), new Atomic.VifPlug(vif.id()))));
        }
        return each;
    }

    private static List<Atomic> plugVbdsForRestore(String typ, String id, List<Vbd> vbds) {
        List<Atomic> each = new ArrayList<>();
        for (Vbd vbd : vbds) {
            each.addAll(serial(
                    "VBD.activate_and_plug " + typ,
                    id,
                    one(new Atomic.VbdSetActive(vbd.id(), true), new Atomic.VbdPlug(vbd.id()))));
        }
        return parallel("VBDs.activate_and_plug " + typ, id, each);
    }

    /** {@code verify_power_state}. */
    private void verifyPowerState(Operation op) {
        switch (op) {
            case Operation.VmStart s -> expect(s.vm(), PowerState.Halted);
            case Operation.VmReboot r -> expect(r.vm(), PowerState.Running, PowerState.Paused);
            case Operation.VmResume r -> expect(r.vm(), PowerState.Suspended, PowerState.Halted);
            default -> {}
        }
    }

    private void expect(String vmId, PowerState... allowed) {
        PowerState p = powerState(vmId);
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
            case Atomic.VbdPlug x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdUnplug x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdInsert x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VbdEject x -> immediateOperation(t.dbg, new Operation.VbdCheckState(x.id()));
            case Atomic.VifSetActive x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifPlug x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
            case Atomic.VifUnplug x -> immediateOperation(t.dbg, new Operation.VifCheckState(x.id()));
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
            case Atomic.VbdSetActive x -> x.id().vm();
            case Atomic.VbdEpochBegin x -> x.id().vm();
            case Atomic.VbdEpochEnd x -> x.id().vm();
            case Atomic.VbdPlug x -> x.id().vm();
            case Atomic.VbdUnplug x -> x.id().vm();
            case Atomic.VbdInsert x -> x.id().vm();
            case Atomic.VbdEject x -> x.id().vm();
            case Atomic.VifSetActive x -> x.id().vm();
            case Atomic.VifPlug x -> x.id().vm();
            case Atomic.VifUnplug x -> x.id().vm();
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
                if (powerState(id) == PowerState.Running) {
                    LOG.log(System.Logger.Level.INFO, "VM " + id + " is already running");
                } else {
                    performAtomics(atomicsOf(op), t);
                    signalVm(id);
                }
            }
            case Operation.VmReboot r -> {
                rebooting.add(id);
                try {
                    performAtomics(atomicsOf(op), t);
                } finally {
                    rebooting.remove(id);
                }
                signalVm(id);
            }
            case Operation.VmPoweroff p -> {
                performAtomics(atomicsOf(op), t);
                signalVm(id);
            }
            case Operation.VmShutdown p -> {
                performAtomics(atomicsOf(op), t);
                signalVm(id);
            }
            case Operation.VmSuspend p -> {
                performAtomics(atomicsOf(op), t);
                signalVm(id);
            }
            case Operation.VmResume p -> {
                performAtomics(atomicsOf(op), t);
                signalVm(id);
            }
            case Operation.VmCheckState c -> checkVmState(id, t);
            case Operation.VbdCheckState c -> {
                vbdExn(c.id());
                PowerState p = powerState(id);
                if (p != PowerState.Running && p != PowerState.Paused) {
                    performExn(new Operation.AtomicOp(id, new Atomic.VbdUnplug(c.id(), true)), t);
                }
                signalVbd(c.id());
            }
            case Operation.VifCheckState c -> {
                vifExn(c.id());
                PowerState p = powerState(id);
                if (p != PowerState.Running && p != PowerState.Paused) {
                    performExn(new Operation.AtomicOp(id, new Atomic.VifUnplug(c.id(), true)), t);
                }
            }
            case Operation.AtomicOp a -> performAtomic(a.atomic(), t);
            default -> performAtomics(atomicsOf(op), t);
        }
    }

    /** {@code VM_check_state}: act on the domain's request (or finish off a domain a failure left behind). */
    private void checkVmState(String id, SimTask t) {
        VmEntry e = vmExn(id);
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
        signalVm(id);
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
            signalTask(t.id);
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
                t.sleep(delays.getOrDefault(op.name(), 0L));
                performLeaf(op, t);
            }
        }
    }

    private void performLeaf(Atomic op, SimTask t) {
        switch (op) {
            case Atomic.VmHookScript h -> {}
            case Atomic.VmCreate c -> createDomain(c.vm());
            case Atomic.VmBuild b -> buildDomain(b.vm());
            case Atomic.VmCreateDeviceModel c -> updateDomain(c.vm(), d -> d.withQemuCreated(true));
            case Atomic.VmDestroyDeviceModel c ->
                update(
                        c.vm(),
                        e -> e == null || e.domain() == null
                                ? e
                                : e.withDomain(e.domain().withQemuCreated(false)));
            case Atomic.VmDestroy c ->
                update(
                        c.vm(),
                        e -> e == null || e.domain() == null || e.domain().suspended()
                                ? e
                                : e.withDomain(null)); // a suspended domain's state is kept
            case Atomic.VmPause p -> {
                vmExn(p.vm());
                setPaused(p.vm(), true);
                signalVm(p.vm());
            }
            case Atomic.VmUnpause u -> {
                if (powerState(u.vm()) == PowerState.Paused) {
                    setPaused(u.vm(), false);
                    signalVm(u.vm());
                } else {
                    LOG.log(System.Logger.Level.INFO, "VM " + u.vm() + " is not paused");
                }
            }
            case Atomic.VmSetDomainActionRequest r -> {
                vmExn(r.vm());
                update(
                        r.vm(),
                        e -> e == null || e.domain() == null
                                ? e
                                : e.withDomain(e.domain()
                                        .withActionRequest(r.request())
                                        .withSurvivable(r.request() == null
                                                || e.domain().survivable())));
            }
            case Atomic.VmShutdownDomain s -> {
                vmExn(s.vm());
                String req = switch (s.reason()) {
                    case Halt, PowerOff -> "Needs_poweroff";
                    case Reboot -> "Needs_reboot";
                    case Suspend, S3Suspend -> "Needs_suspend";
                };
                updateDomain(s.vm(), d -> d.withActionRequest(req));
                backendVmEvent(s.vm());
                // the simulated guest acknowledges at once and has shut down when wait_shutdown is asked
            }
            case Atomic.VmSave s -> {
                vmExn(s.vm());
                t.prohibitCancellation(); // just before suspending the domain, as xenopsd does
                signalTask(t.id);
                Domain d = domainExn(s.vm());
                writeSuspendImage(s.vm(), d, s.disk());
                updateDomain(s.vm(), x -> x.withSuspended(true, s.disk()));
            }
            case Atomic.VmRestore r -> {
                if (entry(r.vm()) == null) throw XenopsError.internalError("Failure(\"" + r.vm() + " doesn't exist\")");
                checkSuspendImage(r.vm(), r.disk());
                updateDomain(r.vm(), d -> d.withBuilt(true).withSuspended(false, null));
            }
            case Atomic.VmRemove r -> removeVm(r.vm());
            case Atomic.VmImportMetadata i -> importMetadata(i.md());
            case Atomic.VmDelay d -> t.sleep((long) (d.seconds() * 1000));
            case Atomic.VbdSetActive a -> {
                vbdExn(a.id());
                update(a.id().vm(), e -> e.withActive(activeKey("vbd", a.id()), a.active()));
                signalVbd(a.id());
            }
            case Atomic.VbdEpochBegin x -> {}
            case Atomic.VbdEpochEnd x -> {}
            case Atomic.VbdPlug p -> {
                addVbd(vbdExn(p.id()));
                signalVbd(p.id());
            }
            case Atomic.VbdUnplug u -> {
                try {
                    removeVbd(vbdExn(u.id()), u.force());
                } finally {
                    signalVbd(u.id());
                }
            }
            case Atomic.VbdInsert i -> {
                vbdExn(i.id());
                expect(i.id().vm(), PowerState.Running, PowerState.Paused);
                changeMedium(i.id(), i.disk());
                signalVbd(i.id());
            }
            case Atomic.VbdEject j -> {
                Vbd vbd = vbdExn(j.id());
                if (vbd.ty() == Vbd.Type.Disk) throw XenopsError.mediaNotEjectable();
                expect(j.id().vm(), PowerState.Running, PowerState.Paused);
                changeMedium(j.id(), null);
                signalVbd(j.id());
            }
            case Atomic.VifSetActive a -> {
                vifExn(a.id());
                update(a.id().vm(), e -> e.withActive(activeKey("vif", a.id()), a.active()));
                signalVif(a.id());
            }
            case Atomic.VifPlug p -> {
                addVif(vifExn(p.id()));
                signalVif(p.id());
            }
            case Atomic.VifUnplug u -> {
                try {
                    removeVif(vifExn(u.id()), u.force());
                } finally {
                    signalVif(u.id());
                }
            }
            case Atomic.Parallel p -> throw new IllegalStateException("not a leaf");
            case Atomic.Serial s -> throw new IllegalStateException("not a leaf");
            case Atomic.BestEffort b -> throw new IllegalStateException("not a leaf");
        }
    }

    // ------------------------------------------------------------------------------------------- backend

    private int allocateDomid() { // with m held
        if (nextDomid < 0) {
            int highest = 0;
            for (VmEntry e : vms.values())
                if (e.domain() != null) highest = Math.max(highest, e.domain().domid());
            nextDomid = highest + 1;
        }
        return nextDomid++;
    }

    private void createDomain(String vmId) {
        update(vmId, e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vmId + "/config");
            Domain d = e.domain();
            if (d != null) {
                if (!d.suspended()) throw XenopsError.alreadyExists("domain", vmId);
                return e.withDomain(d.withSurvivable(false));
            }
            Vm vm = e.vm();
            double shadow = vm.ty() instanceof Vm.Hvm h ? h.info().shadowMultiplier() : 1.0;
            return e.withDomain(new Domain(
                    allocateDomid(),
                    vmId,
                    vm.ty().isHvm(),
                    null,
                    true,
                    false,
                    vm.vcpus(),
                    shadow,
                    vm.memoryDynamicMin(),
                    vm.memoryDynamicMax(),
                    false,
                    false,
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    vm.xsdata(),
                    System.currentTimeMillis() / 1000.0,
                    false,
                    null));
        });
    }

    private void buildDomain(String vmId) {
        update(vmId, e -> {
            if (e == null || e.domain() == null) throw XenopsError.doesNotExist("domain", vmId);
            long needed = e.domain().memoryDynamicMax();
            long used = 0;
            for (VmEntry o : vms.values()) {
                if (o != e && o.domain() != null && !o.domain().suspended())
                    used += o.domain().memoryDynamicMax();
            }
            long total = config.totalMemoryMib() * 1024L * 1024L;
            if (total - used < needed) throw XenopsError.notEnoughMemory(needed);
            return e.withDomain(e.domain().withBuilt(true));
        });
    }

    private void setPaused(String vmId, boolean paused) {
        updateDomain(vmId, d -> {
            if (!d.built() || (d.hvm() && !d.qemuCreated())) throw XenopsError.domainNotBuilt();
            return d.withPaused(paused);
        });
    }

    /** The simulator's {@code add_vbd}: the first free disk number when the VBD has no position. */
    private void addVbd(Vbd vbd) {
        String vmId = vbd.id().vm();
        updateDomain(vmId, d -> {
            int next = -1;
            List<org.xapijava.xenopsd.DeviceNumber> used = new ArrayList<>();
            for (Vbd p : d.vbds()) {
                if (p.id().equals(vbd.id())) { // already plugged (the upstream simulator would plug it twice)
                    throw XenopsError.alreadyExists("vbd", debugString(p.position()));
                }
                if (p.position() != null) {
                    used.add(p.position());
                    next = Math.max(next, p.position().disk());
                }
            }
            org.xapijava.xenopsd.DeviceNumber pos = vbd.position();
            if (pos == null) {
                pos = org.xapijava.xenopsd.DeviceNumber.ofDiskNumber(d.hvm(), next + 1)
                        .orElseThrow(
                                () -> XenopsError.internalError("Ran out of available device numbers for the vbd"));
            }
            if (used.contains(pos)) {
                throw XenopsError.alreadyExists("vbd", debugString(pos));
            }
            List<Vbd> vbds = new ArrayList<>();
            vbds.add(vbd.withPosition(pos)); // newest first: the list is in reverse plug order
            vbds.addAll(d.vbds());
            return d.withVbds(vbds);
        });
    }

    /** {@code Device_number.to_debug_string}. */
    private static String debugString(org.xapijava.xenopsd.DeviceNumber n) {
        return n == null ? "None" : n.bus() + "(" + n.disk() + ", " + n.partition() + ")";
    }

    private void removeVbd(Vbd vbd, boolean force) {
        update(vbd.id().vm(), e -> {
            if (e == null || e.domain() == null) return e; // no domain: nothing is plugged
            List<Vbd> rest = new ArrayList<>();
            for (Vbd p : e.domain().vbds()) if (!p.id().equals(vbd.id())) rest.add(p);
            if (rest.size() == e.domain().vbds().size()) {
                if (force) return e;
                throw XenopsError.deviceNotConnected();
            }
            return e.withDomain(e.domain().withVbds(rest));
        });
    }

    private void changeMedium(DeviceId id, Disk disk) {
        updateDomain(id.vm(), d -> {
            List<Vbd> vbds = new ArrayList<>();
            boolean found = false;
            for (Vbd p : d.vbds()) {
                if (p.id().equals(id)) {
                    found = true;
                    if (disk != null && p.backend() != null) throw XenopsError.mediaPresent();
                    if (disk == null && p.backend() == null) throw XenopsError.mediaNotPresent();
                    vbds.add(p.withBackend(disk));
                } else {
                    vbds.add(p);
                }
            }
            if (!found) throw XenopsError.deviceNotConnected();
            return d.withVbds(vbds);
        });
    }

    private void addVif(Vif vif) {
        updateDomain(vif.id().vm(), d -> {
            for (Vif p : d.vifs()) {
                if (p.position() == vif.position())
                    throw XenopsError.alreadyExists("vif", Integer.toString(vif.position()));
            }
            List<Vif> vifs = new ArrayList<>();
            vifs.add(vif);
            vifs.addAll(d.vifs());
            return d.withVifs(vifs);
        });
    }

    private void removeVif(Vif vif, boolean force) {
        update(vif.id().vm(), e -> {
            if (e == null || e.domain() == null) return e;
            List<Vif> rest = new ArrayList<>();
            for (Vif p : e.domain().vifs()) if (!p.id().equals(vif.id())) rest.add(p);
            if (rest.size() == e.domain().vifs().size()) {
                if (force) return e;
                throw XenopsError.deviceNotConnected();
            }
            return e.withDomain(e.domain().withVifs(rest));
        });
    }

    private static final String IMAGE_MAGIC = "xapi-java simulated suspend image v1";

    private void writeSuspendImage(String vmId, Domain d, Disk disk) {
        if (!(disk instanceof Disk.Local l)) return; // a VDI: the record in the domain is the image
        String text = IMAGE_MAGIC + "\nvm=" + vmId + "\ndomid=" + d.domid() + "\nmemory=" + d.memoryDynamicMax() + "\n";
        try {
            Files.writeString(Path.of(l.path()), text, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write suspend image " + l.path() + ": " + e);
            throw new XenopsError("IO_error", List.of());
        }
    }

    private void checkSuspendImage(String vmId, Disk disk) {
        if (!(disk instanceof Disk.Local l)) return;
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(l.path()), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw XenopsError.internalError("suspend image " + l.path() + " does not exist");
        } catch (IOException | RuntimeException e) {
            throw new XenopsError("IO_error", List.of());
        }
        if (lines.size() < 2
                || !lines.get(0).equals(IMAGE_MAGIC)
                || !lines.get(1).equals("vm=" + vmId)) {
            throw XenopsError.internalError("suspend image " + l.path() + " is not an image of VM " + vmId);
        }
    }

    private void removeVm(String vmId) {
        expect(vmId, PowerState.Halted, PowerState.Suspended);
        update(vmId, now -> {
            if (now != null) {
                for (Vbd v : now.vbds()) updates.remove(new DynamicId.Vbd(v.id()));
                for (Vif v : now.vifs()) updates.remove(new DynamicId.Vif(v.id()));
                updates.remove(new DynamicId.Vm(vmId));
            }
            return null;
        });
    }

    // ------------------------------------------------------------------------------------------- metadata

    /** {@code import_metadata}: replaces the VM and its devices; devices no longer listed are removed. */
    private String importMetadata(Metadata md) {
        String vmId = md.vm().id();
        Vm vm = md.vm();
        if (!vm.platformdata().containsKey("featureset")) {
            // a VM from a host without CPU levelling gets every feature this host offers
            Map<String, String> pd = new LinkedHashMap<>();
            pd.put(
                    "featureset",
                    vm.ty() instanceof Vm.Pv
                            ? hostStat("").cpuInfo().featuresPv()
                            : hostStat("").cpuInfo().featuresHvm());
            pd.putAll(vm.platformdata());
            vm = vm.toBuilder().platformdata(pd).build();
        }
        List<Vbd> vbds = new ArrayList<>();
        for (Vbd v : md.vbds()) {
            String name = v.id().name().startsWith("hd") ? "xvd" + v.id().name().substring(2) : v.id().name();
            vbds.add(new Vbd(
                    new DeviceId(vmId, name),
                    v.position(),
                    v.mode(),
                    v.backend(),
                    v.ty(),
                    v.unpluggable(),
                    v.extraBackendKeys(),
                    v.extraPrivateKeys(),
                    v.qos(),
                    v.persistent(),
                    v.canAttachEarly()));
        }
        List<Vif> vifs = new ArrayList<>();
        for (Vif v : md.vifs()) vifs.add(withMac(v, new DeviceId(vmId, v.id().name())));
        Domain imported = md.domains() == null ? null : parseDomain(md.domains());
        final Vm newVm = vm;
        Map<DynamicId, Boolean> removed = new LinkedHashMap<>();
        update(vmId, old -> {
            if (old != null) {
                // devices no longer in the metadata must not be plugged (VBD_DB.remove')
                for (Vbd v : old.vbds()) {
                    if (vbds.stream().noneMatch(n -> n.id().equals(v.id()))) {
                        if (vbdState(old, v).plugged()) throw XenopsError.deviceIsConnected();
                        removed.put(new DynamicId.Vbd(v.id()), true);
                    }
                }
                for (Vif v : old.vifs()) {
                    if (vifs.stream().noneMatch(n -> n.id().equals(v.id()))) {
                        if (vifState(old, v).plugged()) throw XenopsError.deviceIsConnected();
                        removed.put(new DynamicId.Vif(v.id()), true);
                    }
                }
            }
            Domain d = imported != null ? imported : old == null ? null : old.domain();
            Map<String, Boolean> active = old == null ? Map.of() : old.active();
            return new VmEntry(newVm, vbds, vifs, md.pcis(), md.vgpus(), md.vusbs(), d, active);
        });
        for (DynamicId id : removed.keySet()) updates.remove(id);
        return vmId;
    }

    /**
     * {@code VIF_DB.add'}: {@code v} stored as {@code id}; {@code "random"} and {@code ""} MACs are generated as
     * xenopsd does.
     */
    private static Vif withMac(Vif v, DeviceId id) {
        String mac = switch (v.mac()) {
            case "random" -> randomLocalMac();
            case "" -> hashchainLocalMac(v.position(), id.vm());
            default -> v.mac();
        };
        if (mac.equals(v.mac()) && id.equals(v.id())) return v;
        return new Vif(
                id,
                v.position(),
                mac,
                v.carrier(),
                v.mtu(),
                v.rate(),
                v.backend(),
                v.otherConfig(),
                v.lockingMode(),
                v.extraPrivateKeys(),
                v.ipv4Configuration(),
                v.ipv6Configuration(),
                v.pvsProxy(),
                v.vlan(),
                v.trunks());
    }

    private static String makeLocalMac(int[] b) {
        b[0] = (b[0] | 0x2) & ~0x1; // locally administered, unicast
        if (b[0] == 0xfe) b[0] = 0xfd; // libvirt rejects the reserved 0xfe
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    }

    static String randomLocalMac() {
        int[] b = new int[6];
        for (int i = 0; i < 6; i++) b[i] = RANDOM.nextInt(256);
        return makeLocalMac(b);
    }

    /** {@code Mac.hashchain_local_mac dev seed}: MD5 applied {@code 2*dev+1} times to the seed. */
    static String hashchainLocalMac(int dev, String seed) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            byte[] h = seed.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < dev * 2 + 1; i++) h = md5.digest(h);
            byte[] h2 = md5.digest(h);
            return makeLocalMac(
                    new int[] {h[0] & 0xff, h[1] & 0xff, h[2] & 0xff, h[3] & 0xff, h2[1] & 0xff, h2[2] & 0xff});
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Domain parseDomain(String json) {
        try {
            return Domain.fromRpc(STATE_JSON.parseValue(json.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw XenopsError.internalError("Failed to unmarshal Domain.t: " + e.getMessage());
        }
    }

    private static Metadata parseMetadata(String json) {
        try {
            return Metadata.fromJson(json);
        } catch (RuntimeException e) {
            throw XenopsError.internalError("Unable to unmarshal metadata: " + e.getMessage());
        }
    }

    // =========================================================================================== the API

    @Override
    public Query query(String dbg) {
        return new Query("xenops", "XCP", "0.1", List.of(), instanceId);
    }

    /** The simulator's host: xenopsd's skeleton backend figures. */
    @Override
    public HostStat hostStat(String dbg) {
        return new HostStat(
                new HostStat.CpuInfo(0, 0, 0, 0, "unknown", "", "", "", "", "", "", "", "", "", "", ""),
                new HostStat.Hypervisor("", ""),
                new HostStat.ChipsetInfo(false, false));
    }

    @Override
    public long hostTotalMemoryMib(String dbg) {
        return config.totalMemoryMib();
    }

    @Override
    public String hostConsoleData(String dbg) {
        return "Xen simulator";
    }

    @Override
    public String vmImportMetadata(String dbg, String metadataJson) {
        Metadata md = parseMetadata(metadataJson);
        String id = md.vm().id();
        Operation op = new Operation.AtomicOp(id, new Atomic.VmImportMetadata(id, md));
        if (entry(id) != null) {
            // a running VM's metadata may be replaced; queued so that ongoing operations see no sudden change
            SimTask t = queueOperationAndWait(dbg, op);
            if (tasks.containsKey(t.id)) destroyTask(t.id);
        } else {
            immediateOperation(dbg, op);
        }
        return id;
    }

    @Override
    public String vmImportMetadataAsync(String dbg, String metadataJson) {
        Metadata md = parseMetadata(metadataJson);
        String id = md.vm().id();
        return queueOperation(dbg, new Operation.AtomicOp(id, new Atomic.VmImportMetadata(id, md))).id;
    }

    @Override
    public String vmExportMetadata(String dbg, String vmId) {
        VmEntry e = vmExn(vmId);
        String domains =
                e.domain() == null ? null : JsonRpcCodec.toJson(e.domain().toRpc());
        return new Metadata(e.vm(), e.vbds(), e.vifs(), e.pcis(), e.vgpus(), e.vusbs(), domains).toJson();
    }

    @Override
    public String vmAdd(String dbg, Vm vm) {
        update(
                vm.id(),
                e -> e == null
                        ? new VmEntry(vm, List.of(), List.of(), List.of(), List.of(), List.of(), null, Map.of())
                        : new VmEntry(vm, e.vbds(), e.vifs(), e.pcis(), e.vgpus(), e.vusbs(), e.domain(), e.active()));
        return vm.id();
    }

    @Override
    public void vmRemove(String dbg, String vmId) {
        SimTask t = queueOperationAndWait(dbg, new Operation.AtomicOp(vmId, new Atomic.VmRemove(vmId)));
        if (tasks.containsKey(t.id)) destroyTask(t.id);
        if (t.state() instanceof TaskInfo.Failed f) throw f.toError();
    }

    @Override
    public String vmStart(String dbg, String vmId, boolean force) {
        return queueOperation(dbg, new Operation.VmStart(vmId, force)).id;
    }

    @Override
    public String vmShutdown(String dbg, String vmId, Double delayOrNull) {
        return queueOperation(dbg, new Operation.VmPoweroff(vmId, delayOrNull)).id;
    }

    @Override
    public String vmReboot(String dbg, String vmId, Double delayOrNull) {
        return queueOperation(dbg, new Operation.VmReboot(vmId, delayOrNull)).id;
    }

    @Override
    public String vmSuspend(String dbg, String vmId, Disk disk) {
        return queueOperation(dbg, new Operation.VmSuspend(vmId, Objects.requireNonNull(disk))).id;
    }

    @Override
    public String vmResume(String dbg, String vmId, Disk disk) {
        return queueOperation(dbg, new Operation.VmResume(vmId, Objects.requireNonNull(disk))).id;
    }

    @Override
    public String vmPause(String dbg, String vmId) {
        return queueOperation(dbg, new Operation.AtomicOp(vmId, new Atomic.VmPause(vmId))).id;
    }

    @Override
    public String vmUnpause(String dbg, String vmId) {
        return queueOperation(dbg, new Operation.AtomicOp(vmId, new Atomic.VmUnpause(vmId))).id;
    }

    @Override
    public VmStat vmStat(String dbg, String vmId) {
        VmEntry e = vmExn(vmId);
        VmState s = vmState(e);
        if (rebooting.contains(vmId) && s.powerState() != PowerState.Running) s = withPower(s, PowerState.Running);
        return new VmStat(e.vm(), s);
    }

    private static VmState withPower(VmState s, PowerState p) {
        return new VmState(
                p,
                s.domids(),
                s.consoles(),
                s.memoryTarget(),
                s.memoryActual(),
                s.memoryLimit(),
                s.vcpuTarget(),
                s.shadowMultiplierTarget(),
                s.rtcTimeoffset(),
                s.uncooperativeBalloonDriver(),
                s.guestAgent(),
                s.xsdataState(),
                s.pvDriversDetected(),
                s.lastStartTime(),
                s.hvm(),
                s.nomigrate(),
                s.nestedVirt(),
                s.domainType(),
                s.featureset(),
                s.numaOptimised(),
                s.numaNodes(),
                s.numaNodeMemory());
    }

    @Override
    public boolean vmExists(String dbg, String vmId) {
        return entry(vmId) != null;
    }

    @Override
    public List<VmStat> vmList(String dbg) {
        List<VmEntry> all;
        m.lock();
        try {
            all = new ArrayList<>(vms.values());
        } finally {
            m.unlock();
        }
        List<VmStat> r = new ArrayList<>(all.size());
        for (VmEntry e : all) r.add(new VmStat(e.vm(), vmState(e)));
        return r;
    }

    @Override
    public DeviceId vbdAdd(String dbg, Vbd vbd) {
        update(vbd.id().vm(), e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vbd.id().vm());
            return e.withVbds(replacedOrAdded(e.vbds(), vbd, Vbd::id));
        });
        return vbd.id();
    }

    /** {@code list} with the device that has {@code device}'s id replaced by it, or else {@code device} appended. */
    private static <T> List<T> replacedOrAdded(List<T> list, T device, Function<T, DeviceId> idOf) {
        List<T> r = new ArrayList<>(list);
        for (int i = 0; i < r.size(); i++) {
            if (idOf.apply(r.get(i)).equals(idOf.apply(device))) {
                r.set(i, device);
                return r;
            }
        }
        r.add(device);
        return r;
    }

    @Override
    public String vbdPlug(String dbg, DeviceId id) {
        return queueOperation(dbg, new Operation.VbdHotplug(id)).id;
    }

    @Override
    public String vbdUnplug(String dbg, DeviceId id, boolean force) {
        return queueOperation(dbg, new Operation.VbdHotunplug(id, force)).id;
    }

    @Override
    public String vbdEject(String dbg, DeviceId id) {
        return queueOperation(dbg, new Operation.AtomicOp(id.vm(), new Atomic.VbdEject(id))).id;
    }

    @Override
    public String vbdInsert(String dbg, DeviceId id, Disk disk) {
        return queueOperation(dbg, new Operation.AtomicOp(id.vm(), new Atomic.VbdInsert(id, disk))).id;
    }

    @Override
    public VbdStat vbdStat(String dbg, DeviceId id) {
        Vbd vbd = vbdExn(id);
        return new VbdStat(vbd, vbdState(entry(id.vm()), vbd));
    }

    @Override
    public List<VbdStat> vbdList(String dbg, String vmId) {
        VmEntry e = entry(vmId);
        if (e == null) return List.of();
        List<VbdStat> r = new ArrayList<>();
        for (Vbd v : e.vbds()) r.add(new VbdStat(v, vbdState(e, v)));
        return r;
    }

    @Override
    public void vbdRemove(String dbg, DeviceId id) {
        update(id.vm(), e -> {
            Vbd v = e == null ? null : e.vbd(id.name());
            if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vbd." + id.name());
            if (vbdState(e, v).plugged()) throw XenopsError.deviceIsConnected();
            List<Vbd> rest = new ArrayList<>(e.vbds());
            rest.remove(v);
            return e.withVbds(rest);
        });
        updates.remove(new DynamicId.Vbd(id));
    }

    @Override
    public DeviceId vifAdd(String dbg, Vif vif) {
        update(vif.id().vm(), e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vif.id().vm());
            return e.withVifs(replacedOrAdded(e.vifs(), withMac(vif, vif.id()), Vif::id));
        });
        return vif.id();
    }

    @Override
    public String vifPlug(String dbg, DeviceId id) {
        return queueOperation(dbg, new Operation.VifHotplug(id)).id;
    }

    @Override
    public String vifUnplug(String dbg, DeviceId id, boolean force) {
        return queueOperation(dbg, new Operation.VifHotunplug(id, force)).id;
    }

    @Override
    public VifStat vifStat(String dbg, DeviceId id) {
        Vif vif = vifExn(id);
        return new VifStat(vif, vifState(entry(id.vm()), vif));
    }

    @Override
    public List<VifStat> vifList(String dbg, String vmId) {
        VmEntry e = entry(vmId);
        if (e == null) return List.of();
        List<VifStat> r = new ArrayList<>();
        for (Vif v : e.vifs()) r.add(new VifStat(v, vifState(e, v)));
        return r;
    }

    @Override
    public void vifRemove(String dbg, DeviceId id) {
        update(id.vm(), e -> {
            Vif v = e == null ? null : e.vif(id.name());
            if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vif." + id.name());
            if (vifState(e, v).plugged()) throw XenopsError.deviceIsConnected();
            List<Vif> rest = new ArrayList<>(e.vifs());
            rest.remove(v);
            return e.withVifs(rest);
        });
        updates.remove(new DynamicId.Vif(id));
    }

    @Override
    public TaskInfo taskStat(String dbg, String taskId) {
        return taskExn(taskId).info();
    }

    @Override
    public void taskCancel(String dbg, String taskId) {
        taskExn(taskId).cancel();
    }

    @Override
    public void taskDestroy(String dbg, String taskId) {
        destroyTask(taskId);
    }

    @Override
    public void taskDestroyOnFinish(String dbg, String taskId) {
        if (taskExn(taskId).destroyOnFinish() && tasks.containsKey(taskId)) destroyTask(taskId);
    }

    @Override
    public List<TaskInfo> taskList(String dbg) {
        List<SimTask> ts = new ArrayList<>(tasks.values());
        ts.sort((a, b) -> a.id.compareTo(b.id));
        List<TaskInfo> r = new ArrayList<>(ts.size());
        for (SimTask t : ts) r.add(t.info());
        return r;
    }

    @Override
    public Updates updatesGet(String dbg, Integer lastIdOrNull, Integer timeoutSecondsOrNull) {
        try {
            return updates.get(lastIdOrNull, timeoutSecondsOrNull);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw XenopsError.internalError("interrupted");
        }
    }

    @Override
    public int updatesLastId(String dbg) {
        return updates.lastId();
    }

    @Override
    public void updatesInjectBarrier(String dbg, String vmId, int id) {
        updates.injectBarrier(id, k -> !(k instanceof DynamicId.Task) && vmId.equals(k.vmId()));
    }

    @Override
    public void updatesRemoveBarrier(String dbg, int id) {
        updates.removeBarrier(id);
    }

    @Override
    public void updatesRefreshVm(String dbg, String vmId) {
        signalVm(vmId);
        VmEntry e = entry(vmId);
        if (e == null) return;
        for (Vbd v : e.vbds()) signalVbd(v.id());
        for (Vif v : e.vifs()) signalVif(v.id());
    }

    /**
     * {@code DEBUG.trigger}; see the class comment for the commands.
     *
     * @throws XenopsError {@code Unimplemented cmd} for an unknown command or wrong arguments
     */
    @Override
    public void debugTrigger(String dbg, String cmd, List<String> args) {
        switch (cmd) {
            case "set-cancel-trigger" -> {
                if (args.size() != 2) throw XenopsError.unimplemented(cmd);
                int n;
                try {
                    n = Integer.parseInt(args.get(1));
                } catch (NumberFormatException e) {
                    throw XenopsError.internalError("Failure(\"int_of_string\")");
                }
                m.lock();
                try {
                    cancelTriggerDbg = args.get(0);
                    cancelTriggerAt = n;
                } finally {
                    m.unlock();
                }
            }
            case "reboot", "halt", "crash" -> {
                if (args.size() != 1) throw XenopsError.unimplemented(cmd);
                String req = switch (cmd) {
                    case "reboot" -> "Needs_reboot";
                    case "halt" -> "Needs_poweroff";
                    default -> "Needs_crashdump";
                };
                updateDomain(args.get(0), d -> d.withActionRequest(req));
                backendVmEvent(args.get(0));
            }
            case "check-vbd-plug-ordering" -> {
                if (args.size() != 1) throw XenopsError.unimplemented(cmd);
                List<Vbd> plugOrder = new ArrayList<>(domainExn(args.get(0)).vbds());
                Collections.reverse(plugOrder);
                List<List<Vbd>> sets = vbdPlugSets(plugOrder);
                List<Vbd> expected = new ArrayList<>(sets.get(0));
                expected.addAll(sets.get(1));
                if (!expected.equals(plugOrder)) throw XenopsError.internalError("check-vbd-plug-ordering");
            }
            case "guest-agent" -> {
                if (args.size() != 2 || !List.of("on", "off").contains(args.get(1)))
                    throw XenopsError.unimplemented(cmd);
                vmExn(args.get(0));
                if (args.get(1).equals("off")) withoutGuestAgent.add(args.get(0));
                else withoutGuestAgent.remove(args.get(0));
                backendVmEvent(args.get(0));
            }
            case "set-delay" -> {
                if (args.size() != 2) throw XenopsError.unimplemented(cmd);
                try {
                    checkStepName(args.get(0));
                    long ms = Long.parseLong(args.get(1));
                    if (ms < 0) throw new NumberFormatException("negative");
                    delays.put(args.get(0), ms);
                } catch (IllegalArgumentException e) {
                    throw XenopsError.internalError("set-delay: " + e.getMessage());
                }
            }
            case "wedge" -> {
                if (args.size() != 1) throw XenopsError.unimplemented(cmd);
                double secs;
                try {
                    secs = Double.parseDouble(args.get(0));
                } catch (NumberFormatException e) {
                    throw XenopsError.internalError("wedge: " + e.getMessage());
                }
                wedgeLock.lock();
                try {
                    wedged = secs > 0;
                    wedgedUntilNanos = System.nanoTime() + (long) (secs * 1e9);
                    unwedged.signalAll();
                } finally {
                    wedgeLock.unlock();
                }
            }
            default -> throw XenopsError.unimplemented(cmd);
        }
    }

    /**
     * Blocks while the simulator is wedged ({@code DEBUG.trigger "wedge"}); the socket server calls this before
     * answering each call.
     */
    public void awaitUnwedged() throws InterruptedException {
        wedgeLock.lock();
        try {
            while (wedged && !closed) {
                long left = wedgedUntilNanos - System.nanoTime();
                if (left <= 0) {
                    wedged = false;
                    return;
                }
                unwedged.awaitNanos(left);
            }
        } finally {
            wedgeLock.unlock();
        }
    }
}
