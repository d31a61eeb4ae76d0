package org.xapijava.server.pool;

import java.net.URI;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.ForwardingStage;
import org.xapijava.server.forward.HostClients;
import org.xapijava.server.ops.AllowedOperations;

/**
 * A pool member's database: the replica of the master's ({@link Database#replica}) filled with the master's full image
 * at start and then followed ({@link ReplicaFollower}), the {@link MemberDb} the member's code reads and writes
 * through, and the {@link HttpMasterLink} under both. {@link #close} stops following and closes the link.
 */
public final class MemberConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MemberConnection.class);
    private final Database replica;
    private final HttpMasterLink link;
    private final MemberDb db;
    private final ReplicaFollower follower;
    private volatile boolean discarded;

    /** The timings of the link (Xapi's defaults in production, shorter in tests). */
    public record Timing(
            Duration call, Duration backoffMin, Duration backoffMax, Duration connectionTimeout, Duration pollDelay) {}

    private MemberConnection(Database replica, HttpMasterLink link, MemberDb db, ReplicaFollower follower) {
        this.replica = replica;
        this.link = link;
        this.db = db;
        this.follower = follower;
    }

    /**
     * Connects to the master at {@code master} and fetches its database.
     *
     * @param lost run when the master has been unreachable for the connection timeout (xapi restarts)
     * @throws org.xapijava.model.errors.ApiError {@code INTERNAL_ERROR} when the master cannot be reached or refuses
     *     the pool secret (nothing is left open)
     */
    public static MemberConnection open(
            Datamodel dm, URI master, java.util.function.Supplier<String> secret, Timing t, Runnable lost) {
        return open(dm, master, null, secret, t, lost);
    }

    /** As above, over HTTPS checked by {@code tls} (null: plain HTTP). */
    public static MemberConnection open(
            Datamodel dm,
            URI master,
            javax.net.ssl.SSLContext tls,
            java.util.function.Supplier<String> secret,
            Timing t,
            Runnable lost) {
        HttpMasterLink link = new HttpMasterLink(master, tls, secret, t.call());
        try {
            Database replica = Database.replica(dm);
            ReplicaFollower follower = new ReplicaFollower(
                    replica, link, t.backoffMin(), t.backoffMax(), t.connectionTimeout(), t.pollDelay(), lost);
            firstSync(follower, t);
            follower.start();
            return new MemberConnection(replica, link, new MemberDb(replica, link, t.call()), follower);
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
    }

    /**
     * The first image of the master's database, retried with the link's backoff until the connection timeout (Xapi's
     * member blocks on its master connection at start the same way): a member restarted by a master change finds its
     * new master starting up.
     */
    private static void firstSync(ReplicaFollower follower, Timing t) {
        long deadline = System.nanoTime() + t.connectionTimeout().toNanos();
        Duration backoff = t.backoffMin();
        while (true) {
            try {
                follower.syncOnce(t.call());
                return;
            } catch (ApiError e) {
                if (System.nanoTime() + backoff.toNanos() > deadline) throw e;
                LOG.warn(
                        "the pool master does not answer yet ({}); retrying in {} ms",
                        e.getMessage(),
                        backoff.toMillis());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = backoff.multipliedBy(2);
                if (backoff.compareTo(t.backoffMax()) > 0) backoff = t.backoffMax();
            }
        }
    }

    /** The link to the master (its {@code /remote_db_access_v2}). */
    public HttpMasterLink link() {
        return link;
    }

    public Database replica() {
        return replica;
    }

    public MemberDb db() {
        return db;
    }

    /**
     * The member's forwarding stage: a call the master forwards runs here, under the master's locks, once the replica
     * holds the master's generation the call was sent at ({@link HostClients#GENERATION_HEADER}).
     */
    public ForwardingStage forwardingStage() {
        return (ctx, args, local) -> {
            String g = ctx.caller().header(HostClients.GENERATION_HEADER);
            if (g != null && !g.isEmpty()) {
                try {
                    db.awaitReplica(Long.parseLong(g));
                } catch (NumberFormatException e) {
                    throw ApiError.internal("bad " + HostClients.GENERATION_HEADER + " header: " + g);
                }
            }
            return local.invoke(ctx, args);
        };
    }

    /** The member's {@link AllowedOperations}: its checks read the replica, its updates run on the master. */
    public AllowedOperations allowedOperations() {
        return AllowedOperations.ofMember(
                replica, (cls, ref) -> db.awaitReplica(link.updateAllowedOperations(cls, ref)));
    }

    /**
     * Writes the replica to {@code file} in {@code state.db} form, durably (Xapi's database backup on a member: what
     * becomes the pool's database if this host is made master with {@code pool.emergency_transition_to_master}).
     */
    public void backup(java.nio.file.Path file) throws java.io.IOException {
        if (discarded) return;
        synchronized (this) {
            org.xapijava.db.persist.StateDbWriter.write(replica.snapshot().image(), file);
        }
    }

    /** This host left the pool ({@code pool.eject}): {@link #backup} writes nothing from now on. */
    public void discard() {
        discarded = true;
    }

    @Override
    public void close() {
        follower.close();
        link.close();
    }
}
