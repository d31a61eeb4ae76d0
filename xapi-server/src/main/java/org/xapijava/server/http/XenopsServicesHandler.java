package org.xapijava.server.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.xenopsd.XenopsUnavailableException;
import org.xapijava.xenopsd.internal.HttpClientConnection;
import org.xapijava.xenopsd.internal.PooledUnixTransport;

/**
 * Xapi's {@code /services/xenops} ({@code xapi_services.ml}: {@code post_services_xenops}): what another host's
 * xenopsd sends this host's xenopsd during a migration. Xapi hands the client's connection itself to xenopsd; here
 * the request's body (one XML-RPC call of xenopsd's interface) goes to this host's xenopsd socket and its answer
 * back, status and body as xenopsd gave them. The table has checked the caller's session and
 * {@code http/post_services_xenops}. No xenopsd: {@code 503}. Runs blocking on the request's virtual thread.
 * Thread-safe.
 */
public final class XenopsServicesHandler {
    private static final Logger LOG = LoggerFactory.getLogger(XenopsServicesHandler.class);
    /** The largest call passed on (xenopsd's own limit on a request body). */
    private static final int MAX_BODY = 16 << 20;
    /** A receiving xenopsd answers once the domain is built: minutes when its steps are slowed down. */
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

    private final Path xenopsd;

    public XenopsServicesHandler(Path xenopsdSocket) {
        this.xenopsd = xenopsdSocket;
    }

    public void register(HttpHandlerTable table) {
        table.register("post_services_xenops", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        Response response = c.response();
        Callback callback = c.callback();
        byte[] body = c.bodyAtMost(MAX_BODY);
        if (body == null) {
            answer(response, callback, 413, new byte[0]);
            return;
        }
        HttpClientConnection.Response r;
        // one connection per request, as xapi hands each request's connection to xenopsd
        try (PooledUnixTransport t = new PooledUnixTransport(xenopsd, Duration.ofSeconds(5))) {
            r = t.exchange("services/xenops", body, CALL_TIMEOUT.toNanos());
        } catch (XenopsUnavailableException e) {
            LOG.warn("/services/xenops: xenopsd cannot be reached: {}", e.getMessage());
            answer(response, callback, 503, new byte[0]);
            return;
        }
        answer(response, callback, r.status(), r.body());
    }

    private static void answer(Response response, Callback callback, int status, byte[] body) {
        response.setStatus(status);
        var h = response.getHeaders();
        h.put(HttpHeader.CONTENT_TYPE, "text/xml");
        h.put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
