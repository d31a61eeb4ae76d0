package org.xapijava.server.rrd;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
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
public final class Statistics implements AutoCloseable {
    /** {@code Xapi_globs.create_min_max_in_new_VM_RRDs}: a pool {@code other_config} key. */
    static final String MIN_MAX_KEY = "create_min_max_in_new_VM_RRDs";

    private final Rrds rrds;
    private final RrdArchive archive;
    private final Sampler sampler;
    private final Db data;
    private final String hostRef;
    private final String poolRef;
    private final Clock clock;

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
                Duration.ofSeconds(config.integer("rrd-backup-interval-seconds")));
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

    public void bind(MessageTable table) {
        new RrdMessages(rrds, data, clock).bind(table);
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

    public void start() {
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

    /** Stops sampling and archives every RRD ({@code backup_rrds} at shutdown). */
    @Override
    public void close() {
        sampler.close();
    }
}
