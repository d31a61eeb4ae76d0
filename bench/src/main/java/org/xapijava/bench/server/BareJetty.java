package org.xapijava.bench.server;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The baseline server: Jetty 12 set up as {@code XapiServer} sets up its HTTP connector (same thread
 * pool shape with virtual threads for blocking handlers, one acceptor, one selector, same
 * {@link HttpConfiguration} settings) but with a handler that does no API work. A POST reads its body
 * (as the RPC handler does: {@code Content-Length}, read whole) and answers {@code ok}, or, on a path
 * registered with {@link #serve}, a fixed byte array (to time the transport of a large response alone).
 */
public final class BareJetty implements AutoCloseable {
    private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);

    private final Server jetty;
    private final ServerConnector http;
    private final Map<String, byte[]> fixed = new ConcurrentHashMap<>();

    private BareJetty(String host, int port) throws Exception {
        // The same pool shape as XapiServer (max 64 platform threads, min 4, virtual threads for handlers).
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("bare-http");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        jetty = new Server(pool);
        jetty.setStopTimeout(2_000);
        HttpConfiguration hc = new HttpConfiguration();
        hc.setSendServerVersion(false);
        hc.setSendXPoweredBy(false);
        hc.setRequestHeaderSize(16 * 1024);
        hc.setHeaderCacheSize(0); // as XapiServer
        http = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(hc));
        http.setHost(host);
        http.setPort(port);
        http.setIdleTimeout(300_000);
        http.setAcceptQueueSize(1024);
        jetty.addConnector(http);
        jetty.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                long len = request.getLength();
                if (len > 0) {
                    InputStream in = Content.Source.asInputStream(request);
                    in.readNBytes((int) len);
                }
                byte[] body = fixed.getOrDefault(Request.getPathInContext(request), OK);
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, body == OK ? "text/plain" : "text/xml");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Integer.toString(body.length));
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        jetty.start();
    }

    /** Starts a baseline server on an ephemeral port of {@code host}. */
    public static BareJetty start(String host) throws Exception {
        return new BareJetty(host, 0);
    }

    /** Starts a baseline server on {@code port} of {@code host} (0: an ephemeral port). */
    public static BareJetty start(String host, int port) throws Exception {
        return new BareJetty(host, port);
    }

    /** The bound port. */
    public int port() {
        return http.getLocalPort();
    }

    /** From now on, a POST to {@code path} answers {@code body} (same array, never copied). */
    public void serve(String path, byte[] body) {
        fixed.put(path, body);
    }

    /** Undoes {@link #serve}: {@code path} answers {@code ok} again (and the array can be collected). */
    public void forget(String path) {
        fixed.remove(path);
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
    }
}
