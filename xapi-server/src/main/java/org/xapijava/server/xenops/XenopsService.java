package org.xapijava.server.xenops;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.task.TaskManager;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * xapi's side of xenopsd on this host: the lifecycle messages ({@link #api()}), the event thread, and the
 * resynchronisation Xapi does at start-up ({@code on_xapi_restart}: {@code resync_resident_on}, the event
 * thread, {@code resync_all_vms}) and, here, again each time the event thread reconnects to a xenopsd that
 * went away. At every connection the host's {@code host_metrics.memory_total} is taken from
 * {@code HOST.get_total_memory_mib}, as Xapi's {@code record_host_memory_properties} does at start-up.
 *
 * <p>Lifecycle: construct, register {@link #api()}, {@link #start()} once the message table is complete,
 * {@link #close()} before the database closes. Thread-safe.
 */
public final class XenopsService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XenopsService.class);
    /** The longest a call waits for the event thread to apply a barrier (Xapi waits for ever). */
    static final Duration BARRIER_TIMEOUT = Duration.ofMinutes(5);

    private static final String DBG = "xapi startup";

    private final Db data;
    private final Database db;
    private final String hostRef;
    private final Xenops xenops;
    private final Path socket;
    private final TaskBinding tasks;
    private final Barriers barriers = new Barriers();
    private final XenopsCache cache = new XenopsCache();
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final SuspendImages images;
    private final Lifecycle lifecycle;
    private final DeviceHotplug hotplug;
    private final LiveCalls live;
    private final VifLive vifLive;
    private final EventLoop events;
    private volatile String instanceId;
    private volatile org.xapijava.server.rrd.VmRrdMoves rrdMoves = org.xapijava.server.rrd.VmRrdMoves.NONE;

    /**
     * @param xenops     the client of the xenopsd this host uses
     * @param socket     its socket (named in error messages)
     * @param maxRetry   the longest wait between two reconnection attempts of the event thread
     */
    public XenopsService(
            Db data,
            Database db,
            Clock clock,
            String hostRef,
            String poolRef,
            TaskManager taskManager,
            AllowedOperations allowed,
            Xenops xenops,
            Path socket,
            Duration maxRetry) {
        this.data = data;
        this.db = db;
        this.hostRef = hostRef;
        this.xenops = xenops;
        this.socket = socket;
        this.tasks = new TaskBinding(data, taskManager, xenops);
        GuestMetrics gm = new GuestMetrics(data, clock);
        this.metadata = new XenopsdMetadata(data, hostRef, xenops, cache);
        this.sync = new StateSync(
                data, clock, hostRef, poolRef, allowed, xenops, gm, cache, metadata, barriers, this::rrdMoves);
        this.images = new SuspendImages(data);
        this.lifecycle = new Lifecycle(data, hostRef, poolRef, xenops, tasks, gm, sync, metadata, images, socket);
        this.hotplug = new DeviceHotplug(data, hostRef, xenops, tasks, sync, metadata, lifecycle);
        this.live = new LiveCalls(data, xenops, tasks, sync, lifecycle);
        this.vifLive = new VifLive(data, hostRef, xenops, tasks, sync, lifecycle);
        this.events =
                new EventLoop(xenops, sync, tasks, barriers, maxRetry, this::onReconnect, db::deferringDurability);
    }

    /** On the master: {@code is_host_alive} for {@code VM.power_state_reset} of a VM resident on another host. */
    public void useHostAliveness(java.util.function.Predicate<String> aliveness) {
        lifecycle.useHostAliveness(aliveness);
    }

    /** From now on, VMs that halt or migrate here move their RRDs through {@code moves} (the host's statistics). */
    public void useRrds(org.xapijava.server.rrd.VmRrdMoves moves) {
        this.rrdMoves = moves;
    }

    /** Where VMs' RRDs move when they halt or migrate ({@link org.xapijava.server.rrd.VmRrdMoves#NONE} at first). */
    org.xapijava.server.rrd.VmRrdMoves rrdMoves() {
        return rrdMoves;
    }

    /** The lifecycle messages, to register in the message table. */
    public Messages api() {
        return new LifecycleMessages(this);
    }

    /** Disk and network hot-plug. */
    DeviceHotplug hotplug() {
        return hotplug;
    }

    /** The metadata pushed to xenopsd ({@code Events_from_xapi}). */
    XenopsdMetadata metadata() {
        return metadata;
    }

    /** The binding of xenopsd tasks to the calls' tasks. */
    TaskBinding tasks() {
        return tasks;
    }

    /** What follows xenopsd's reports into the database ({@code Events_from_xenopsd.wait} among them). */
    StateSync sync() {
        return sync;
    }

    /** Changes to running VMs (xsdata, vCPUs, shadow, memory range, S3) and their {@code VM.stat}. */
    public LiveCalls live() {
        return live;
    }

    /** Changes to a running VM's plugged VIFs (locking mode, guest IP settings, network). */
    public VifLive vifLive() {
        return vifLive;
    }

    public Lifecycle lifecycle() {
        return lifecycle;
    }

    SuspendImages images() {
        return images;
    }

    public Xenops xenops() {
        return xenops;
    }

    public Path socket() {
        return socket;
    }

    /** Whether the event thread is following xenopsd's events now. */
    public boolean connected() {
        return events.connected();
    }

    /** How many times the event thread has connected so far. */
    public long connections() {
        return events.connections();
    }

    /** Waits until the event thread has made more than {@code after} connections; false on timeout. */
    public boolean awaitConnections(long after, Duration timeout) throws InterruptedException {
        return events.awaitConnections(after, timeout);
    }

    /**
     * Xapi's start-up sequence: {@code resync_resident_on}, then the event thread, then every VM resident here
     * refreshed and applied. A xenopsd that cannot be reached is not fatal: the event thread keeps trying and
     * resynchronises when it connects.
     */
    public void start() {
        boolean reachable;
        try {
            connect(DBG);
            reachable = true;
        } catch (XenopsUnavailableException e) {
            LOG.warn("xenopsd is not reachable at start-up ({}); the event thread will keep trying", e.getMessage());
            reachable = false;
        }
        events.start(reachable);
        if (!reachable) return;
        for (String vm : residentVms()) {
            try {
                sync.refreshAndWait(DBG, data.get(vm, VM.UUID));
            } catch (RuntimeException e) {
                LOG.warn("resynchronising VM {} with xenopsd: {}", vm, e.toString());
            }
        }
    }

    /** What every connection does before events flow: host memory, then {@code resync_resident_on}. */
    private void connect(String dbg) {
        String id = xenops.query(dbg).instanceId();
        if (instanceId != null && !instanceId.equals(id)) {
            LOG.info("xenopsd restarted (instance {} after {})", id, instanceId);
            tasks.clear(); // task ids start again in a new instance
        }
        instanceId = id;
        recordHostMemory(dbg);
        resyncResidentOn(dbg);
    }

    /** The event thread reconnected: resynchronise, and have every resident VM reported afresh. */
    private void onReconnect() {
        String dbg = "xenopsd reconnect";
        cache.clear();
        connect(dbg);
        for (String vm : residentVms()) {
            xenops.updatesRefreshVm(dbg, data.get(vm, VM.UUID));
        }
    }

    /** {@code record_host_memory_properties}: {@code memory_total} = xenopsd's total memory. */
    private void recordHostMemory(String dbg) {
        long bytes = xenops.hostTotalMemoryMib(dbg) * MemoryCheck.MIB;
        String m = data.get(hostRef, Host.METRICS);
        if (!Refs.isNull(m) && data.exists(HostMetrics.XAPI_CLASS, m)) data.set(m, HostMetrics.MEMORY_TOTAL, bytes);
    }

    /** The VMs resident here but the control domain ({@code Helpers.get_domain_zero}). */
    private List<String> residentVms() {
        List<String> out = new ArrayList<>();
        String domainZero = data.get(hostRef, Host.CONTROL_DOMAIN);
        for (String vm : data.get(hostRef, Host.RESIDENT_VMS)) {
            if (data.exists(VM.XAPI_CLASS, vm) && !vm.equals(domainZero)) out.add(vm);
        }
        return out;
    }

    /**
     * {@code resync_resident_on}: VMs xenopsd runs that the database does not know, or believes elsewhere, are
     * shut down and removed; VMs it runs that the database places nowhere become resident here; running ones
     * get empty caches (their state is applied again); VMs the database places here that xenopsd does not know
     * are reset to Halted.
     */
    void resyncResidentOn(String dbg) {
        String host = hostRef;
        Map<String, String> residentInDb = new HashMap<>(); // uuid → ref
        for (String vm : residentVms()) residentInDb.put(data.get(vm, VM.UUID), vm);
        List<VmStat> inXenopsd = xenops.vmList(dbg);
        List<String> known = new ArrayList<>();
        for (VmStat v : inXenopsd) {
            String id = v.vm().id();
            known.add(id);
            String ref = data.findByUuid(VM.XAPI_CLASS, id).orElse(null);
            boolean terminate;
            if (ref == null) {
                LOG.info("In xenopsd but unknown to xapi: {}", id);
                terminate = true;
            } else if (residentInDb.containsKey(id)) {
                terminate = false;
            } else if (data.isValid(Host.XAPI_CLASS, data.get(ref, VM.RESIDENT_ON))) {
                LOG.info("In xenopsd but resident elsewhere: {}", id);
                terminate = true;
            } else {
                LOG.info("Setting resident_on for VM {} to be this host as xenopsd is aware of it", id);
                data.set(ref, VM.RESIDENT_ON, host);
                terminate = false;
            }
            if (terminate) {
                LOG.info("VM {} is known to xenopsd but isn't supposed to be: terminating", id);
                if (v.state().powerState() != PowerState.Halted) {
                    tasks.waitFor(dbg, xenops.vmShutdown(dbg, id, null));
                }
                try {
                    xenops.vmRemove(dbg, id);
                } catch (XenopsError e) {
                    LOG.warn("removing VM {} from xenopsd: {}", id, e.getMessage());
                }
                continue;
            }
            PowerState p = v.state().powerState();
            if (p == PowerState.Running || p == PowerState.Paused) metadata.addCaches(id);
        }
        for (Map.Entry<String, String> e : residentInDb.entrySet()) {
            if (known.contains(e.getKey())) continue;
            LOG.info(
                    "VM {} was marked as resident here in the DB but isn't known to xenopsd. Resetting in DB",
                    e.getKey());
            sync.forceStateReset(e.getValue(), "Halted", false);
            if (data.exists(VM.XAPI_CLASS, e.getValue())) data.set(e.getValue(), VM.RESIDENT_ON, Refs.NULL);
        }
    }

    /** Stops the event thread; calls in progress fail when their waits are cut. */
    @Override
    public void close() {
        events.close();
    }
}
