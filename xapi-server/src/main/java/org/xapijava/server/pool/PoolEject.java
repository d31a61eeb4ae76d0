package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.PoolAllowedOperations;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.forward.HostClients;

/**
 * {@code pool.eject(host)} (Xapi's {@code xapi_pool.ml} {@code eject}, {@code eject_self}, forwarded as
 * {@code message_forwarding.ml} does under the pool operation {@code eject}). On the master: the target host ejects
 * itself first, then the other members are told (best effort: each stops trusting its certificate), then the master
 * forgets its certificates and destroys the host's objects. On the target: Xapi's checks (HA, updates in progress, VMs not halted on it),
 * its PBDs unplugged and the SRs only it had forgotten, its control domains destroyed, then its data wiped to a fresh
 * standalone host (role {@code master}; pool secret, database backup, database files, blobs and messages removed; the
 * inventory, hence the host's uuid, kept; its trust store back to its own certificate) and xapi restarted: it comes up as a new pool of one. Thread-safe.
 */
public final class PoolEject implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(PoolEject.class);

    private final Db db;
    private final String me;
    private final PoolRole role;
    /** The master's clients to its members; null on a member. */
    private final HostClients hosts;
    /** A member's connection to its master; null on the master. */
    private final MemberConnection member;

    private final XapiConfig config;
    private final Runnable restart;
    private PoolCertificates certificates;

    public PoolEject(
            Db db,
            String me,
            PoolRole role,
            HostClients hosts,
            MemberConnection member,
            XapiConfig config,
            Runnable restart) {
        this.db = db;
        this.me = me;
        this.role = role;
        this.hosts = hosts;
        this.member = member;
        this.config = config;
        this.restart = restart;
    }

    /** The pool's certificates to update when a host leaves. */
    public PoolEject forgetting(PoolCertificates certificates) {
        this.certificates = certificates;
        return this;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new Api());
    }

    private final class Api implements PoolApi {
        @Override
        public void eject(CallContext ctx, String host) {
            if (!db.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
            if (role.isMaster()) ejectFromMaster(host);
            else if (host.equals(me)) ejectSelf(ctx);
            else if (certificates != null) certificates.untrust(host); // another member: the host's certificate goes
        }
    }

    /** The master's part: the target first, the other members next, the master's database last. */
    private void ejectFromMaster(String host) {
        if (host.equals(me)) throw ApiError.internal("Xapi_pool.Cannot_eject_master");
        assertLive(host);
        hosts.call(host, "pool.eject", List.of(host), null);
        for (String other : db.all(Host.XAPI_CLASS)) {
            if (other.equals(host) || other.equals(me)) continue;
            try {
                hosts.call(other, "pool.eject", List.of(host), null);
            } catch (RuntimeException e) {
                LOG.warn("pool.eject of {}: cleaning up on host {} failed: {}", host, other, e.getMessage());
            }
        }
        if (certificates != null) certificates.forget(host);
        destroyHostObjects(host);
        LOG.info("host {} ejected from the pool", host);
    }

    /** Xapi's {@code check_live} of the forwarding layer. */
    private void assertLive(String host) {
        String metrics = db.get(host, Host.METRICS);
        if (!db.exists(HostMetrics.XAPI_CLASS, metrics) || !db.get(metrics, HostMetrics.LIVE))
            throw new ApiError(ErrorCodes.HOST_OFFLINE, host);
    }

    /** {@code eject_self}: run on the host that leaves. */
    private void ejectSelf(CallContext ctx) {
        String pool = db.all(Pool.XAPI_CLASS).get(0);
        if (db.get(pool, Pool.HA_ENABLED)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
        if (db.get(pool, Pool.CURRENT_OPERATIONS).containsValue(PoolAllowedOperations.APPLY_UPDATES.wire()))
            throw new ApiError(ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE);
        List<String> controlDomains = new ArrayList<>();
        for (String vm : db.where(VM.RESIDENT_ON, me)) {
            if (db.get(vm, VM.IS_CONTROL_DOMAIN)) controlDomains.add(vm);
            else if (!db.get(vm, VM.POWER_STATE).equals("Halted")) {
                LOG.error("VM {} not in Halted state and resident_on this host", db.get(vm, VM.UUID));
                throw new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "VM resident on host");
            }
        }
        unplugPbds(ctx.api());
        for (String vm : controlDomains) {
            try {
                HostObjects.destroyVm(db, vm);
            } catch (RuntimeException e) {
                LOG.warn("pool.eject: destroying control domain {}: {}", vm, e.getMessage());
            }
        }
        wipe();
        if (certificates != null) certificates.trustOnlySelf();
        LOG.warn("this host has left its pool: restarting as a new standalone host");
        DelayedRestart.after(DelayedRestart.AFTER_ANSWER, restart);
    }

    /** Xapi's {@code unplug_pbds}: every PBD of this host unplugged, the SRs that only it had forgotten. */
    private void unplugPbds(XenApi api) {
        List<String> pbds = db.get(me, Host.PBDS);
        List<String> alone = new ArrayList<>();
        for (String pbd : pbds) {
            String sr = db.get(pbd, PBD.SR);
            if (db.get(sr, SR.PBDS).size() == 1 && !alone.contains(sr)) alone.add(sr);
        }
        for (String pbd : pbds) org.xapijava.server.storage.PbdUnplugs.unplug(db, api, pbd);
        for (String sr : alone) api.sr().forget(sr);
    }

    /**
     * The fresh-host state on disk (Xapi's {@code eject_self} end): role {@code master}, no pool secret, no backup, no
     * database, no blobs or messages; the replica writes no backup when xapi stops.
     */
    private void wipe() {
        try {
            if (member != null) member.discard();
            PoolRole.MASTER.store(config.path("pool-conf"));
            Files.deleteIfExists(config.path("pool-secret"));
            // an unfinished rotation's secrets would be the old pool's, accepted beside the fresh host's own
            for (String f : new String[] {"ptoken.old", "ptoken.new", "psr_cp"})
                Files.deleteIfExists(config.path("psr-dir").resolve(f));
            for (String key : List.of("backup-db", "state-db")) {
                Path p = config.path(key);
                Files.deleteIfExists(p);
                Files.deleteIfExists(StateDbWriter.generationPath(p));
            }
            Files.deleteIfExists(config.path("redo-log"));
            emptyDirectory(config.path("blobs-dir"));
            emptyDirectory(config.path("messages-dir"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void emptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) if (!p.equals(dir)) Files.deleteIfExists(p);
    }

    private void destroyHostObjects(String host) {
        HostObjects.destroy(db, host, true);
    }
}
