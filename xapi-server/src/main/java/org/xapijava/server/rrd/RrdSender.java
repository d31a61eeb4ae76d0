package org.xapijava.server.rrd;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * xcp-rrdd's side of the RRDs that travel between the hosts of a pool ({@code Rrdd_shared.send_rrd} and the
 * deprecated {@code pull_rrd_from_master}): {@code PUT /rrd?uuid=} (with {@code archive=true} to the master) of an
 * RRD as its internal dump, and {@code GET /host_rrd?uuid=&dbsync=true} of a host's archive on the master. Both
 * carry the pool secret in the {@code pool_secret} cookie, as Xapi's hosts do, over the pool's transport (HTTPS
 * with the pool's trust when the pool uses it, else plain HTTP on the pool's port). A failure is an {@link
 * IllegalStateException}; callers log it and go on, as Xapi's {@code log_and_ignore_exn}. Thread-safe; the HTTP
 * client starts on first use and stops at {@link #close()}.
 */
final class RrdSender implements AutoCloseable {
    /** The longest one transfer may take (a year of rows for a VM is a few MiB). */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final int MAX_RESPONSE = (int) RrdPut.MAX_BODY;

    private final Function<String, URI> hostUri;
    private final SSLContext tls;
    private final Supplier<String> secret;
    private HttpClient client;
    /** For another pool's xapi: its certificate not checked (Xapi's cross-pool {@code verify_cert:None}). */
    private HttpClient otherPool;

    /**
     * @param hostUri the base URI ({@code http(s)://address:port/}) of the pool's host at an address
     * @param tls     the pool's TLS context, or null for plain HTTP
     * @param secret  the pool secret
     */
    RrdSender(Function<String, URI> hostUri, SSLContext tls, Supplier<String> secret) {
        this.hostUri = hostUri;
        this.tls = tls;
        this.secret = secret;
    }

    /** {@code send_rrd}: {@code PUT /rrd?uuid=} at {@code address}, {@code archive=true} when {@code toArchive}. */
    void put(String address, String uuid, Rrd rrd, boolean toArchive) {
        putDump(address, uuid, RrdDump.xml(rrd, true).getBytes(StandardCharsets.UTF_8), toArchive);
    }

    /** As {@link #put(String, String, Rrd, boolean)}, of an RRD's dump as the archive holds it. */
    void putDump(String address, String uuid, byte[] body, boolean toArchive) {
        String query = (toArchive ? RrdPut.ARCHIVE + "=true&" : "") + RrdHandlers.UUID_PARAM + "=" + encode(uuid);
        Request r =
                request(address, HttpMethod.PUT, "rrd?" + query).body(new BytesRequestContent(RrdHandlers.XML, body));
        ContentResponse answer = send(r, address);
        if (answer.getStatus() != 200)
            throw new IllegalStateException("PUT /rrd of " + uuid + " at " + address + ": HTTP " + answer.getStatus());
    }

    /**
     * {@code send_rrd ~session_id}: {@code PUT /rrd?uuid=&session_id=} at the xapi of another pool at {@code base},
     * under that pool's {@code session} (no pool secret), over HTTPS without a certificate check when {@code base} is
     * {@code https}.
     */
    void put(URI base, String session, String uuid, Rrd rrd) {
        String query = RrdHandlers.UUID_PARAM + "=" + encode(uuid) + "&session_id=" + encode(session);
        byte[] body = RrdDump.xml(rrd, true).getBytes(StandardCharsets.UTF_8);
        Request r = otherPool()
                .newRequest(base.resolve("/rrd?" + query))
                .method(HttpMethod.PUT)
                .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .body(new BytesRequestContent(RrdHandlers.XML, body));
        ContentResponse answer = send(r, base.getHost());
        if (answer.getStatus() != 200)
            throw new IllegalStateException("PUT /rrd of " + uuid + " at " + base + ": HTTP " + answer.getStatus());
    }

    /**
     * {@code pull_rrd_from_master}: the archive of host {@code uuid} kept by the master at {@code address}, or null
     * when it has none (404).
     */
    Rrd pullHost(String address, String uuid) {
        String query = RrdHandlers.UUID_PARAM + "=" + encode(uuid) + "&" + RrdHandlers.DBSYNC + "=true";
        ContentResponse answer = send(request(address, HttpMethod.GET, "host_rrd?" + query), address);
        if (answer.getStatus() == 404) return null;
        if (answer.getStatus() != 200)
            throw new IllegalStateException(
                    "GET /host_rrd of " + uuid + " at " + address + ": HTTP " + answer.getStatus());
        return RrdDump.parse(new ByteArrayInputStream(answer.getContent()));
    }

    private Request request(String address, HttpMethod method, String pathAndQuery) {
        return client().newRequest(hostUri.apply(address).resolve("/" + pathAndQuery))
                .method(method)
                .headers(h -> h.put("Cookie", "pool_secret=" + secret.get()))
                .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ContentResponse send(Request r, String address) {
        try {
            return new CompletableResponseListener(r, MAX_RESPONSE).send().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while talking to " + address);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof TimeoutException t ? t : e.getCause();
            throw new IllegalStateException("cannot reach " + address + ": " + cause);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private synchronized HttpClient client() {
        if (client == null) client = start(tls);
        return client;
    }

    private synchronized HttpClient otherPool() {
        if (otherPool == null) otherPool = start(org.xapijava.server.tls.PoolTrust.unverified());
        return otherPool;
    }

    private static HttpClient start(SSLContext tls) {
        ClientConnector connector = new ClientConnector();
        if (tls != null) {
            SslContextFactory.Client ssl = new SslContextFactory.Client();
            ssl.setSslContext(tls);
            connector.setSslContextFactory(ssl);
        }
        HttpClient c = new HttpClient(new HttpClientTransportOverHTTP(connector));
        c.setFollowRedirects(false);
        c.setUserAgentField(null);
        try {
            c.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client", e);
        }
        return c;
    }

    @Override
    public synchronized void close() {
        try {
            if (client != null) client.stop();
            if (otherPool != null) otherPool.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the HTTP client", e);
        } finally {
            client = null;
            otherPool = null;
        }
    }
}
