package org.xapijava.xenopsd.sim;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.xapijava.xenopsd.internal.ChannelInput;
import org.xapijava.xenopsd.internal.Deadlines;

/**
 * Serves a {@link Simulator} as xenopsd serves itself without the message switch: XML-RPC over HTTP/1.1
 * {@code POST} on a Unix domain socket ({@code Xcp_service.http_handler}), any request path. Unlike xenopsd, which
 * answers one request per connection and closes it, connections are kept alive (clients that open a connection
 * per call, like xapi's {@code xcp_client}, work the same).
 *
 * <p>Limits: request heads up to 64 KiB, bodies up to {@link #MAX_BODY} (413 and close beyond); a request must
 * arrive within {@link #REQUEST_READ_TIMEOUT_MS} once started and an idle connection is closed after
 * {@link #IDLE_TIMEOUT_MS}. A body that is not an XML-RPC call gets an rpc failure ({@code Internal_error}); the
 * server never stops for bad input. A request other than POST gets 404, as xenopsd answers.
 *
 * <p>One virtual thread accepts; one virtual thread per connection reads (through {@link ChannelInput}, the reader
 * the client uses too), dispatches and answers. Hand-written rather than on Jetty because Jetty measured slower
 * here, and larger in the simulator's small JVM (see {@code docs/decisions.md}, "xenopsd HTTP: Jetty or
 * hand-written", and the benchmark {@code org.xapijava.bench.xenopsd.XenopsHttpBench}). Thread-safe.
 */
public final class SimulatorServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SimulatorServer.class.getName());

    /** Largest request body (metadata of a VM with many devices is a few tens of KiB). */
    public static final int MAX_BODY = 16 << 20;

    private static final int MAX_HEAD = 64 * 1024;
    /** A client that starts a request must finish sending it within this time. */
    public static final long REQUEST_READ_TIMEOUT_MS = 30_000;
    /** A kept-alive connection with no request for this long is closed. */
    public static final long IDLE_TIMEOUT_MS = 120_000;

    private final RpcEndpoint endpoint;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Runnable onShutdownRequest;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread acceptor;
    private volatile boolean closing;

    private SimulatorServer(Simulator sim, Path socket, Runnable onShutdownRequest) throws IOException {
        this.endpoint = new RpcEndpoint(Objects.requireNonNull(sim));
        this.socket = socket;
        this.onShutdownRequest = onShutdownRequest == null ? this::closeSoon : onShutdownRequest;
        Path parent = socket.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.deleteIfExists(socket); // a stale socket of a previous run
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket), 64);
        this.acceptor = Thread.ofVirtual().name("xenopsd-sim-accept").start(this::acceptLoop);
    }

    /**
     * Listens on {@code socket} (an existing file there is replaced) and serves {@code sim}.
     *
     * @param onShutdownRequest run when a client has been answered {@code DEBUG.shutdown}; {@code null} closes
     *                          this server
     */
    public static SimulatorServer start(Simulator sim, Path socket, Runnable onShutdownRequest) throws IOException {
        return new SimulatorServer(sim, socket, onShutdownRequest);
    }

    public static SimulatorServer start(Simulator sim, Path socket) throws IOException {
        return start(sim, socket, null);
    }

    public Path socket() {
        return socket;
    }

    /** Blocks until the server has been closed. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    public boolean awaitStop(long timeout, TimeUnit unit) throws InterruptedException {
        return stopped.await(timeout, unit);
    }

    private void closeSoon() {
        Thread.ofVirtual().start(this::close);
    }

    /** Stops accepting, closes every connection and removes the socket file. Does not close the simulator. */
    @Override
    public void close() {
        if (closing) return;
        closing = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (SocketChannel c : connections) closeQuietly(c);
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // nothing more to do
        }
        stopped.countDown();
    }

    private void acceptLoop() {
        while (!closing) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closing) return;
                LOG.log(System.Logger.Level.WARNING, "accept failed: " + e);
                continue;
            }
            connections.add(c);
            if (closing) {
                closeQuietly(c);
                return;
            }
            Thread.ofVirtual().name("xenopsd-sim-conn").start(() -> serve(c));
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    // ------------------------------------------------------------------------------------------- connection

    private final class Conn {
        final SocketChannel ch;
        final ChannelInput in;

        Conn(SocketChannel ch) {
            this.ch = ch;
            this.in = new ChannelInput(ch);
        }

        /** A line of the request head ({@link ChannelInput#readLine}); {@code null} at end of stream before it. */
        String readLine(int[] budget) throws IOException {
            try {
                return in.readLine(budget);
            } catch (ChannelInput.LineTooLongException e) {
                throw new TooLarge(431);
            }
        }

        void write(int status, String reason, byte[] body) throws IOException {
            String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                    + "user-agent: xenopsd\r\n"
                    + "content-length: " + body.length + "\r\n\r\n";
            byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer out =
                    ByteBuffer.allocate(h.length + body.length).put(h).put(body).flip();
            while (out.hasRemaining()) ch.write(out);
        }
    }

    /** The request is over a limit; answered with this status and the connection closed. */
    private static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        TooLarge(int status) {
            super("request too large (" + status + ")");
            this.status = status;
        }
    }

    private void serve(SocketChannel ch) {
        Conn c = new Conn(ch);
        try {
            while (!closing && ch.isOpen()) {
                if (!serveOne(c)) break;
            }
        } catch (TooLarge e) {
            try {
                c.write(
                        e.status,
                        e.status == 413 ? "Payload Too Large" : "Request Header Fields Too Large",
                        new byte[0]);
            } catch (IOException ignored) {
                // the client is gone
            }
        } catch (IOException e) {
            // the client went away or a time limit closed the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "connection handler failed", e);
        } finally {
            connections.remove(ch);
            closeQuietly(ch);
        }
    }

    /** Reads and answers one request; false when the connection is to be closed. */
    private boolean serveOne(Conn c) throws IOException, InterruptedException {
        String requestLine;
        String method;
        boolean close = false;
        long contentLength = -1;
        boolean chunked = false;
        // waiting for a request: the idle limit; once it has begun: the read limit
        try (Deadlines.Deadline idle = Deadlines.arm(c.ch, TimeUnit.MILLISECONDS.toNanos(IDLE_TIMEOUT_MS))) {
            if (!c.in.available()) return false;
        }
        byte[] body;
        try (Deadlines.Deadline reading = Deadlines.arm(c.ch, TimeUnit.MILLISECONDS.toNanos(REQUEST_READ_TIMEOUT_MS))) {
            int[] budget = {MAX_HEAD};
            requestLine = c.readLine(budget);
            if (requestLine == null) return false;
            String[] parts = requestLine.split(" ");
            if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
                c.write(400, "Bad Request", new byte[0]);
                return false;
            }
            method = parts[0];
            if (parts[2].equals("HTTP/1.0")) close = true;
            for (; ; ) {
                String line = c.readLine(budget);
                if (line == null) throw new EOFException("connection closed in the request head");
                if (line.isEmpty()) break;
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    c.write(400, "Bad Request", new byte[0]);
                    return false;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> {
                        try {
                            contentLength = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            contentLength = -2;
                        }
                    }
                    case "transfer-encoding" -> chunked = true;
                    case "connection" -> {
                        String v = value.toLowerCase(Locale.ROOT);
                        if (v.contains("close")) close = true;
                        if (v.contains("keep-alive")) close = false;
                    }
                    default -> {}
                }
            }
            if (!method.equals("POST")) {
                c.write(404, "Not Found", new byte[0]);
                return !close && contentLength <= 0 && !chunked;
            }
            if (chunked || contentLength < 0) {
                c.write(411, "Length Required", new byte[0]);
                return false;
            }
            if (contentLength > MAX_BODY) throw new TooLarge(413);
            body = c.in.readExactly((int) contentLength, "connection closed in a request body");
        }
        endpoint.awaitUnwedged();
        RpcEndpoint.Reply reply = endpoint.answer(body);
        c.write(200, "OK", reply.body());
        if (reply.stopAfterReply()) {
            onShutdownRequest.run();
            return false;
        }
        return !close;
    }
}
