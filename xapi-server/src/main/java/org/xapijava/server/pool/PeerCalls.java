package org.xapijava.server.pool;

import java.net.URI;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.client.XmlRpcTransport;

/**
 * Calls to another host of the pool by its address, under an in-memory session of that host
 * ({@code session.slave_local_login} with the pool secret), as Xapi's {@code call_emergency_mode_functions}: they reach
 * a host in emergency mode, need no database and check no liveness. Used for the calls of a master change. A host
 * that cannot be reached is {@code CANNOT_CONTACT_HOST [address]}. Thread-safe.
 */
public final class PeerCalls {
    private static final Logger LOG = LoggerFactory.getLogger(PeerCalls.class);

    private final int port;
    private final java.util.function.Supplier<String> secret;
    private final Duration timeout;
    private final PoolTls tls;

    /**
     * @param port    the HTTP port every host of the pool answers on
     * @param secret  this host's pool secret
     * @param timeout how long one call may take
     */
    public PeerCalls(int port, String secret, Duration timeout) {
        this(port, () -> secret, timeout, null);
    }

    /** As {@link #PeerCalls(int, String, Duration)}, over {@code tls} when it is enabled (null: plain HTTP). */
    public PeerCalls(int port, String secret, Duration timeout, PoolTls tls) {
        this(port, () -> secret, timeout, tls);
    }

    /** As above, the secret read at each login (it changes when the pool's secret is rotated). */
    public PeerCalls(int port, java.util.function.Supplier<String> secret, Duration timeout, PoolTls tls) {
        this.tls = tls;
        this.port = port;
        this.secret = secret;
        this.timeout = timeout;
    }

    /** Runs {@code calls} on the host at {@code address} under a local session there, logged out after. */
    public <T> T on(String address, Function<XenApi, T> calls) {
        try (XmlRpcTransport t = XmlRpcTransport.tcp(uri(address), tls == null ? null : tls.context(), timeout)) {
            XenApi anon = new XenApi(t, null);
            XenApi api = anon.withSession(anon.session().slaveLocalLogin(secret.get()));
            try {
                return calls.apply(api);
            } finally {
                try {
                    api.session().localLogout();
                } catch (RuntimeException e) {
                    LOG.debug("local logout on {}: {}", address, e.toString()); // it may be restarting already
                }
            }
        } catch (IllegalStateException e) {
            LOG.warn("cannot call the host at {}: {}", address, e.getMessage());
            throw new ApiError(ErrorCodes.CANNOT_CONTACT_HOST, address);
        }
    }

    /** As {@link #on(String, Function)}, for calls without a result. */
    public void run(String address, java.util.function.Consumer<XenApi> calls) {
        on(address, api -> {
            calls.accept(api);
            return null;
        });
    }

    /** The XML-RPC URI of the host at {@code address}. */
    public URI uri(String address) {
        if (tls != null && tls.enabled()) return tls.uri(address);
        return XmlRpcTransport.hostUri(address, port);
    }
}
