package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.xapijava.db.Update;
import org.xapijava.model.errors.ApiError;

/**
 * {@link MasterLink} over HTTP: JSON requests to the master's {@code POST /remote_db_access_v2}, authenticated by the
 * pool secret in the cookie {@code pool_secret} as Xapi's members do, on Jetty's client with persistent keep-alive
 * connections. Also carries the member's change-feed requests ({@link #post}). A master that does not answer within
 * the timeout is {@code INTERNAL_ERROR}.
 *
 * <p>A write that does not reach the master (the connection refused, or reset or closed under the request) is sent
 * again after a pause that doubles, until the timeout, as Xapi's {@code master_connection.ml} sends a database call
 * again: each write carries an id, and the master runs an id once and answers a repeat with the first answer
 * ({@link ReplicaService}), so a write whose answer was lost is not applied twice. Thread-safe; {@link #close()}
 * stops the client.
 */
public final class HttpMasterLink implements MasterLink, AutoCloseable {
    static final String PATH = "/remote_db_access_v2";
    /** Xapi's limit on a remote database request or answer (a full feed is streamed in several answers). */
    private static final int MAX_RESPONSE = 256 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpMasterLink.class);
    /** The first pause before a write is sent again. */
    private static final Duration RETRY_FIRST = Duration.ofMillis(50);
    /** The longest pause before a write is sent again. */
    private static final Duration RETRY_MAX = Duration.ofSeconds(2);

    private final HttpClient client;
    private final URI uri;
    private final java.util.function.Supplier<String> secret;
    private final Duration timeout;

    /**
     * @param master the master's base URI ({@code http://host:port} or {@code https://...})
     * @param tls    the trust for HTTPS (the pool's certificates), or null for plain HTTP
     */
    public HttpMasterLink(URI master, SSLContext tls, java.util.function.Supplier<String> secret, Duration timeout) {
        ClientConnector connector = new ClientConnector();
        if (tls != null) {
            SslContextFactory.Client ssl = new SslContextFactory.Client();
            ssl.setSslContext(tls);
            connector.setSslContextFactory(ssl);
        }
        this.client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client", e);
        }
        this.uri = master.resolve(PATH);
        this.secret = secret;
        this.timeout = timeout;
    }

    @Override
    public long apply(Update update) {
        ArrayNode req = JsonNodeFactory.instance.arrayNode().add("Apply");
        req.add(UpdateJson.encode(update));
        req.add(java.util.UUID.randomUUID().toString()); // the id the master runs once
        return ReplicaService.result(jsonRetrying(req));
    }

    @Override
    public long updateAllowedOperations(String cls, String ref) {
        ArrayNode req = JsonNodeFactory.instance
                .arrayNode()
                .add("Update_allowed_operations")
                .add(cls)
                .add(ref);
        return ReplicaService.result(jsonRetrying(req)); // runs again harmlessly: no id
    }

    /**
     * {@code request} posted and its JSON answer, sent again while the master cannot be reached, until the timeout
     * (see the class comment).
     */
    private JsonNode jsonRetrying(JsonNode request) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration pause = RETRY_FIRST;
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return JSON.readTree(
                        body(send(jsonRequest(request), Duration.ofNanos(Math.max(left, 1_000_000))), PATH));
            } catch (IOException e) {
                throw ApiError.internal("the pool master's answer does not parse: " + e.getMessage());
            } catch (Unreachable e) {
                if (System.nanoTime() + pause.toNanos() >= deadline) throw e.error;
                LOG.debug("database request to the master not delivered ({}); sending it again", e.error.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e.error;
                }
                pause = pause.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : pause.multipliedBy(2);
            }
        }
    }

    /**
     * The master could not be reached: the connection was refused, or reset or closed before the answer. Carries the
     * {@code INTERNAL_ERROR} a caller that does not send again throws.
     */
    private static final class Unreachable extends RuntimeException {
        final transient ApiError error;

        Unreachable(ApiError error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }

    /**
     * Posts {@code request} and returns the answer's body; {@code INTERNAL_ERROR} when the master cannot be reached,
     * answers other than 200, or takes longer than {@code wait}.
     */
    public byte[] post(JsonNode request, Duration wait) {
        byte[] body = postIfFound(request, wait);
        if (body == null) throw ApiError.internal("the pool master answered HTTP 404 on " + PATH);
        return body;
    }

    /** As {@link #post}, null when the master answers 404 (what the request names is not there). */
    public byte[] postIfFound(JsonNode request, Duration wait) {
        ContentResponse r = sendOnce(jsonRequest(request), wait);
        return r.getStatus() == 404 ? null : body(r, PATH);
    }

    /** The answer's body; {@code INTERNAL_ERROR} unless the master answered 200 to the request on {@code path}. */
    private static byte[] body(ContentResponse r, String path) {
        if (r.getStatus() != 200)
            throw ApiError.internal("the pool master answered HTTP " + r.getStatus() + " on " + path);
        return r.getContent();
    }

    /**
     * {@code GET path} of the master (one of its HTTP actions, under the pool secret) and the answer's body; {@code
     * INTERNAL_ERROR} when the master cannot be reached, answers other than 200, or takes longer than {@code wait}.
     */
    public byte[] get(String path, Duration wait) {
        return body(sendOnce(client.newRequest(uri.resolve(path)), wait), path);
    }

    /** {@code request} as a POST to the master's {@link #PATH}. */
    private Request jsonRequest(JsonNode request) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return client.POST(uri).body(new BytesRequestContent("application/json", body));
    }

    /** {@link #send}, not sent again: a master that cannot be reached is its {@code INTERNAL_ERROR}. */
    private ContentResponse sendOnce(Request request, Duration wait) {
        try {
            return send(request, wait);
        } catch (Unreachable e) {
            throw e.error;
        }
    }

    /**
     * {@code request} sent with the pool secret's cookie, its whole answer within {@code wait}.
     *
     * @throws Unreachable when the connection was refused, reset or closed before the answer
     */
    private ContentResponse send(Request request, Duration wait) {
        Request req = request.headers(h -> h.put("Cookie", "pool_secret=" + secret.get()))
                .timeout(wait.toMillis(), TimeUnit.MILLISECONDS)
                .idleTimeout(wait.toMillis(), TimeUnit.MILLISECONDS); // not Jetty's 30 s of silence
        ContentResponse r;
        try {
            r = new CompletableResponseListener(req, MAX_RESPONSE).send().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while calling the pool master");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            ApiError error = ApiError.internal("cannot reach the pool master at " + uri + ": " + cause);
            // a refused, reset or closed connection; not a timeout (the master may be at work) nor a TLS refusal
            if (cause instanceof IOException && !(cause instanceof javax.net.ssl.SSLHandshakeException))
                throw new Unreachable(error);
            throw error;
        }
        return r;
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
