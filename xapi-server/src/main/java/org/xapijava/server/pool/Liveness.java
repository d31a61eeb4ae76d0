package org.xapijava.server.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.server.ops.AllowedOperations;

/**
 * The master's view of its members' heartbeats without HA (Xapi's {@code db_gc.ml} {@code check_host_liveness}):
 * each member tickles every 30 s; {@link #check}, run by the master's 30 s GC, sets {@code host_metrics.live=false}
 * for a member silent longer than the dead interval (10 minutes by default) and back to true once it tickles again,
 * unless it said it was shutting down. A member not heard from yet counts as heard when a check first meets it (Xapi's
 * grace period: every member at the master's start, and a host that joined since from the check after its record was
 * made, not from the master's start). Thread-safe.
 */
public final class Liveness {
    private static final Logger LOG = LoggerFactory.getLogger(Liveness.class);

    private final Db db;
    private final Clock clock;
    private final String master;
    private final Duration deadAfter;
    private final AllowedOperations allowed;
    private final Map<String, Instant> heard = new ConcurrentHashMap<>();
    private final Set<String> shuttingDown = ConcurrentHashMap.newKeySet();

    public Liveness(Db db, Clock clock, String master, Duration deadAfter, AllowedOperations allowed) {
        this.db = db;
        this.clock = clock;
        this.master = master;
        this.deadAfter = deadAfter;
        this.allowed = allowed;
    }

    /** {@code host.tickle_heartbeat}: {@code host} is alive; {@code shutting-down=true} marks it dead at once. */
    public void tickle(String host, Map<String, String> stuff) {
        heard.put(host, clock.instant());
        if ("true".equals(stuff.get("shutting-down"))) {
            shuttingDown.add(host);
            setLive(host, false, "clean shutdown");
        }
    }

    /** {@code pool.hello}: the member (re)started: it is live and no longer shutting down. */
    public void hello(String host) {
        shuttingDown.remove(host);
        heard.put(host, clock.instant());
        setLive(host, true, "hello");
    }

    /** One pass of the master's liveness check. */
    public void check() {
        Instant now = clock.instant();
        for (String host : db.all(Host.XAPI_CLASS)) {
            if (host.equals(master)) continue;
            Instant last = heard.computeIfAbsent(host, h -> now);
            boolean fresh = !last.plus(deadAfter).isBefore(now);
            if (!fresh) setLive(host, false, "no heartbeat since " + last);
            else if (!shuttingDown.contains(host)) setLive(host, true, "heartbeat");
        }
    }

    private void setLive(String host, boolean live, String why) {
        try {
            if (!db.exists(Host.XAPI_CLASS, host)) return;
            String metrics = db.get(host, Host.METRICS);
            if (!db.exists(HostMetrics.XAPI_CLASS, metrics) || db.get(metrics, HostMetrics.LIVE) == live) return;
            db.set(metrics, HostMetrics.LIVE, live);
            allowed.update(Host.XAPI_CLASS, host);
            LOG.info("host {} is {} ({})", host, live ? "live" : "dead", why);
        } catch (RuntimeException e) {
            LOG.warn("liveness of host {} not updated: {}", host, e.toString());
        }
    }
}
