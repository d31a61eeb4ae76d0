package org.xapijava.server.pool;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.server.forward.HostClients;

/**
 * Xapi's {@code Xapi_host.is_host_alive}, on the master: a host whose metrics say it is not live is dead, definitively;
 * one the database still thinks live is asked ({@code pool.is_slave} through the pool's client) and any failure to
 * answer within {@link #ASK_TIMEOUT} counts as dead. This host is always alive. Thread-safe.
 */
public final class HostAliveness implements Predicate<String> {
    private static final Logger LOG = LoggerFactory.getLogger(HostAliveness.class);
    /** How long the asked host has to answer (Xapi waits on its connection's own timeouts). */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    private final Db db;
    private final HostClients hosts;
    private final String me;

    public HostAliveness(Db db, HostClients hosts, String me) {
        this.db = db;
        this.hosts = hosts;
        this.me = me;
    }

    @Override
    public boolean test(String host) {
        if (host.equals(me)) return true;
        if (!db.exists(Host.XAPI_CLASS, host)) return false;
        String metrics = db.get(host, Host.METRICS);
        if (db.exists(HostMetrics.XAPI_CLASS, metrics) && !db.get(metrics, HostMetrics.LIVE)) {
            LOG.debug("host {} is marked as dead in the database; treating this as definitive", host);
            return false;
        }
        CompletableFuture<Object> answer = new CompletableFuture<>();
        Thread.ofVirtual().name("is-host-alive").start(() -> {
            try {
                answer.complete(hosts.call(host, "pool.is_slave", List.of(host), null));
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            }
        });
        try {
            answer.get(ASK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn(
                    "is_host_alive {}: {} while asking it: assuming dead",
                    host,
                    e.getCause() == null ? e : e.getCause());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
