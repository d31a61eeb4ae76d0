package org.xapijava.server.pool;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.enums.HostNtpMode;
import org.xapijava.model.api.enums.HostNumaAffinityPolicy;
import org.xapijava.model.api.enums.LatestSyncedUpdatesAppliedState;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * The joiner's objects made on the master during {@code pool.join}, as Xapi's {@code update_non_vm_metadata} and
 * {@code Importexport.remote_metadata_export_import ~restore:true `All}: first the objects VMs refer to, each found on
 * the master by its identity or made there (hosts by uuid with {@code host.create}, SRs by uuid with
 * {@code SR.introduce} not shared (the tools SR is the pool's), PBDs by uuid with {@code PBD.create}, VDIs by uuid
 * with {@code VDI.pool_introduce} at their location, networks with a physical PIF or the host-internal management
 * network by bridge with {@code network.pool_introduce}, other networks with {@code network.create}); then every VM's
 * metadata, the control domain included ({@code GET /export_metadata?all=true&include_dom0=true} on this host),
 * streamed to the master's {@code PUT /import_metadata?restore=true} under a task made on the master, whose outcome
 * is awaited. Every object is best effort, as in Xapi: a failure is logged and the others go on. Not made here: PIFs,
 * the management VLAN, PVS sites and secrets (this host has none of the last three when it may join; its PIFs are made
 * by its start as a member). Thread-safe (one instance per join).
 */
final class JoinerObjects {
    private static final Logger LOG = LoggerFactory.getLogger(JoinerObjects.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    /** {@code network.other_config} key of the host-internal management network (Xapi's globs). */
    private static final String HIMN = "is_host_internal_management_network";

    private final Db db;
    private final XenApi remote;
    private final Map<String, String> made = new HashMap<>();

    JoinerObjects(Db db, XenApi remote) {
        this.db = db;
        this.remote = remote;
    }

    /** {@code update_non_vm_metadata}: every host, SR, PBD, VDI and network of this host's database. */
    void copyNonVmObjects() {
        each(Host.XAPI_CLASS, this::host);
        each(SR.XAPI_CLASS, this::sr);
        each(PBD.XAPI_CLASS, this::pbd);
        each(VDI.XAPI_CLASS, this::vdi);
        each(Network.XAPI_CLASS, this::network);
    }

    /** Xapi's {@code protect_exn} over every row of {@code cls}. */
    private void each(String cls, Function<String, String> copy) {
        for (String ref : db.all(cls)) {
            try {
                copy.apply(ref);
            } catch (RuntimeException e) {
                LOG.warn("pool.join: {} {} not made on the master: {}", cls, ref, e.toString());
            }
        }
    }

    /** The master's ref of this host's {@code ref}, found by uuid with {@code find} or made with {@code make}. */
    private String once(String ref, Function<String, String> find, Function<String, String> make) {
        String known = made.get(ref);
        if (known != null) return known;
        String there;
        try {
            there = find.apply(ref);
        } catch (ApiError e) {
            there = make.apply(ref);
        }
        made.put(ref, there);
        return there;
    }

    private String host(String h) {
        return once(h, r -> remote.host().getByUuid(db.get(r, Host.UUID)), r -> {
            LOG.info("pool.join: making host {} on the master", db.get(r, Host.UUID));
            String cache = db.get(r, Host.LOCAL_CACHE_SR);
            String there = remote.host()
                    .create(
                            db.get(r, Host.UUID),
                            db.get(r, Host.NAME_LABEL),
                            db.get(r, Host.NAME_DESCRIPTION),
                            db.get(r, Host.HOSTNAME),
                            db.get(r, Host.ADDRESS),
                            db.get(r, Host.EXTERNAL_AUTH_TYPE),
                            db.get(r, Host.EXTERNAL_AUTH_SERVICE_NAME),
                            db.get(r, Host.EXTERNAL_AUTH_CONFIGURATION),
                            db.get(r, Host.LICENSE_PARAMS),
                            db.get(r, Host.EDITION),
                            db.get(r, Host.LICENSE_SERVER),
                            db.exists(SR.XAPI_CLASS, cache) ? sr(cache) : Refs.NULL,
                            db.get(r, Host.CHIPSET_INFO),
                            false,
                            db.get(r, Host.LAST_SOFTWARE_UPDATE),
                            db.get(r, Host.LAST_UPDATE_HASH),
                            // the datamodel here has no SSH, NTP, time zone or C-state fields: Xapi's defaults
                            true,
                            0L,
                            DateTime.EPOCH,
                            0L,
                            false,
                            false,
                            db.get(r, Host.SOFTWARE_VERSION),
                            db.get(r, Host.HTTPS_ONLY),
                            "",
                            HostNtpMode.FACTORY,
                            List.of(),
                            "UTC",
                            HostNumaAffinityPolicy.of(db.get(r, Host.NUMA_AFFINITY_POLICY)),
                            LatestSyncedUpdatesAppliedState.of(db.get(r, Host.LATEST_SYNCED_UPDATES_APPLIED)),
                            db.get(r, Host.PENDING_GUIDANCES_FULL),
                            db.get(r, Host.PENDING_GUIDANCES_RECOMMENDED));
            quietly(() -> remote.host().setOtherConfig(there, db.get(r, Host.OTHER_CONFIG)));
            String crash = db.get(r, Host.CRASH_DUMP_SR);
            if (db.exists(SR.XAPI_CLASS, crash)) quietly(() -> remote.host().setCrashDumpSr(there, sr(crash)));
            String suspend = db.get(r, Host.SUSPEND_IMAGE_SR);
            if (db.exists(SR.XAPI_CLASS, suspend)) quietly(() -> remote.host().setSuspendImageSr(there, sr(suspend)));
            return there;
        });
    }

    private String sr(String s) {
        return once(s, r -> remote.sr().getByUuid(db.get(r, SR.UUID)), r -> {
            if (db.get(r, SR.IS_TOOLS_SR)) {
                for (var e : remote.sr().getAllRecords().entrySet())
                    if (Boolean.TRUE.equals(e.getValue().get(SR.IS_TOOLS_SR.name()))) return e.getKey();
                throw ApiError.internal("can't find SR " + db.get(r, SR.UUID) + " of tools iso");
            }
            LOG.info("pool.join: introducing SR {} on the master", db.get(r, SR.UUID));
            String there = remote.sr()
                    .introduce(
                            db.get(r, SR.UUID),
                            db.get(r, SR.NAME_LABEL),
                            db.get(r, SR.NAME_DESCRIPTION),
                            db.get(r, SR.TYPE),
                            db.get(r, SR.CONTENT_TYPE),
                            false,
                            db.get(r, SR.SM_CONFIG));
            quietly(() -> remote.sr().setOtherConfig(there, db.get(r, SR.OTHER_CONFIG)));
            return there;
        });
    }

    private String pbd(String p) {
        return once(p, r -> remote.pbd().getByUuid(db.get(r, PBD.UUID)), r -> {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put(PBD.HOST.name(), host(db.get(r, PBD.HOST)));
            rec.put(PBD.SR.name(), sr(db.get(r, PBD.SR)));
            rec.put(PBD.DEVICE_CONFIG.name(), db.get(r, PBD.DEVICE_CONFIG));
            rec.put(PBD.OTHER_CONFIG.name(), db.get(r, PBD.OTHER_CONFIG));
            return remote.pbd().create(rec);
        });
    }

    private String vdi(String v) {
        String sr = sr(db.get(v, VDI.SR));
        return once(
                v,
                r -> remote.vdi().getByUuid(db.get(r, VDI.UUID)),
                r -> remote.vdi()
                        .poolIntroduce(
                                db.get(r, VDI.UUID),
                                db.get(r, VDI.NAME_LABEL),
                                db.get(r, VDI.NAME_DESCRIPTION),
                                sr,
                                VdiType.of(db.get(r, VDI.TYPE)),
                                db.get(r, VDI.SHARABLE),
                                db.get(r, VDI.READ_ONLY),
                                db.get(r, VDI.OTHER_CONFIG),
                                db.get(r, VDI.LOCATION),
                                db.get(r, VDI.XENSTORE_DATA),
                                db.get(r, VDI.SM_CONFIG),
                                db.get(r, VDI.MANAGED),
                                db.get(r, VDI.VIRTUAL_SIZE),
                                db.get(r, VDI.PHYSICAL_UTILISATION),
                                db.get(r, VDI.METADATA_OF_POOL),
                                db.get(r, VDI.IS_A_SNAPSHOT),
                                db.get(r, VDI.SNAPSHOT_TIME),
                                db.get(r, VDI.SNAPSHOT_OF),
                                db.get(r, VDI.CBT_ENABLED)));
    }

    private String network(String n) {
        String known = made.get(n);
        if (known != null) return known;
        List<String> pifs = db.get(n, Network.PIFS);
        boolean physical = !pifs.isEmpty() && db.get(pifs.get(0), PIF.PHYSICAL);
        boolean himn = "true".equals(db.get(n, Network.OTHER_CONFIG).get(HIMN));
        String bridge = db.get(n, Network.BRIDGE);
        String there = null;
        if (physical || himn) {
            // the convention that physical PIFs of the same device are connected: the pool's network of that bridge
            for (var e : remote.network().getAllRecords().entrySet())
                if (bridge.equals(e.getValue().get(Network.BRIDGE.name()))) there = e.getKey();
            if (there == null)
                there = remote.network()
                        .poolIntroduce(
                                db.get(n, Network.NAME_LABEL),
                                db.get(n, Network.NAME_DESCRIPTION),
                                db.get(n, Network.MTU),
                                db.get(n, Network.OTHER_CONFIG),
                                bridge,
                                db.get(n, Network.MANAGED),
                                db.get(n, Network.PURPOSE));
        } else {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put(Network.NAME_LABEL.name(), db.get(n, Network.NAME_LABEL));
            rec.put(Network.NAME_DESCRIPTION.name(), db.get(n, Network.NAME_DESCRIPTION));
            rec.put(Network.MTU.name(), db.get(n, Network.MTU));
            rec.put(Network.OTHER_CONFIG.name(), db.get(n, Network.OTHER_CONFIG));
            rec.put(Network.BRIDGE.name(), bridge);
            rec.put(Network.MANAGED.name(), db.get(n, Network.MANAGED));
            rec.put(Network.TAGS.name(), db.get(n, Network.TAGS));
            there = remote.network().create(rec);
        }
        made.put(n, there);
        return there;
    }

    /** Xapi's {@code no_exn}: a failing follow-up of a creation is logged. */
    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("pool.join: {}", e.toString());
        }
    }

    /**
     * {@code remote_metadata_export_import ~restore:true `All}: the metadata of every VM of this host (at
     * {@code local}, read with {@code localSession}) put to the master (at {@code master}) under a task made there
     * ("VM metadata import"), whose outcome is awaited: {@code TASK_CANCELLED} or the task's error when it did not
     * succeed. The task is destroyed after.
     */
    void copyVms(URI local, String localSession, URI master, String masterSession, SSLContext tls)
            throws IOException, InterruptedException {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30));
        if (tls != null) b.sslContext(tls);
        try (HttpClient http = b.build()) {
            HttpResponse<byte[]> got = http.send(
                    HttpRequest.newBuilder(local.resolve("/export_metadata?all=true&include_dom0=true"))
                            .header("Cookie", "session_id=" + localSession)
                            .timeout(TIMEOUT)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (got.statusCode() != 200) throw new IOException("export_metadata answered " + got.statusCode());
            String task = remote.task().create("VM metadata import", "");
            try {
                HttpResponse<Void> put = http.send(
                        HttpRequest.newBuilder(master.resolve("/import_metadata?restore=true"))
                                .header("Cookie", "session_id=" + masterSession + "; task_id=" + task)
                                .timeout(TIMEOUT)
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(got.body()))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                LOG.info(
                        "pool.join: {} bytes of VM metadata sent to the master ({})",
                        got.body().length,
                        put.statusCode());
                // the import ends its answer once its task is complete
                TaskStatusType status = remote.task().getStatus(task);
                switch (status) {
                    case SUCCESS -> {}
                    case CANCELLING, CANCELLED -> throw new ApiError(ErrorCodes.TASK_CANCELLED, task);
                    case PENDING -> throw ApiError.internal("the VM metadata import did not finish");
                    default -> {
                        List<String> info = remote.task().getErrorInfo(task);
                        throw info.isEmpty()
                                ? ApiError.internal("VM metadata import failed")
                                : new ApiError(info.get(0), info.subList(1, info.size()));
                    }
                }
            } finally {
                quietly(() -> remote.task().destroy(task));
            }
        }
    }
}
