package org.xapijava.xenopsd.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;
import org.xapijava.xenopsd.XenopsTimeoutException;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * xenopsd's calls POSTed to an HTTP URL over TCP: how a migrating xenopsd reaches the destination's xenopsd through
 * the destination host's xapi ({@code http://<host>/services/xenops?session_id=...}, which xapi hands to its
 * xenopsd, {@code xapi_services.ml}). The URL's path and query are sent as they are. Thread-safe.
 */
public final class HttpUrlTransport implements XenopsTransport {
    private final URI url;
    private final HttpClient client;
    private volatile boolean closed;

    public HttpUrlTransport(URI url, Duration connectTimeout) {
        this(url, connectTimeout, null);
    }

    /** For an {@code https} URL, the connection's TLS is {@code tls} ({@link MigrationTls}). */
    public HttpUrlTransport(URI url, Duration connectTimeout, javax.net.ssl.SSLContext tls) {
        this.url = Objects.requireNonNull(url);
        HttpClient.Builder b =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout);
        if (tls != null) b.sslContext(tls);
        this.client = b.build();
    }

    @Override
    public HttpClientConnection.Response exchange(String method, byte[] request, long timeoutNanos) {
        if (closed) throw new XenopsUnavailableException("xenopsd client is closed", null);
        HttpRequest.Builder b = HttpRequest.newBuilder(url)
                .header("Content-Type", "text/xml")
                .header("User-Agent", "xenopsd")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request));
        if (timeoutNanos >= 0) b.timeout(Duration.ofNanos(timeoutNanos));
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new HttpClientConnection.Response(r.statusCode(), r.body(), true);
        } catch (HttpTimeoutException e) {
            throw new XenopsTimeoutException(url.getHost() + " did not answer " + method + " in time");
        } catch (IOException e) {
            throw new XenopsUnavailableException("cannot reach " + url.getHost() + " for " + method + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenopsUnavailableException("interrupted calling " + method, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        client.close();
    }
}
