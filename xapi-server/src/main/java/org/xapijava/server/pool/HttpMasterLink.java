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
import java.util.concurrent.TimeoutException;
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
 * the timeout is {@code INTERNAL_ERROR}. Thread-safe; {@link #close()} stops the client.
 */
public final class HttpMasterLink implements MasterLink, AutoCloseable {
    static final String PATH = "/remote_db_access_v2";
    /** Xapi's limit on a remote database request or answer (a full feed is streamed in several answers). */
    private static final int MAX_RESPONSE = 256 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

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
        return ReplicaService.result(json(req, timeout));
    }

    @Override
    public long updateAllowedOperations(String cls, String ref) {
        ArrayNode req = JsonNodeFactory.instance
                .arrayNode()
                .add("Update_allowed_operations")
                .add(cls)
                .add(ref);
        return ReplicaService.result(json(req, timeout));
    }

    private JsonNode json(JsonNode request, Duration wait) {
        try {
            return JSON.readTree(post(request, wait));
        } catch (IOException e) {
            throw ApiError.internal("the pool master's answer does not parse: " + e.getMessage());
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
        ContentResponse r = send(request, wait);
        if (r.getStatus() == 404) return null;
        if (r.getStatus() != 200)
            throw ApiError.internal("the pool master answered HTTP " + r.getStatus() + " on " + PATH);
        return r.getContent();
    }

    /**
     * {@code GET path} of the master (one of its HTTP actions, under the pool secret) and the answer's body; {@code
     * INTERNAL_ERROR} when the master cannot be reached, answers other than 200, or takes longer than {@code wait}.
     */
    public byte[] get(String path, Duration wait) {
        ContentResponse r = send(client.newRequest(uri.resolve(path)), wait);
        if (r.getStatus() != 200)
            throw ApiError.internal("the pool master answered HTTP " + r.getStatus() + " on " + path);
        return r.getContent();
    }

    private ContentResponse send(JsonNode request, Duration wait) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return send(client.POST(uri).body(new BytesRequestContent("application/json", body)), wait);
    }

    /** {@code request} sent with the pool secret's cookie, its whole answer within {@code wait}. */
    private ContentResponse send(Request request, Duration wait) {
        Request req = request.headers(h -> h.put("Cookie", "pool_secret=" + secret.get()))
                .timeout(wait.toMillis(), TimeUnit.MILLISECONDS);
        ContentResponse r;
        try {
            r = new CompletableResponseListener(req, MAX_RESPONSE).send().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while calling the pool master");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof TimeoutException t ? t : e.getCause();
            throw ApiError.internal("cannot reach the pool master at " + uri + ": " + cause);
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
