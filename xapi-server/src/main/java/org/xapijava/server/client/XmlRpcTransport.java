package org.xapijava.server.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.xapijava.model.client.Transport;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * The XenAPI over XML-RPC to a host, through Jetty's HTTP client with keep-alive connections: plain HTTP, HTTPS
 * (with the caller's trust: pool members check the master's certificate), or the host's local Unix socket, whose
 * callers are the local superuser. Bodies are our own codec's bytes; responses up to 1 GiB are read whole (a
 * 10,000-VM {@code get_all_records} is about 15 MB). A transport failure (refused connection, timeout, an HTTP
 * status other than 200, a body that does not parse) is an {@link IllegalStateException}; an API error is the
 * {@link ApiError} of the failure envelope. A call whose connection fails while its request is written (the host
 * cannot have run it) is sent once more; a call may be silent for as long as its timeout. Thread-safe; {@link
 * #close()} stops the client.
 */
public final class XmlRpcTransport implements Transport, AutoCloseable {
    /** Largest response read: Jetty's default (2 MiB) is far below a big pool's {@code get_all_records}. */
    private static final int MAX_RESPONSE = 1 << 30;

    private final HttpClient client;
    private final URI uri;
    private final Duration timeout;

    private XmlRpcTransport(HttpClient client, URI uri, Duration timeout) {
        this.client = client;
        this.uri = uri;
        this.timeout = timeout;
    }

    /**
     * {@code http://<address>:<port>/}, where a pool's host at {@code address} answers XML-RPC (an IPv6 address in
     * brackets): a pool's hosts all listen on the same port.
     */
    public static URI hostUri(String address, int port) {
        String h = address.contains(":") ? "[" + address + "]" : address;
        return URI.create("http://" + h + ":" + port + "/");
    }

    /** XML-RPC to {@code http://...} or, with {@code tls} given, {@code https://...}. */
    public static XmlRpcTransport tcp(URI uri, SSLContext tls, Duration timeout) {
        ClientConnector connector = new ClientConnector();
        if (tls != null) {
            SslContextFactory.Client ssl = new SslContextFactory.Client();
            ssl.setSslContext(tls);
            connector.setSslContextFactory(ssl);
        }
        return start(new HttpClient(new HttpClientTransportOverHTTP(connector)), uri, timeout);
    }

    /** XML-RPC over the host's Unix socket at {@code socket} (the local superuser's door). */
    public static XmlRpcTransport unix(Path socket, Duration timeout) {
        ClientConnector connector = ClientConnector.forUnixDomain(socket);
        return start(
                new HttpClient(new HttpClientTransportOverHTTP(connector)), URI.create("http://localhost/"), timeout);
    }

    private static XmlRpcTransport start(HttpClient c, URI uri, Duration timeout) {
        c.setFollowRedirects(false);
        c.setUserAgentField(null);
        try {
            c.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client", e);
        }
        return new XmlRpcTransport(c, uri, timeout);
    }

    @Override
    public Object call(String method, List<Object> params) {
        return call(method, params, Map.of());
    }

    /**
     * {@link #call(String, List)} with extra request headers, e.g. {@code task-id} when the pool master forwards
     * a call to the host that runs it under the master's task.
     */
    public Object call(String method, List<Object> params, Map<String, String> headers) {
        byte[] body = XmlRpcWriter.call(method, params);
        ContentResponse r;
        try {
            try {
                r = send(body, headers);
            } catch (NotSent e) {
                // the connection failed while the request was written (a kept-alive connection closed under it):
                // the host never read the whole request, so it ran nothing, and the call is sent once more
                r = send(body, headers);
            }
        } catch (NotSent e) {
            throw failed(method, e.getCause());
        } catch (ExecutionException e) {
            throw failed(method, e.getCause());
        }
        if (r.getStatus() != 200) {
            throw new IllegalStateException(
                    method + " to " + uri + ": HTTP " + r.getStatus() + " " + r.getContentAsString());
        }
        RpcResponse resp;
        try {
            resp = XmlRpcReader.RESPONSES.readResponse(r.getContent());
        } catch (XmlRpcParseException e) {
            throw new IllegalStateException(method + " to " + uri + ": response does not parse: " + e.getMessage(), e);
        }
        if (resp.success()) return resp.contents();
        @SuppressWarnings("unchecked")
        List<String> d = (List<String>) resp.contents();
        if (d.isEmpty()) throw ApiError.internal("empty error description from " + uri);
        return fail(d);
    }

    /** The call's request, sent once; its whole answer. */
    private ContentResponse send(byte[] body, Map<String, String> headers) throws ExecutionException {
        Request req = client.POST(uri)
                .body(new BytesRequestContent("text/xml", body))
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                // a call may be silent as long as it may take (Jetty's connections give up after 30 s otherwise)
                .idleTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!headers.isEmpty()) req.headers(h -> headers.forEach(h::put));
        AtomicBoolean requestFailed = new AtomicBoolean();
        AtomicBoolean answered = new AtomicBoolean();
        req.onRequestFailure((q, x) -> requestFailed.set(true));
        req.onResponseBegin(a -> answered.set(true));
        try {
            return new CompletableResponseListener(req, MAX_RESPONSE).send().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("call to " + uri + " interrupted", e);
        } catch (ExecutionException e) {
            if (requestFailed.get() && !answered.get() && !(e.getCause() instanceof TimeoutException))
                throw new NotSent(e.getCause());
            throw e;
        }
    }

    /** The request could not be written whole, and nothing was answered. */
    private static final class NotSent extends RuntimeException {
        NotSent(Throwable cause) {
            super(cause);
        }
    }

    private IllegalStateException failed(String method, Throwable cause) {
        return new IllegalStateException(method + " to " + uri + " failed: " + cause, cause);
    }

    private static Object fail(List<String> description) {
        throw new ApiError(description.get(0), description.subList(1, description.size()));
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the HTTP client", e);
        }
    }
}
