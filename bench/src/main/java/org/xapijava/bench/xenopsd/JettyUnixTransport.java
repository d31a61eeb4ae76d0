package org.xapijava.bench.xenopsd;

import java.net.ConnectException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.xapijava.xenopsd.XenopsProtocolException;
import org.xapijava.xenopsd.XenopsTimeoutException;
import org.xapijava.xenopsd.XenopsUnavailableException;
import org.xapijava.xenopsd.internal.HttpClientConnection;
import org.xapijava.xenopsd.internal.XenopsTransport;

/**
 * The candidate client transport: Jetty 12's {@link HttpClient} over a Unix domain socket
 * ({@link ClientConnector#forUnixDomain}, HTTP/1.1), configured as {@code XenopsClient} would use it: keep-alive
 * pool of up to 64 connections, {@code User-Agent: xapi}, connect timeout on the connector, the call's limit as
 * the request's total timeout and no idle timeout (a long-poll {@code UPDATES.get} stays silent for its whole
 * poll), Jetty's callbacks on virtual threads, the caller blocking on the answer. Failures map to the same
 * exceptions as the hand-written transport. Thread-safe.
 */
public final class JettyUnixTransport implements XenopsTransport {

    /** As {@code HttpClientConnection}'s limit: a VM.list of thousands of VMs is far smaller. */
    private static final int MAX_BODY = 256 << 20;

    private final HttpClient client;
    private final String uri;
    private final Path socket;

    public JettyUnixTransport(Path socket, Duration connectTimeout) {
        this.socket = socket;
        ClientConnector connector = ClientConnector.forUnixDomain(socket);
        connector.setConnectTimeout(connectTimeout);
        client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        QueuedThreadPool pool = new QueuedThreadPool(8, 1);
        pool.setName("xenopsd-client");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        client.setExecutor(pool);
        client.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, "xapi"));
        client.setMaxConnectionsPerDestination(64);
        client.setIdleTimeout(0);
        client.setFollowRedirects(false);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start Jetty's HTTP client", e);
        }
        // the host is not used on a Unix socket; the path is the request target, as XenopsClient sends it
        this.uri = "http://localhost" + socket.toAbsolutePath();
    }

    @Override
    public HttpClientConnection.Response exchange(String method, byte[] request, long timeoutNanos) {
        Request r = client.newRequest(uri)
                .method(HttpMethod.POST)
                .body(new BytesRequestContent(request))
                .idleTimeout(0, TimeUnit.MILLISECONDS);
        if (timeoutNanos >= 0)
            r.timeout(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)), TimeUnit.MILLISECONDS);
        try {
            ContentResponse cr =
                    new CompletableResponseListener(r, MAX_BODY).send().get();
            return new HttpClientConnection.Response(cr.getStatus(), cr.getContent(), true);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof TimeoutException) {
                throw new XenopsTimeoutException("xenopsd did not answer " + method + " within "
                        + Duration.ofNanos(timeoutNanos) + " (" + socket + ")");
            }
            if (c instanceof ConnectException || c instanceof NoSuchFileException) {
                throw new XenopsUnavailableException("cannot connect to xenopsd at " + socket + ": " + c, c);
            }
            if (c instanceof HttpResponseException || c instanceof BadMessageException) {
                throw new XenopsProtocolException("xenopsd answered " + method + " with bad HTTP: " + c, c);
            }
            throw new XenopsUnavailableException("connection to xenopsd broke during " + method + ": " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.abort(e);
            throw new XenopsUnavailableException("interrupted during " + method, e);
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
