package org.xapijava.server.storage.rpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
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
import org.xapijava.model.xmlrpc.XmlRpcReader;

/**
 * xapi's SMAPIv2 storage service on a Unix socket, as xapi serves it without the message switch
 * ({@code Xcp_service} with {@code use-switch=false}: XML-RPC in an HTTP {@code POST} on
 * {@code /var/lib/xcp/storage}, any path, a {@code Content-Length} required): how xenopsd attaches and activates the
 * disks of the VBDs it plugs. Its own small Jetty server on one Unix-domain connector, apart from the XenAPI
 * doors: no session, so the socket is made {@code 0600} (only root, or the user running xapi, reaches it; xapi's
 * is root's under {@code /var/lib/xcp}). A request other than {@code POST} gets 404 as {@code Xcp_service}
 * answers; one without a length, or over {@link XmlRpcReader#REQUEST_LIMITS}, is closed unanswered.
 */
public final class StorageSocket implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StorageSocket.class.getName());

    private final Path path;
    private final StorageRpc rpc;
    private Server jetty;

    public StorageSocket(Path path, StorageRpc rpc) {
        this.path = path;
        this.rpc = rpc;
    }

    public Path path() {
        return path;
    }

    /** The datapath states served here. */
    public Datapaths datapaths() {
        return rpc.datapaths();
    }

    /** Listens (an existing file at the path is replaced). */
    public synchronized void start() throws Exception {
        if (jetty != null) return;
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Files.deleteIfExists(path);
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        pool.setName("xapi-storage");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server s = new Server(pool);
        s.setStopTimeout(2_000);
        HttpConfiguration hc = new HttpConfiguration();
        hc.setSendServerVersion(false);
        hc.setSendXPoweredBy(false);
        hc.setSendDateHeader(false);
        UnixDomainServerConnector c = new UnixDomainServerConnector(s, new HttpConnectionFactory(hc));
        c.setUnixDomainPath(path);
        c.setIdleTimeout(60_000);
        s.addConnector(c);
        s.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(request, response, callback);
                return true;
            }
        });
        s.start();
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            s.stop();
            throw e;
        }
        jetty = s;
        LOG.log(System.Logger.Level.INFO, "storage service listening on " + path);
    }

    private void serve(Request request, Response response, Callback callback) {
        if (!"POST".equals(request.getMethod())) {
            response.setStatus(404);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
            response.write(true, ByteBuffer.allocate(0), callback);
            return;
        }
        long len = request.getLength();
        byte[] body;
        try {
            if (len < 0 || len > XmlRpcReader.REQUEST_LIMITS.maxBytes()) {
                throw new IOException("refused request body of length " + len);
            }
            InputStream in = Content.Source.asInputStream(request);
            body = in.readNBytes((int) len);
            if (body.length != len) throw new IOException("End_of_file");
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "storage request dropped: " + e);
            request.getConnectionMetaData().getConnection().getEndPoint().close(e);
            callback.failed(e);
            return;
        }
        byte[] answer = rpc.handle(body);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
        response.write(true, ByteBuffer.wrap(answer), callback);
    }

    @Override
    public synchronized void close() {
        if (jetty == null) return;
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "storage service stop: " + e);
        }
        jetty = null;
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // gone already
        }
    }
}
