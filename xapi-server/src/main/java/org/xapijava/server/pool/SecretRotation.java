package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.util.AtomicFiles;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.session.PoolSecret;
import org.xapijava.server.vm.PoolFeatures;
import org.xapijava.server.xenops.BootChecks;
import org.xapijava.server.xenops.HostVersions;

/**
 * {@code pool.rotate_secret}, Xapi's pool secret rotation ({@code xapi_psr.ml}): the master makes a new secret and
 * tells every host, itself first, in three rounds: accept the new secret besides the old one
 * ({@code host.notify_accept_new_pool_secret}), send the new one ({@code host.notify_send_new_pool_secret}), stop
 * accepting the old one ({@code host.cleanup_pool_secret}, the members, then the master). Between any two rounds
 * every host accepts what every other host sends, so the pool keeps working throughout.
 *
 * <p>The master keeps its progress on disk (the two secrets, and a checkpoint file naming the round under way), so
 * that a rotation that failed part way (a host unreachable) is resumed, not restarted, by the next
 * {@code pool.rotate_secret}; {@code pool.is_psr_pending} stays true until one succeeds, and pool operations are
 * refused meanwhile ({@code POOL_SECRET_ROTATION_PENDING}). The host half of each round is {@link PoolSecret}'s.
 * Thread-safe; one rotation at a time.
 */
public final class SecretRotation implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(SecretRotation.class);

    /** Xapi's checkpoints: the round under way, written before it starts. */
    enum Checkpoint {
        No_checkpoint,
        Accept_new_pool_secret,
        Send_new_pool_secret,
        Cleanup_members,
        Cleanup_master
    }

    private static final String CLEANUP_FAILED =
            "%s encountered an error whilst cleaning up after a pool secret rotation.";

    /** A round that failed, and on which host. */
    private record Failure(String message, String host) {}

    private final Db db;
    private final String me;
    private final PoolRole role;
    private final PoolSecret secret;
    private final Path checkpoint;
    private final ReentrantLock running = new ReentrantLock();

    /** @param checkpoint the master's checkpoint file (Xapi's {@code /var/lib/xcp/psr_cp}) */
    public SecretRotation(Db db, String me, PoolRole role, PoolSecret secret, Path checkpoint) {
        this.db = db;
        this.me = me;
        this.role = role;
        this.secret = secret;
        this.checkpoint = checkpoint;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new PoolApi() {
            @Override
            public void rotateSecret(CallContext ctx) {
                rotate(ctx);
            }
        });
        HostApi.bind(table, new HostApi() {
            @Override
            public void notifyAcceptNewPoolSecret(CallContext ctx, String host, String oldPs, String newPs) {
                assertNoCheckpoint();
                secret.acceptNew(oldPs, newPs, !role.isMaster());
            }

            @Override
            public void notifySendNewPoolSecret(CallContext ctx, String host, String oldPs, String newPs) {
                assertNoCheckpoint();
                secret.sendNew(oldPs, newPs);
            }

            @Override
            public void cleanupPoolSecret(CallContext ctx, String host, String oldPs, String newPs) {
                assertNoCheckpoint();
                secret.cleanup(oldPs, newPs);
            }
        });
    }

    /** Only the master keeps a checkpoint ({@code Assert.no_checkpoint}). */
    private void assertNoCheckpoint() {
        if (!role.isMaster() && Files.exists(checkpoint))
            throw ApiError.internal("pool member should not have a checkpoint");
    }

    void rotate(CallContext ctx) {
        if (!running.tryLock()) throw ApiError.internal("pool secret rotation already running");
        try {
            String pool = db.all(Pool.XAPI_CLASS).get(0);
            List<String> hosts = preconditions(pool);
            Failure failure = resume(ctx, hosts.get(0), hosts.subList(1, hosts.size()));
            if (failure != null) {
                LOG.error("PSR failed: {}", failure.message());
                throw ApiError.internal(failure.message());
            }
            db.set(pool, Pool.IS_PSR_PENDING, false);
            LOG.info("pool secret rotation successful");
        } finally {
            running.unlock();
        }
    }

    /**
     * The checks before a rotation, with {@code is_psr_pending} set while they run (and unset again when they refuse,
     * unless it was already set): the master first in the answer, then the members.
     */
    private List<String> preconditions(String pool) {
        boolean wasPending = db.get(pool, Pool.IS_PSR_PENDING);
        if (!wasPending) db.set(pool, Pool.IS_PSR_PENDING, true);
        try {
            PoolFeatures.assertEnabled(db, pool, LicenceFeature.Pool_secret_rotation);
            if (!role.isMaster()) throw new ApiError(ErrorCodes.HOST_IS_SLAVE, role.masterAddress());
            if (secret.backupsExist() != Files.exists(checkpoint))
                throw ApiError.internal("master pool secret rotation state is invalid");
            List<String> hosts = masterFirst(pool);
            TreeSet<String> offline = new TreeSet<>();
            for (String h : hosts) if (!live(h)) offline.add(h);
            if (!offline.isEmpty()) throw new ApiError(ErrorCodes.CANNOT_CONTACT_HOST, offline.first());
            if (db.get(pool, Pool.HA_ENABLED)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
            if (HostVersions.rollingUpgradeInProgress(db)) throw new ApiError(ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE);
            Map<String, String> ops = db.get(pool, Pool.CURRENT_OPERATIONS);
            if (!ops.isEmpty())
                throw ApiError.internal("pool operations in progress: [ " + String.join("; ", ops.values()) + " ]");
            return hosts;
        } catch (RuntimeException e) {
            if (!wasPending) db.set(pool, Pool.IS_PSR_PENDING, false);
            throw e;
        }
    }

    /** Xapi's {@code get_master_slaves_list}. */
    private List<String> masterFirst(String pool) {
        String master = db.get(pool, Pool.MASTER);
        List<String> hosts = new ArrayList<>();
        hosts.add(master);
        for (String h : db.all(Host.XAPI_CLASS)) if (!h.equals(master)) hosts.add(h);
        return hosts;
    }

    private boolean live(String host) {
        return host.equals(me) || BootChecks.isHostLive(db, host);
    }

    /** Xapi's {@code PSR.start}: a new rotation, or the one a checkpoint says is under way, with its secrets. */
    private Failure resume(CallContext ctx, String master, List<String> members) {
        Checkpoint at = readCheckpoint();
        String oldPs;
        String newPs;
        if (at == Checkpoint.No_checkpoint) {
            oldPs = secret.value();
            newPs = PoolSecret.generate();
            secret.writeBackups(oldPs, newPs);
            at = Checkpoint.Accept_new_pool_secret;
        } else {
            List<String> b = secret.backups();
            oldPs = b.get(0);
            newPs = b.get(1);
            LOG.info("resuming the pool secret rotation at {}", at);
        }
        List<String> all = new ArrayList<>();
        all.add(master);
        all.addAll(members);
        XenApi api = ctx.api();
        Failure f = null;
        switch (at) {
            case Accept_new_pool_secret:
                saveCheckpoint(Checkpoint.Accept_new_pool_secret);
                f = round(
                        all,
                        h -> api.host().notifyAcceptNewPoolSecret(h, oldPs, newPs),
                        "failed while telling host to accept new pool secret",
                        "Operation to tell %s to begin accepting new pool secret failed.");
                if (f != null) return f;
            // fall through
            case Send_new_pool_secret:
                saveCheckpoint(Checkpoint.Send_new_pool_secret);
                f = round(
                        all,
                        h -> api.host().notifySendNewPoolSecret(h, oldPs, newPs),
                        "failed while telling hosts to send new pool secret",
                        "Operation to tell %s to begin sending new pool secret failed.");
                if (f != null) return f;
            // fall through
            case Cleanup_members:
                saveCheckpoint(Checkpoint.Cleanup_members);
                f = round(
                        members,
                        h -> api.host().cleanupPoolSecret(h, oldPs, newPs),
                        "failed while telling hosts to cleanup",
                        CLEANUP_FAILED);
                if (f != null) return f;
            // fall through
            case Cleanup_master:
                saveCheckpoint(Checkpoint.Cleanup_master);
                try {
                    secret.cleanup(oldPs, newPs);
                    Files.deleteIfExists(checkpoint);
                } catch (RuntimeException | IOException e) {
                    LOG.error("failed to cleanup the master: {}", e.toString());
                    return failure(CLEANUP_FAILED, master);
                }
                return null;
            default:
                throw ApiError.internal("PSR.start: unexpected checkpoint " + at);
        }
    }

    /** One round: {@code tell} each host in turn; the first that fails stops the round (Xapi's {@code iter_break}). */
    private Failure round(List<String> hosts, java.util.function.Consumer<String> tell, String log, String format) {
        for (String h : hosts) {
            try {
                tell.accept(h);
            } catch (RuntimeException e) {
                LOG.error("{}: {}", log, e.toString());
                return failure(format, h);
            }
        }
        return null;
    }

    private Failure failure(String format, String host) {
        String name = db.exists(Host.XAPI_CLASS, host) ? db.get(host, Host.NAME_LABEL) : host;
        return new Failure(String.format(format, name), host);
    }

    private Checkpoint readCheckpoint() {
        if (!Files.exists(checkpoint)) return Checkpoint.No_checkpoint;
        try {
            List<String> lines = Files.readAllLines(checkpoint, StandardCharsets.UTF_8);
            if (lines.size() != 1) throw ApiError.internal("unexpected checkpoint file format");
            return Checkpoint.valueOf(lines.get(0).strip());
        } catch (IllegalArgumentException e) {
            throw ApiError.internal("PSR.start: unexpected error: cannot parse checkpoint");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void saveCheckpoint(Checkpoint c) {
        try {
            Files.createDirectories(AtomicFiles.directoryOf(checkpoint));
            AtomicFiles.write(checkpoint, (c.name() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
