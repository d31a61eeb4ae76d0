package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.FeedBatch;
import org.xapijava.db.FeedCodec;
import org.xapijava.model.errors.ApiError;

/**
 * Keeps a pool member's replica in step with the master's database: long-polls the master's feed
 * ({@code ["Feed", epoch, since, wait_ms]} on {@link HttpMasterLink}) and applies each batch, a full image first. When
 * the master cannot be reached it retries with Xapi's backoff ({@code master_connection.ml}: 2 s, doubling up to
 * 256 s) and, once nothing has been received for the connection timeout, calls {@code lost} (xapi restarts, and comes
 * up in emergency mode if the master is still away). Thread-safe; {@link #close} stops it.
 */
public final class ReplicaFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFollower.class);
    /** How long one feed request waits at the master for a change. */
    static final Duration POLL = Duration.ofSeconds(20);

    private final Database replica;
    private final HttpMasterLink link;
    private final FeedCodec codec;
    private final Duration backoffMin;
    private final Duration backoffMax;
    private final Duration connectionTimeout;
    private final Runnable lost;
    /** This replica's id in the master's {@link Followers}. */
    private final String id = java.util.UUID.randomUUID().toString();
    /** Test hook: how long the follower waits before each feed request (a slow member); zero in production. */
    private final Duration applyDelay;

    private volatile String epoch = "";
    private volatile long since = -1;
    private volatile boolean closed;
    private Thread thread;

    public ReplicaFollower(
            Database replica,
            HttpMasterLink link,
            Duration backoffMin,
            Duration backoffMax,
            Duration connectionTimeout,
            Duration applyDelay,
            Runnable lost) {
        this.replica = replica;
        this.link = link;
        this.codec = new FeedCodec(replica.datamodel());
        this.backoffMin = backoffMin;
        this.backoffMax = backoffMax;
        this.connectionTimeout = connectionTimeout;
        this.lost = lost;
        this.applyDelay = applyDelay;
    }

    /**
     * One feed request answered at once (the first brings the full image).
     *
     * @throws ApiError {@code INTERNAL_ERROR} when the master cannot be reached or answers nonsense
     */
    public void syncOnce(Duration timeout) {
        apply(fetch(Duration.ZERO, timeout));
    }

    private FeedBatch fetch(Duration wait, Duration timeout) {
        var req = JsonNodeFactory.instance
                .arrayNode()
                .add("Feed")
                .add(epoch)
                .add(since)
                .add(wait.toMillis())
                .add(id);
        byte[] body = link.post(req, timeout);
        try {
            return codec.decode(new ByteArrayInputStream(body));
        } catch (IOException | RuntimeException e) {
            throw ApiError.internal("the master's database feed does not decode: " + e);
        }
    }

    private void apply(FeedBatch b) {
        if (!b.isEmpty() || b.full()) replica.applyFeed(b);
        epoch = b.epoch();
        since = b.to();
    }

    /** Follows the feed on a thread of its own until {@link #close}. */
    public synchronized void start() {
        thread = Thread.ofVirtual().name("xapi-replica").start(this::run);
    }

    private void run() {
        Duration backoff = backoffMin;
        long lastContact = System.nanoTime();
        while (!closed) {
            try {
                if (!applyDelay.isZero()) Thread.sleep(applyDelay);
                apply(fetch(POLL, POLL.plusSeconds(30)));
                lastContact = System.nanoTime();
                backoff = backoffMin;
            } catch (InterruptedException e) {
                return;
            } catch (FeedBatch.GapException e) {
                LOG.warn("replica out of step ({}): asking for a full image", e.getMessage());
                since = -1;
            } catch (RuntimeException e) {
                if (closed) return;
                Duration silent = Duration.ofNanos(System.nanoTime() - lastContact);
                if (silent.compareTo(connectionTimeout) > 0) {
                    LOG.error("no contact with the master for {} s: restarting", silent.toSeconds());
                    lost.run();
                    return;
                }
                LOG.warn("master's database feed failed ({}); retrying in {} ms", e.getMessage(), backoff.toMillis());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = backoff.multipliedBy(2);
                if (backoff.compareTo(backoffMax) > 0) backoff = backoffMax;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) t.interrupt();
    }
}
