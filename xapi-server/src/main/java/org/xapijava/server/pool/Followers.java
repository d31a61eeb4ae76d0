package org.xapijava.server.pool;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.server.dispatch.ReplicationBarrier;

/**
 * The master's record of its members' replicas (semi-synchronous replication, beyond Xapi): each feed request a
 * member makes acknowledges the generation its replica holds, and {@link #await} holds a call's answer until every
 * member in step holds the generation the call left. A member that does not acknowledge within the wait is out of
 * step (logged) and no longer waited for until it catches up; a member not heard from for {@link #FORGET} is
 * forgotten. So a client's acknowledged write is on every member in step, the one to promote after the master dies.
 * Thread-safe.
 */
public final class Followers implements ReplicationBarrier {
    private static final Logger LOG = LoggerFactory.getLogger(Followers.class);
    /** How long a member not polling the feed stays listed. */
    static final Duration FORGET = Duration.ofSeconds(60);

    private static final class Follower {
        volatile long acked;
        volatile long seen;
        volatile boolean inStep = true;
    }

    private final Database db;
    private final Duration wait;
    private final Map<String, Follower> followers = new ConcurrentHashMap<>();
    private final Object changed = new Object();

    /** @param wait how long a call waits for a member before it counts as out of step */
    public Followers(Database db, Duration wait) {
        this.db = db;
        this.wait = wait;
    }

    /** Member {@code id}'s replica holds generation {@code generation} of this master's epoch. */
    public void acked(String id, long generation) {
        Follower f = followers.computeIfAbsent(id, k -> new Follower());
        f.seen = System.nanoTime();
        if (generation > f.acked) f.acked = generation;
        if (!f.inStep && generation >= db.generation()) {
            f.inStep = true;
            LOG.info("member replica {} is in step again at generation {}", id, generation);
        }
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    @Override
    public long mark() {
        return db.generation();
    }

    @Override
    public void await(long mark) {
        long target = db.generation();
        if (target <= mark || followers.isEmpty()) return;
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (changed) {
            while (true) {
                boolean all = true;
                long now = System.nanoTime();
                for (Map.Entry<String, Follower> e : followers.entrySet()) {
                    Follower f = e.getValue();
                    if (now - f.seen > FORGET.toNanos()) {
                        followers.remove(e.getKey());
                        continue;
                    }
                    if (f.inStep && f.acked < target) {
                        if (now >= deadline) {
                            f.inStep = false;
                            LOG.warn(
                                    "member replica {} out of step: at {}, the master at {}",
                                    e.getKey(),
                                    f.acked,
                                    target);
                        } else {
                            all = false;
                        }
                    }
                }
                if (all) return;
                try {
                    changed.wait(Math.max(1, (deadline - now) / 1_000_000));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
