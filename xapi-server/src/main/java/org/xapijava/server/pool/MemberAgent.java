package org.xapijava.server.pool;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.enums.HelloReturn;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.client.XmlRpcTransport;

/**
 * A pool member's XenAPI calls to its master (Xapi's {@code xapi.ml} start-up and {@code db_gc.ml} heartbeat
 * thread): a pool session by {@code session.slave_login} with the pool secret, {@code pool.hello} at start (its error
 * is the member's emergency error, as Xapi's), and {@code host.tickle_heartbeat} every interval, with
 * {@code shutting-down=true} on a clean stop. An authentication failure of the heartbeat (the member points at a host
 * that is no longer its master) asks for a restart. Thread-safe; {@link #close} stops the heartbeat.
 */
public final class MemberAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MemberAgent.class);

    private final XmlRpcTransport transport;
    private final String host;
    private final java.util.function.Supplier<String> secret;
    private final Clock clock;
    private final Runnable restart;
    private volatile XenApi api;
    private ScheduledExecutorService timer;

    /**
     * @param master  the master's XML-RPC URI
     * @param host    this host's ref in the pool's database
     * @param restart what to do when the master no longer accepts this host (restart xapi)
     */
    public MemberAgent(
            URI master,
            String host,
            java.util.function.Supplier<String> secret,
            Clock clock,
            Duration timeout,
            Runnable restart) {
        this(master, null, host, secret, clock, timeout, restart);
    }

    /** As above, over HTTPS checked by {@code tls} (null: plain HTTP). */
    public MemberAgent(
            URI master,
            javax.net.ssl.SSLContext tls,
            String host,
            java.util.function.Supplier<String> secret,
            Clock clock,
            Duration timeout,
            Runnable restart) {
        this.transport = XmlRpcTransport.tcp(master, tls, timeout);
        this.host = host;
        this.secret = secret;
        this.clock = clock;
        this.restart = restart;
    }

    /** The XenAPI on the master with this member's pool session (Xapi's {@code call_api_functions} on a member). */
    public XenApi masterApi() {
        return api();
    }

    private XenApi api() {
        XenApi a = api;
        if (a == null) {
            XenApi anon = new XenApi(transport, null);
            api = a = anon.withSession(anon.session().slaveLogin(host, secret.get()));
        }
        return a;
    }

    /**
     * {@code pool.hello(uuid, address)}; anything but {@code ok} is the error this member's emergency mode answers
     * with ({@code HOST_UNKNOWN_TO_MASTER}, {@code HOST_MASTER_CANNOT_TALK_BACK}).
     */
    public void hello(String uuid, String address) {
        HelloReturn r = api().pool().hello(uuid, address);
        switch (r) {
            case OK -> {}
            case UNKNOWN_HOST -> throw new ApiError("HOST_UNKNOWN_TO_MASTER", uuid);
            case CANNOT_TALK_BACK -> throw new ApiError("HOST_MASTER_CANNOT_TALK_BACK", address);
        }
    }

    /** {@code message.create} on the master (a member's alerts are the pool's, kept by the master). */
    public String createMessage(String name, long priority, String cls, String objUuid, String body) {
        return api().message().create(name, priority, org.xapijava.model.api.enums.Cls.of(cls), objUuid, body);
    }

    /** Starts tickling every {@code interval}. */
    public synchronized void startHeartbeat(Duration interval) {
        timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("xapi-heartbeat").factory());
        timer.scheduleWithFixedDelay(
                () -> tickle(false), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tickle(boolean shuttingDown) {
        String now = Double.toString(clock.millis() / 1000.0);
        Map<String, String> stuff = shuttingDown ? Map.of("time", now, "shutting-down", "true") : Map.of("time", now);
        try {
            api().host().tickleHeartbeat(host, stuff);
        } catch (ApiError e) {
            if (e.code().equals("SESSION_INVALID")) {
                api = null; // the master restarted: log in again next time
            } else if (e.code().equals("SESSION_AUTHENTICATION_FAILED")) {
                LOG.error("the master refuses this host's pool secret: restarting");
                restart.run();
            } else {
                LOG.warn("heartbeat refused: {}", e.getMessage());
            }
        } catch (IllegalStateException e) {
            LOG.warn("heartbeat to the master failed: {}", e.getMessage());
        }
    }

    /** Stops the heartbeat; a clean stop tells the master ({@code shutting-down=true}). */
    public void close(boolean clean) {
        synchronized (this) {
            if (timer != null) timer.shutdownNow();
            timer = null;
        }
        if (clean) tickle(true);
        transport.close();
    }

    @Override
    public void close() {
        close(false);
    }
}
