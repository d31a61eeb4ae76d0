package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
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
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.VifStat;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.VmState;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;

/**
 * A simulated xenopsd: xenopsd's generic engine ({@code ocaml/xenopsd/lib/xenops_server.ml}) over a simulated
 * hypervisor in the manner of its simulator backend ({@code ocaml/xenopsd/lib/xenops_server_simulator.ml}).
 * Usable in-process (it is a {@link Xenops}) and served on a Unix socket by {@link SimulatorServer}.
 *
 * <p>This class is the front door: it answers each call of the interface by handing it to the room that models
 * it. Where to look:
 * <ul>
 *   <li>{@link VmTable}: the VMs ({@link VmEntry}: metadata, devices, domain, active flags), their state files
 *       ({@link StateStore}) and the "object changed" signals;</li>
 *   <li>{@link Engine}: per-VM queues ({@link WorkQueues}), operations run as atomic steps ({@link Planner} builds
 *       the lists of {@link Atomic}s), progress, cancellation and clean-up; {@link StepDelays}: each step's
 *       simulated duration;</li>
 *   <li>{@link Domains}: domains and domids (create, build, pause, save/restore with {@link SuspendImages}, and the
 *       live changes: xsdata, vCPUs, shadow, memory range, S3); {@link HostMemory}: memory accounting;
 *       {@link Guest}: what the guest shows ({@link GuestXenstore}: its {@code vm-data}; {@link Balloons}: its
 *       memory moving toward the target);</li>
 *   <li>{@link Devices}: VBD/VIF configuration and hot-plug; {@link Macs}: generated MAC addresses;</li>
 *   <li>{@link Tasks} and {@link SimTask}: the task table, progress and cancellation;</li>
 *   <li>{@link UpdateLog}: the {@code UPDATES} stream with barriers;</li>
 *   <li>{@link StateReports}: what {@code VM/VBD/VIF.stat} report; {@link GuestAgent}: the simulated guest
 *       agent;</li>
 *   <li>{@link MetadataImport}: {@code VM.import_metadata} and {@code VM.export_metadata};</li>
 *   <li>{@link DebugHooks}: {@code DEBUG.trigger} (guest reboot/halt/crash, set-delay, wedge, guest-agent,
 *       set-cancel-trigger, check-vbd-plug-ordering).</li>
 * </ul>
 *
 * <p><b>State directory.</b> With a state directory, the hypervisor's state (VM metadata, devices, domains,
 * active flags) is kept in {@code <dir>/vms/<vm>.json}, written atomically on every change; a simulator started
 * on the same directory finds its VMs and running domains again, as xenopsd restarted on a host with running
 * domains does (tasks and the update counter start afresh, with a new {@code instance_id}). A fresh directory is
 * a host that has just booted. Without one, the state lives in memory only.
 *
 * <p>Thread-safe, as every room is. The one lock on the hypervisor state is {@link VmTable}'s, held only for
 * in-memory changes; file writes, simulated durations and waits happen outside it.
 */
public final class Simulator implements Xenops, AutoCloseable {

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
     * @param storageSocket  xapi's SMAPIv2 storage socket, through which VBD disks are attached and activated as
     *                       xenopsd does, or {@code null}: disks are only recorded
     */
    public record Config(
            Path stateDir,
            long totalMemoryMib,
            int workers,
            Map<String, Long> delaysMs,
            Path storageSocket,
            Path poolBundle) {
        public Config(Path stateDir, long totalMemoryMib, int workers, Map<String, Long> delaysMs) {
            this(stateDir, totalMemoryMib, workers, delaysMs, null, null);
        }

        public Config(Path stateDir, long totalMemoryMib, int workers, Map<String, Long> delaysMs, Path storageSocket) {
            this(stateDir, totalMemoryMib, workers, delaysMs, storageSocket, null);
        }

        public Config {
            if (totalMemoryMib <= 0) throw new IllegalArgumentException("totalMemoryMib must be positive");
            if (workers <= 0) throw new IllegalArgumentException("workers must be positive");
            delaysMs = Map.copyOf(delaysMs);
            for (String k : delaysMs.keySet()) StepDelays.checkStepName(k);
        }

        public static Config inMemory() {
            return new Config(null, DEFAULT_TOTAL_MEMORY_MIB, DEFAULT_WORKERS, Map.of());
        }

        public static Config persistent(Path stateDir) {
            return new Config(stateDir, DEFAULT_TOTAL_MEMORY_MIB, DEFAULT_WORKERS, Map.of());
        }

        public Config withDelays(Map<String, Long> d) {
            return new Config(stateDir, totalMemoryMib, workers, d, storageSocket, poolBundle);
        }

        public Config withTotalMemoryMib(long mib) {
            return new Config(stateDir, mib, workers, delaysMs, storageSocket, poolBundle);
        }

        /** With VBD disks attached through xapi's storage socket ({@code null}: only recorded). */
        public Config withStorageSocket(Path socket) {
            return new Config(stateDir, totalMemoryMib, workers, delaysMs, socket, poolBundle);
        }

        /**
         * With the pool's certificate bundle ({@code xapi-pool-ca-bundle.pem}) a migration with {@code verify_dest}
         * checks its destination against ({@code null}: such a migration fails).
         */
        public Config withPoolBundle(Path bundle) {
            return new Config(stateDir, totalMemoryMib, workers, delaysMs, storageSocket, bundle);
        }
    }

    private final Config config;
    private final ConsoleRing console;
    private final String instanceId = UUID.randomUUID().toString();
    private final UpdateLog updates = new UpdateLog();
    private final VmTable vms;
    private final Balloons balloons;
    private final Tasks tasks;
    private final GuestAgent guestAgent = new GuestAgent();
    private final GuestControl control;
    private final StateReports reports;
    private final Devices devices;
    private final MetadataImport metadata;
    private final VbdStorage storage;
    private final Engine engine;
    private final DebugHooks debug;
    private volatile boolean closed;

    private Simulator(Config config) throws IOException {
        this.config = config;
        this.console = new ConsoleRing(config.totalMemoryMib());
        StateStore store = config.stateDir() == null ? null : new StateStore(config.stateDir());
        this.vms = new VmTable(store, updates);
        this.balloons = new Balloons(vms);
        this.tasks = new Tasks(updates);
        this.devices = new Devices(vms);
        this.metadata = new MetadataImport(vms, skeletonHost());
        Domains domains = new Domains(vms, new HostMemory(config.totalMemoryMib()), guestAgent, balloons);
        StepDelays delays = new StepDelays(config.delaysMs());
        this.storage = VbdStorage.at(config.storageSocket());
        this.engine = new Engine(
                vms, tasks, domains, devices, metadata, delays, storage, config.workers(), config.poolBundle());
        this.control = new GuestControl(vms, vm -> {
            domains.requestAction(vm, "Needs_poweroff");
            engine.backendVmEvent(vm);
        });
        this.reports = new StateReports(guestAgent, control);
        this.debug = new DebugHooks(vms, tasks, domains, engine, guestAgent, control, delays);
        vms.registerObjects();
        balloons.resumeAll();
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

    /**
     * The VBD disks attached through the storage socket now: datapath ({@code vbd/<domid>/<vbd>}) → the backend the
     * storage service answered ({@code {implementations: [...]}}). Empty without a storage socket.
     */
    public Map<String, Object> attachedDisks() {
        return storage.attached();
    }

    /** Stops the workers (queued operations are dropped) and answers waiting {@code UPDATES.get}s. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        engine.close();
        storage.close();
        balloons.close();
        updates.close();
        debug.close();
    }

    /**
     * Blocks while the simulator is wedged ({@code DEBUG.trigger "wedge"}); the socket server calls this before
     * answering each call.
     */
    public void awaitUnwedged() throws InterruptedException {
        debug.awaitUnwedged();
    }

    /**
     * {@code DEBUG.trigger}; see {@link DebugHooks} for the commands.
     *
     * @throws XenopsError {@code Unimplemented cmd} for an unknown command or wrong arguments
     */
    @Override
    public void debugTrigger(String dbg, String cmd, List<String> args) {
        debug.trigger(cmd, args);
    }

    @Override
    public void xenstoreWrite(String dbg, String vmId, String path, String value) {
        control.write(vmId, path, value);
    }

    @Override
    public String xenstoreRead(String dbg, String vmId, String path) {
        return control.read(vmId, path);
    }

    /** The simulator's host: xenopsd's skeleton backend figures. */
    private static HostStat skeletonHost() {
        return new HostStat(
                new HostStat.CpuInfo(0, 0, 0, 0, "unknown", "", "", "", "", "", "", "", "", "", "", ""),
                new HostStat.Hypervisor("", ""),
                new HostStat.ChipsetInfo(false, false));
    }

    // =========================================================================================== the API

    @Override
    public Query query(String dbg) {
        return new Query("xenops", "XCP", "0.1", List.of(), instanceId);
    }

    /** The simulator's host: xenopsd's skeleton backend figures. */
    @Override
    public HostStat hostStat(String dbg) {
        return skeletonHost();
    }

    @Override
    public long hostTotalMemoryMib(String dbg) {
        return config.totalMemoryMib();
    }

    @Override
    public String hostConsoleData(String dbg) {
        return console.read();
    }

    @Override
    public void hostSendDebugKeys(String dbg, String keys) {
        console.debugKeys(keys);
    }

    @Override
    public String vmImportMetadata(String dbg, String metadataJson) {
        Metadata md = MetadataImport.parse(metadataJson);
        String id = md.vm().id();
        Operation op = new Operation.AtomicOp(id, new Atomic.VmImportMetadata(id, md));
        if (vms.get(id) != null) {
            // a running VM's metadata may be replaced; queued so that ongoing operations see no sudden change
            SimTask t = engine.queueOperationAndWait(dbg, op);
            tasks.destroyIfPresent(t.id);
        } else {
            engine.immediateOperation(dbg, op);
        }
        return id;
    }

    @Override
    public String vmImportMetadataAsync(String dbg, String metadataJson) {
        Metadata md = MetadataImport.parse(metadataJson);
        String id = md.vm().id();
        return engine.queueOperation(dbg, new Operation.AtomicOp(id, new Atomic.VmImportMetadata(id, md))).id;
    }

    @Override
    public String vmExportMetadata(String dbg, String vmId) {
        return metadata.exportMetadata(vmId);
    }

    @Override
    public String vmAdd(String dbg, Vm vm) {
        vms.update(vm.id(), e -> e == null ? VmEntry.of(vm) : e.withVm(vm));
        return vm.id();
    }

    @Override
    public void vmRemove(String dbg, String vmId) {
        SimTask t = engine.queueOperationAndWait(dbg, new Operation.AtomicOp(vmId, new Atomic.VmRemove(vmId)));
        tasks.destroyIfPresent(t.id);
        if (t.state() instanceof TaskInfo.Failed f) throw f.toError();
    }

    @Override
    public String vmStart(String dbg, String vmId, boolean force) {
        return engine.queueOperation(dbg, new Operation.VmStart(vmId, force)).id;
    }

    @Override
    public String vmShutdown(String dbg, String vmId, Double delayOrNull) {
        return engine.queueOperation(dbg, new Operation.VmPoweroff(vmId, delayOrNull)).id;
    }

    @Override
    public String vmReboot(String dbg, String vmId, Double delayOrNull) {
        return engine.queueOperation(dbg, new Operation.VmReboot(vmId, delayOrNull)).id;
    }

    @Override
    public String vmSuspend(String dbg, String vmId, Disk disk) {
        return engine.queueOperation(dbg, new Operation.VmSuspend(vmId, Objects.requireNonNull(disk))).id;
    }

    @Override
    public String vmResume(String dbg, String vmId, Disk disk) {
        return engine.queueOperation(dbg, new Operation.VmResume(vmId, Objects.requireNonNull(disk))).id;
    }

    @Override
    public String vmMigrate(
            String dbg,
            String vmId,
            String url,
            boolean localhostMigration,
            Map<String, String> vdiMap,
            Map<String, org.xapijava.xenopsd.Vif.Network> vifMap,
            boolean verifyDest) {
        return engine.queueOperation(
                        dbg, new Operation.VmMigrate(vmId, url, localhostMigration, vdiMap, vifMap, verifyDest))
                .id;
    }

    /**
     * The simulated guest of a running VM writes {@code data} at {@code offset} of the disk of its VBD {@code vbd}
     * (the device's name, e.g. {@code xvda}), through the path its datapath's backend gives, as a guest's block
     * driver does; it waits while the domain is paused or being switched to other disks. @throws XenopsError
     * {@code Does_not_exist} when the VM, its domain or an attached disk of that VBD is missing
     */
    public void guestDiskWrite(String vmId, String vbd, long offset, byte[] data) {
        storage.guestIo(vmId, domidOf(vmId), new DeviceId(vmId, vbd), offset, data, true);
    }

    /** The simulated guest reads {@code length} bytes at {@code offset} of its disk {@code vbd}, as {@link #guestDiskWrite}. */
    public byte[] guestDiskRead(String vmId, String vbd, long offset, int length) {
        byte[] b = new byte[length];
        storage.guestIo(vmId, domidOf(vmId), new DeviceId(vmId, vbd), offset, b, false);
        return b;
    }

    private java.util.function.IntSupplier domidOf(String vmId) {
        return () -> vms.domainExn(vmId).domid();
    }

    @Override
    public void vmReceiveMemory(String dbg, String vmId, String image) {
        SimTask t = engine.queueOperationAndWait(dbg, new Operation.VmReceiveMemory(vmId, image));
        tasks.destroyIfPresent(t.id);
        if (t.state() instanceof TaskInfo.Failed f) throw f.toError();
    }

    @Override
    public void vmReceiveMemoryComplete(String dbg, String vmId, boolean unpause) {
        SimTask t = engine.queueOperationAndWait(dbg, new Operation.VmReceiveMemoryComplete(vmId, unpause));
        tasks.destroyIfPresent(t.id);
        if (t.state() instanceof TaskInfo.Failed f) throw f.toError();
    }

    @Override
    public String vmPause(String dbg, String vmId) {
        return engine.queueOperation(dbg, new Operation.AtomicOp(vmId, new Atomic.VmPause(vmId))).id;
    }

    @Override
    public String vmUnpause(String dbg, String vmId) {
        return engine.queueOperation(dbg, new Operation.AtomicOp(vmId, new Atomic.VmUnpause(vmId))).id;
    }

    @Override
    public String vmSetXsdata(String dbg, String vmId, Map<String, String> xsdata) {
        return atomic(dbg, vmId, new Atomic.VmSetXsdata(vmId, xsdata));
    }

    @Override
    public String vmSetVcpus(String dbg, String vmId, int vcpus) {
        return atomic(dbg, vmId, new Atomic.VmSetVcpus(vmId, vcpus));
    }

    @Override
    public String vmSetShadowMultiplier(String dbg, String vmId, double multiplier) {
        return atomic(dbg, vmId, new Atomic.VmSetShadowMultiplier(vmId, multiplier));
    }

    @Override
    public String vmSetMemoryDynamicRange(String dbg, String vmId, long min, long max) {
        return atomic(dbg, vmId, new Atomic.VmSetMemoryDynamicRange(vmId, min, max));
    }

    @Override
    public String vmRequestRdp(String dbg, String vmId, boolean enabled) {
        return atomic(dbg, vmId, new Atomic.VmRequestRdp(vmId, enabled));
    }

    @Override
    public String vmRunScript(String dbg, String vmId, String script) {
        return atomic(dbg, vmId, new Atomic.VmRunScript(vmId, script));
    }

    @Override
    public String vmS3suspend(String dbg, String vmId) {
        return atomic(dbg, vmId, new Atomic.VmS3suspend(vmId));
    }

    @Override
    public String vmS3resume(String dbg, String vmId) {
        return atomic(dbg, vmId, new Atomic.VmS3resume(vmId));
    }

    /** {@code queue_operation dbg id (Atomic a)}: the task id. */
    private String atomic(String dbg, String vmId, Atomic a) {
        return engine.queueOperation(dbg, new Operation.AtomicOp(vmId, a)).id;
    }

    @Override
    public VmStat vmStat(String dbg, String vmId) {
        VmEntry e = vms.vmExn(vmId);
        VmState s = reports.vmState(e);
        if (engine.rebooting(vmId) && s.powerState() != PowerState.Running)
            s = StateReports.withPower(s, PowerState.Running);
        return new VmStat(e.vm(), s);
    }

    @Override
    public boolean vmExists(String dbg, String vmId) {
        return vms.get(vmId) != null;
    }

    @Override
    public List<VmStat> vmList(String dbg) {
        List<VmEntry> all = vms.all();
        List<VmStat> r = new ArrayList<>(all.size());
        for (VmEntry e : all) r.add(new VmStat(e.vm(), reports.vmState(e)));
        return r;
    }

    @Override
    public DeviceId vbdAdd(String dbg, Vbd vbd) {
        devices.addVbdConfig(vbd);
        return vbd.id();
    }

    @Override
    public String vbdPlug(String dbg, DeviceId id) {
        return engine.queueOperation(dbg, new Operation.VbdHotplug(id)).id;
    }

    @Override
    public String vbdUnplug(String dbg, DeviceId id, boolean force) {
        return engine.queueOperation(dbg, new Operation.VbdHotunplug(id, force)).id;
    }

    @Override
    public String vbdEject(String dbg, DeviceId id) {
        return engine.queueOperation(dbg, new Operation.AtomicOp(id.vm(), new Atomic.VbdEject(id))).id;
    }

    @Override
    public String vbdInsert(String dbg, DeviceId id, Disk disk) {
        return engine.queueOperation(dbg, new Operation.AtomicOp(id.vm(), new Atomic.VbdInsert(id, disk))).id;
    }

    @Override
    public VbdStat vbdStat(String dbg, DeviceId id) {
        Vbd vbd = vms.vbdExn(id);
        return new VbdStat(vbd, StateReports.vbdState(vms.get(id.vm()), vbd));
    }

    @Override
    public List<VbdStat> vbdList(String dbg, String vmId) {
        VmEntry e = vms.get(vmId);
        if (e == null) return List.of();
        List<VbdStat> r = new ArrayList<>();
        for (Vbd v : e.vbds()) r.add(new VbdStat(v, StateReports.vbdState(e, v)));
        return r;
    }

    @Override
    public void vbdRemove(String dbg, DeviceId id) {
        devices.removeVbdConfig(id);
    }

    @Override
    public DeviceId vifAdd(String dbg, Vif vif) {
        devices.addVifConfig(vif);
        return vif.id();
    }

    @Override
    public String vifPlug(String dbg, DeviceId id) {
        return engine.queueOperation(dbg, new Operation.VifHotplug(id)).id;
    }

    @Override
    public String vifUnplug(String dbg, DeviceId id, boolean force) {
        return engine.queueOperation(dbg, new Operation.VifHotunplug(id, force)).id;
    }

    @Override
    public String vifMove(String dbg, DeviceId id, Vif.Network network) {
        return atomic(dbg, id.vm(), new Atomic.VifMove(id, network));
    }

    @Override
    public String vifSetLockingMode(String dbg, DeviceId id, Vif.LockingMode mode) {
        return atomic(dbg, id.vm(), new Atomic.VifSetLockingMode(id, mode));
    }

    @Override
    public String vifSetIpv4Configuration(String dbg, DeviceId id, Vif.IpConfig config) {
        return atomic(dbg, id.vm(), new Atomic.VifSetIpv4Configuration(id, config));
    }

    @Override
    public String vifSetIpv6Configuration(String dbg, DeviceId id, Vif.IpConfig config) {
        return atomic(dbg, id.vm(), new Atomic.VifSetIpv6Configuration(id, config));
    }

    @Override
    public VifStat vifStat(String dbg, DeviceId id) {
        Vif vif = vms.vifExn(id);
        return new VifStat(vif, StateReports.vifState(vms.get(id.vm()), vif));
    }

    @Override
    public List<VifStat> vifList(String dbg, String vmId) {
        VmEntry e = vms.get(vmId);
        if (e == null) return List.of();
        List<VifStat> r = new ArrayList<>();
        for (Vif v : e.vifs()) r.add(new VifStat(v, StateReports.vifState(e, v)));
        return r;
    }

    @Override
    public void vifRemove(String dbg, DeviceId id) {
        devices.removeVifConfig(id);
    }

    @Override
    public TaskInfo taskStat(String dbg, String taskId) {
        return tasks.get(taskId).info();
    }

    @Override
    public void taskCancel(String dbg, String taskId) {
        tasks.get(taskId).cancel();
    }

    @Override
    public void taskDestroy(String dbg, String taskId) {
        tasks.destroy(taskId);
    }

    @Override
    public void taskDestroyOnFinish(String dbg, String taskId) {
        tasks.destroyOnFinish(taskId);
    }

    @Override
    public List<TaskInfo> taskList(String dbg) {
        return tasks.list();
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
        vms.signalVm(vmId);
        VmEntry e = vms.get(vmId);
        if (e == null) return;
        for (Vbd v : e.vbds()) vms.signalVbd(v.id());
        for (Vif v : e.vifs()) vms.signalVif(v.id());
    }
}
