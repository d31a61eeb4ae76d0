package org.xapijava.server.rrd;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.task.TaskManager;
import org.xapijava.xenopsd.Xenops;

/**
 * Xapi's xcp-rrdd inside xapi-java, wired in one place: the host's {@link Rrds} (archives in {@code rrd-dir}), the
 * {@link Sampler} over {@link DomainReadings} (every {@code rrd-sample-period-ms}, archives written every {@code
 * rrd-backup-interval-seconds} and at close), the XenAPI messages ({@link RrdMessages}) and the HTTP handlers
 * ({@link RrdHandlers}). Lifecycle: {@link #create}, {@link #bind}, {@link #register}, {@link #start}, {@link
 * #close} (before xenopsd's client closes). Thread-safe.
 */
public final class Statistics implements AutoCloseable, VmRrdMoves {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Statistics.class);

    /** The messages after which the master sends a VM's archived RRD to the host it now runs on ({@code push_rrd}). */
    private static final java.util.Set<String> STARTS = java.util.Set.of(
            VM.XAPI_CLASS + ".start",
            VM.XAPI_CLASS + ".start_on",
            VM.XAPI_CLASS + ".resume",
            VM.XAPI_CLASS + ".resume_on");

    /** {@code Xapi_globs.create_min_max_in_new_VM_RRDs}: a pool {@code other_config} key. */
    static final String MIN_MAX_KEY = "create_min_max_in_new_VM_RRDs";

    private final Rrds rrds;
    private final RrdArchive archive;
    private final Sampler sampler;
    private final Db data;
    private final String hostRef;
    private final String poolRef;
    private final Clock clock;
    /** The pool master's address on a member, null on the master (set by {@link #connect}). */
    private volatile Supplier<String> masterAddress = () -> null;

    private volatile RrdSender sender;
    /** {@code host.backup_rrds}'s one-shot backups (Xapi's scheduler queue): one thread, made at first use. */
    private java.util.concurrent.ScheduledThreadPoolExecutor oneShots;

    private volatile boolean closed;

    /** How many VMs' RRDs may wait to be sent after their start ({@link #forwarded}); more are dropped and logged. */
    static final int PUSH_BOUND = 1024;
    /** How long {@link #close} lets the waiting pushes run before it drops the rest. */
    static final Duration PUSH_FLUSH = Duration.ofSeconds(5);

    /**
     * VM uuid → the address of the host it started on: {@code push_rrd} in the background, the archive read and sent
     * at its turn (a later start of the same VM replaces a push not yet sent).
     */
    private final LatestPerKey<String, String> pushes = new LatestPerKey<>("rrd-push", PUSH_BOUND, this::push);

    private Statistics(XapiConfig config, Xenops xenops, Db data, String hostRef, String poolRef, Clock clock) {
        this.data = data;
        this.hostRef = hostRef;
        this.poolRef = poolRef;
        this.clock = clock;
        this.archive = new RrdArchive(config.path("rrd-dir"));
        this.rrds = new Rrds(data.get(hostRef, Host.UUID), archive);
        DomainReadings readings = new DomainReadings(xenops, data, hostRef);
        this.sampler = new Sampler(
                rrds,
                t -> {
                    refreshMinMax();
                    return readings.read(t);
                },
                clock,
                Duration.ofMillis(config.integer("rrd-sample-period-ms")),
                Duration.ofSeconds(config.integer("rrd-backup-interval-seconds")),
                this::backup);
    }

    /** The statistics of this host, not yet sampling. */
    public static Statistics create(
            XapiConfig config, Xenops xenops, Db data, String hostRef, String poolRef, Clock clock) {
        return new Statistics(config, xenops, data, hostRef, poolRef, clock);
    }

    /** {@code Monitor_master.update_configuration_from_master}: the pool's wish for VM MIN and MAX archives. */
    private void refreshMinMax() {
        if (poolRef == null || !data.exists(Pool.XAPI_CLASS, poolRef)) return;
        Map<String, String> oc = data.get(poolRef, Pool.OTHER_CONFIG);
        rrds.useMinMaxForVms("true".equals(oc.get(MIN_MAX_KEY)));
    }

    /**
     * How this host reaches the others of its pool: the base URI of the host at an address, the pool's TLS context
     * (null: plain HTTP), the pool secret, and the master's address (null on the master). Without it every RRD stays
     * on this host.
     */
    public void connect(
            java.util.function.Function<String, java.net.URI> hostUri,
            javax.net.ssl.SSLContext tls,
            Supplier<String> secret,
            Supplier<String> masterAddress) {
        this.masterAddress = masterAddress;
        this.sender = new RrdSender(hostUri, tls, secret);
    }

    /** {@code archive_rrd}: the VM's RRD leaves memory for the master's archive (this host's disk on the master). */
    @Override
    public void halted(String vmUuid) {
        Rrd rrd = rrds.takeVm(vmUuid);
        if (rrd != null) toArchive(vmUuid, rrd);
    }

    /**
     * {@code migrate_rrd}: the VM's RRD leaves memory for the destination's ({@code PUT /rrd?uuid=} at the host's
     * address). When the destination cannot take it, it goes to the archive instead (Xapi loses it).
     */
    @Override
    public void migrated(String vmUuid, String host) {
        if (host.equals(hostRef)) return;
        Rrd rrd = leaving(vmUuid);
        if (rrd == null) return;
        RrdSender s = sender;
        try {
            if (s == null || !data.exists(Host.XAPI_CLASS, host)) throw new IllegalStateException("no such host");
            s.put(data.get(host, Host.ADDRESS), vmUuid, rrd, false);
        } catch (RuntimeException e) {
            LOG.warn("VM {}: its RRD could not be sent to host {}: {}; archived", vmUuid, host, e.toString());
            toArchive(vmUuid, rrd);
        }
    }

    /** The RRD of a VM leaving this host, taken out of memory; null (logged) when it has none here. */
    private Rrd leaving(String vmUuid) {
        Rrd rrd = rrds.takeVm(vmUuid);
        if (rrd == null) LOG.debug("VM {}: no RRD here to send with its migration", vmUuid);
        return rrd;
    }

    /**
     * {@code migrate_rrd} to another pool: the VM's RRD leaves memory for the destination's ({@code PUT /rrd?uuid=}
     * under the other pool's {@code session}); when it cannot take it the RRD is lost, as Xapi's.
     */
    @Override
    public void migratedToPool(String vmUuid, java.net.URI host, String session) {
        Rrd rrd = leaving(vmUuid);
        if (rrd == null) return;
        RrdSender s = sender;
        try {
            if (s == null) throw new IllegalStateException("no sender");
            s.put(host, session, vmUuid, rrd);
        } catch (RuntimeException e) {
            LOG.warn("VM {}: its RRD could not be sent to {}: {}", vmUuid, host.getHost(), e.toString());
        }
    }

    /**
     * The master's forwarding layer after it ran {@code message} on another host ({@code push_rrd} in Xapi's
     * {@code message_forwarding.ml}): after a start or resume there, the VM's archived RRD is sent to the host it now
     * runs on. (A VM that starts on the master reads its archive at its first sample, {@code push_rrd_local}.) The
     * archive is read and sent in the background ({@link #push}), so that the call does not wait for the other host;
     * this only notes where the VM runs.
     */
    public void forwarded(String message, java.util.List<Object> args) {
        if (!STARTS.contains(message) || args.isEmpty() || !(args.getFirst() instanceof String vm)) return;
        try {
            if (sender == null || !data.exists(VM.XAPI_CLASS, vm)) return;
            String host = data.get(vm, VM.RESIDENT_ON);
            if (host.equals(hostRef) || !data.exists(Host.XAPI_CLASS, host)) return;
            pushes.submit(data.get(vm, VM.UUID), data.get(host, Host.ADDRESS));
        } catch (RuntimeException e) {
            LOG.warn("push_rrd of {}: {}", vm, e.toString());
        }
    }

    /**
     * {@code push_rrd} of VM {@code uuid}, on the push thread: its archived RRD, if any, to the host at {@code address},
     * unless the VM no longer runs there (halted or moved since its start: its RRD went elsewhere).
     */
    private void push(String uuid, String address) {
        RrdSender s = sender;
        try {
            if (s == null || !runsAt(uuid, address)) return;
            byte[] dump = archive.loadDump(uuid); // sent as it is: the receiving host reads it
            if (dump != null) s.putDump(address, uuid, dump, false);
        } catch (RuntimeException e) {
            LOG.warn("push_rrd of {} to {}: {}", uuid, address, e.toString());
        }
    }

    /** Whether VM {@code uuid} is resident on the host at {@code address}. */
    private boolean runsAt(String uuid, String address) {
        String vm = data.findByUuid(VM.XAPI_CLASS, uuid).orElse(null);
        if (vm == null) return false;
        String host = data.get(vm, VM.RESIDENT_ON);
        return data.exists(Host.XAPI_CLASS, host) && address.equals(data.get(host, Host.ADDRESS));
    }

    /** {@code remove_rrd} at {@code VM.destroy}: the VM's RRD goes from memory and from the archive here. */
    public void vmDestroyed(String vmUuid) {
        rrds.takeVm(vmUuid);
        archive.remove(vmUuid);
    }

    /** Keeps {@code rrd} in the archive: this host's on the master, the master's from a member (else this host's). */
    private void toArchive(String uuid, Rrd rrd) {
        String master = masterAddress.get();
        RrdSender s = sender;
        if (master != null && s != null) {
            try {
                s.put(master, uuid, rrd, true);
                return;
            } catch (RuntimeException e) {
                LOG.warn("the RRD of {} could not be sent to the master: {}; kept here", uuid, e.toString());
            }
        }
        archive.saveLater(uuid, rrd); // a shutdown does not wait for the disk
    }

    /**
     * {@code backup_rrds} every {@code rrd-backup-interval-seconds}: every RRD in memory to the archive (the master's
     * from a member, as {@link #toArchive}).
     */
    private void backup() {
        if (masterAddress.get() == null || sender == null) {
            rrds.backup();
            return;
        }
        Rrds.Snapshot copy = rrds.snapshot();
        if (copy.host() != null) toArchive(rrds.hostUuid(), copy.host());
        copy.vms().forEach(this::toArchive);
    }

    public void bind(MessageTable table) {
        new RrdMessages(rrds, data, clock, this::backupLater).bind(table);
    }

    /**
     * {@code host.backup_rrds}: one backup, as the periodic one ({@code Rrdd.backup_rrds}: to the master's archive from
     * a member), {@code delay} seconds from now, on the scheduler's queue; its failure is logged and ignored. (Xapi then
     * also copies each plugged SR's RRD into that SR; here SR RRDs stay in the host's archives.)
     */
    synchronized void backupLater(double delay) {
        if (closed) return;
        if (oneShots == null) {
            oneShots = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "rrd-backup-oneshot");
                t.setDaemon(true);
                return t;
            });
            oneShots.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }
        long ms = Double.isFinite(delay) && delay > 0 ? (long) Math.min(delay * 1000, Long.MAX_VALUE / 2) : 0;
        oneShots.schedule(
                () -> {
                    if (closed) return;
                    try {
                        backup();
                    } catch (RuntimeException e) {
                        LOG.warn("RRD backup failed: {}", e.toString());
                    }
                },
                ms,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** @param masterAddress the pool master's address on a member, null on the master */
    public void register(
            HttpHandlerTable handlers, TaskManager tasks, java.util.function.Supplier<String> masterAddress) {
        new RrdHandlers(rrds, archive, data, hostRef, new HttpTasks(data, tasks)).register(handlers, masterAddress);
        new Metrics(
                        rrds,
                        uuid -> data.findByUuid(org.xapijava.model.api.SR.XAPI_CLASS, uuid)
                                .isPresent())
                .register(handlers);
    }

    /**
     * Starts sampling. A member without a local archive of its own RRD first asks the master for the one it keeps
     * ({@code Deprecated.load_rrd}: {@code GET /host_rrd?uuid=&dbsync=true}).
     */
    public void start() {
        String master = masterAddress.get();
        RrdSender s = sender;
        if (!rrds.hasHost() && master != null && s != null) {
            try {
                Rrd saved = s.pullHost(master, rrds.hostUuid());
                if (saved != null) rrds.restoreHost(saved);
            } catch (RuntimeException e) {
                LOG.info("the host's RRD could not be read from the master: {}", e.toString());
            }
        }
        sampler.start();
    }

    /** The sampler (tests wait for its samples). */
    public Sampler sampler() {
        return sampler;
    }

    /** The RRDs (tests). */
    public Rrds rrds() {
        return rrds;
    }

    /**
     * Stops sampling and archives every RRD ({@code backup_rrds} at shutdown). The pushes still waiting get {@link
     * #PUSH_FLUSH} to go, the rest is dropped (logged).
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (oneShots != null) oneShots.shutdownNow();
        }
        sampler.close();
        pushes.close(PUSH_FLUSH);
        // send_host_rrd_to_master: a member's own RRD is kept by the master too
        String master = masterAddress.get();
        RrdSender s = sender;
        if (master != null && s != null) {
            Rrds.Snapshot copy = rrds.snapshot();
            if (copy.host() != null) {
                try {
                    s.put(master, rrds.hostUuid(), copy.host(), true);
                } catch (RuntimeException e) {
                    LOG.info("the host's RRD could not be sent to the master: {}", e.toString());
                }
            }
        }
        if (s != null) s.close();
        archive.close(); // the halted VMs' RRDs still being written
    }
}
