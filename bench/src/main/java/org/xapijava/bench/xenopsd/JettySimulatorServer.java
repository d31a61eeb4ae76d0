package org.xapijava.bench.xenopsd;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.xapijava.xenopsd.sim.RpcEndpoint;
import org.xapijava.xenopsd.sim.Simulator;
import org.xapijava.xenopsd.sim.SimulatorServer;

/**
 * The candidate simulator server: Jetty 12 with a {@link UnixDomainServerConnector} (as {@code XapiServer} serves
 * its own Unix socket), the same limits as {@link SimulatorServer} (64 KiB heads, {@link SimulatorServer#MAX_BODY}
 * bodies, 404 for anything but POST, 411 without a length, 120 s idle connections), a blocking handler on virtual
 * threads in front of the same {@link RpcEndpoint}. One behaviour differs and is not worked around: Jetty's parser
 * refuses an HTTP/1.1 request without {@code Host} (400), which the hand-written server answers (the request
 * {@code ServerRobustnessTest} sends as xapi's {@code xcp_client} does). Thread-safe.
 */
public final class JettySimulatorServer implements AutoCloseable {

    private final Server server;
    private final Path socket;

    public JettySimulatorServer(Simulator sim, Path socket) throws Exception {
        this.socket = socket;
        RpcEndpoint endpoint = new RpcEndpoint(sim);
        // -Dbench.jetty.threads=platform: handlers on a pool of platform threads instead of virtual threads
        boolean platform = "platform".equals(System.getProperty("bench.jetty.threads"));
        QueuedThreadPool pool = platform ? new QueuedThreadPool(32, 4) : new QueuedThreadPool(8, 2);
        pool.setName("xenopsd-sim-http");
        if (!platform) pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(pool);
        HttpConfiguration hc = new HttpConfiguration();
        hc.setSendServerVersion(false);
        hc.setSendXPoweredBy(false);
        hc.setSendDateHeader(false);
        hc.setHeaderCacheSize(0);
        hc.setRequestHeaderSize(64 * 1024);
        UnixDomainServerConnector c = new UnixDomainServerConnector(server, new HttpConnectionFactory(hc));
        Files.deleteIfExists(socket);
        c.setUnixDomainPath(socket);
        c.setIdleTimeout(SimulatorServer.IDLE_TIMEOUT_MS);
        c.setAcceptQueueSize(64);
        server.addConnector(c);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                if (!HttpMethod.POST.is(request.getMethod())) {
                    Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                    return true;
                }
                long length = request.getLength();
                if (length < 0) {
                    Response.writeError(request, response, callback, HttpStatus.LENGTH_REQUIRED_411);
                    return true;
                }
                if (length > SimulatorServer.MAX_BODY) {
                    Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413);
                    return true;
                }
                ByteBuffer in = Content.Source.asByteBuffer(request);
                byte[] body = new byte[in.remaining()];
                in.get(body);
                endpoint.awaitUnwedged();
                RpcEndpoint.Reply reply = endpoint.answer(body);
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.USER_AGENT, "xenopsd");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
                response.write(true, ByteBuffer.wrap(reply.body()), callback);
                return true;
            }
        });
        server.start();
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() throws Exception {
        server.stop();
        Files.deleteIfExists(socket);
    }
}
