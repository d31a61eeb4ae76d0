package org.xapijava.server.forward;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.session.PoolSecret;

/**
 * The master's connections to the other hosts of the pool (Xapi's {@code call_slave_with_session}): XML-RPC to
 * {@code http://<host.address>:<port>/} through the typed client's transport, with one pool session per host
 * ({@code session.slave_login} with the pool secret, made again once if the host no longer knows it), and the
 * caller's task passed on in the {@code task-id} header so that the host runs the call under it. A host that
 * cannot be reached is {@code CANNOT_CONTACT_HOST [host]}. Thread-safe; {@link #close()} stops the clients.
 */
public final class HostClients implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostClients.class);

    private record Client(String address, XmlRpcTransport transport) {}

    private final Db db;
    private final PoolSecret secret;
    private final IntSupplier port;
    private final Duration timeout;
    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private final Map<String, String> sessions = new ConcurrentHashMap<>();
    private final java.util.function.LongSupplier generation;
    /** The pool's HTTPS transport, or null: plain HTTP on {@link #port}. */
    private volatile org.xapijava.server.pool.PoolTls tls;

    /**
     * The header of a forwarded call that carries the master's database generation when it was made: a member runs
     * the call once its replica holds that generation, so it sees every write the master made before.
     */
    public static final String GENERATION_HEADER = "x-xapi-db-generation";

    /**
     * @param port    the port every host of the pool answers XML-RPC on (this host's HTTP port, read when a host's
     *                client is made)
     * @param timeout how long one forwarded call may take (a VM start on a slow host takes minutes)
     */
    public HostClients(
            Db db, PoolSecret secret, IntSupplier port, Duration timeout, java.util.function.LongSupplier generation) {
        this.generation = generation;
        this.db = db;
        this.secret = secret;
        this.port = port;
        this.timeout = timeout;
    }

    /**
     * Calls {@code method} on {@code host} with {@code params} in RPC form (without the session), under
     * {@code task} (null: none), and returns the result in RPC form.
     *
     * @throws ApiError the host's error, or {@code CANNOT_CONTACT_HOST [host]}
     */
    public Object call(String host, String method, List<Object> params, String task) {
        String g = Long.toString(generation.getAsLong());
        Map<String, String> headers =
                task == null ? Map.of(GENERATION_HEADER, g) : Map.of("task-id", task, GENERATION_HEADER, g);
        try {
            try {
                return client(host).transport().call(method, withSession(session(host), params), headers);
            } catch (ApiError e) {
                if (!e.code().equals(ErrorCodes.SESSION_INVALID)) throw e;
                sessions.remove(host); // the host restarted or collected it: log in again, once
                return client(host).transport().call(method, withSession(session(host), params), headers);
            }
        } catch (IllegalStateException e) {
            LOG.warn("{} on host {}: {}", method, host, e.getMessage());
            throw new ApiError(ErrorCodes.CANNOT_CONTACT_HOST, host);
        }
    }

    private static List<Object> withSession(String session, List<Object> params) {
        List<Object> out = new ArrayList<>(params.size() + 1);
        out.add(session);
        out.addAll(params);
        return out;
    }

    /** The pool session on {@code host}, logged in when there is none (no lock held across the call). */
    private String session(String host) {
        String s = sessions.get(host);
        if (s != null) return s;
        String fresh = (String) client(host).transport().call("session.slave_login", List.of(host, secret.value()));
        String raced = sessions.putIfAbsent(host, fresh);
        return raced == null ? fresh : raced;
    }

    /** From now on, hosts are called over the pool's TLS transport when it is {@linkplain
     * org.xapijava.server.pool.PoolTls#enabled() enabled}. */
    public void useTls(org.xapijava.server.pool.PoolTls tls) {
        this.tls = tls;
    }

    /** The host's client, made again when its address changed. */
    private Client client(String host) {
        String address = db.get(host, Host.ADDRESS);
        return clients.compute(host, (h, c) -> {
            if (c != null && c.address().equals(address)) return c;
            if (c != null) c.transport().close();
            sessions.remove(h);
            org.xapijava.server.pool.PoolTls t = tls;
            if (t != null && t.enabled())
                return new Client(address, XmlRpcTransport.tcp(t.uri(address), t.context(), timeout));
            return new Client(
                    address, XmlRpcTransport.tcp(XmlRpcTransport.hostUri(address, port.getAsInt()), null, timeout));
        });
    }

    /**
     * Leaves the open connections to every host (sessions are kept): the next call to a host connects anew, so its
     * certificate is checked against the pool's trust as it is now (after a CRL was installed).
     */
    public void reconnect() {
        List<Client> old = new ArrayList<>();
        for (String h : List.copyOf(clients.keySet())) {
            Client c = clients.remove(h);
            if (c != null) old.add(c);
        }
        if (old.isEmpty()) return;
        // calls in progress on the old connections finish (within the longest a call may take), then they close
        Thread.ofVirtual().name("host-clients-retired").start(() -> {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Client c : old) {
                try {
                    c.transport().close();
                } catch (RuntimeException e) {
                    LOG.debug("closing the old client of {}: {}", c.address(), e.toString());
                }
            }
        });
    }

    @Override
    public void close() {
        for (Client c : clients.values()) {
            try {
                c.transport().close();
            } catch (RuntimeException e) {
                LOG.debug("closing the client of {}: {}", c.address(), e.toString());
            }
        }
        clients.clear();
    }
}
