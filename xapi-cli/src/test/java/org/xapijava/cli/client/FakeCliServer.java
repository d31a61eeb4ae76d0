package org.xapijava.cli.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;

/**
 * A scripted CLI server for the client's tests: it accepts one connection (TCP on 127.0.0.1 or a Unix socket),
 * records the request's bytes (headers and the content-length body), and plays a script.
 */
final class FakeCliServer implements AutoCloseable {
    /** What the server does after reading the request. */
    interface Script {
        void play(Peer peer) throws Exception;
    }

    /** The server's side of one connection. */
    static final class Peer {
        final InputStream in;
        final OutputStream out;

        Peer(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        /** Sends the 0.2 banner and checks the client's. */
        Peer handshake() throws IOException {
            raw(CliProtocol.banner());
            byte[] b = in.readNBytes(CliProtocol.BANNER_LENGTH);
            if (!Arrays.equals(b, CliProtocol.banner()))
                throw new IOException("bad client banner " + Arrays.toString(b));
            return this;
        }

        Peer send(CliMessage m) throws IOException {
            CliProtocol.write(out, m);
            out.flush();
            return this;
        }

        Peer raw(byte[] b) throws IOException {
            out.write(b);
            out.flush();
            return this;
        }

        CliMessage read() throws IOException {
            return CliProtocol.read(in);
        }

        /** Reads a blob (chunks and raw bytes up to End). */
        byte[] blob() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                CliMessage m = read();
                if (m instanceof CliMessage.End) return b.toByteArray();
                if (!(m instanceof CliMessage.Chunk c)) throw new IOException("expected a chunk, got " + m);
                b.write(in.readNBytes(c.length()));
            }
        }
    }

    private final ServerSocket tcp;
    private final ServerSocketChannel unix;
    final Path socketPath;
    private final CompletableFuture<byte[]> request = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private FakeCliServer(ServerSocket tcp, ServerSocketChannel unix, Path socketPath, Script script) {
        this.tcp = tcp;
        this.unix = unix;
        this.socketPath = socketPath;
        Thread t = new Thread(() -> serve(script), "fake-cli-server");
        t.setDaemon(true);
        t.start();
    }

    static FakeCliServer tcp(Script script) throws IOException {
        ServerSocket s = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
        return new FakeCliServer(s, null, null, script);
    }

    /** A server on a given (for instance TLS) server socket. */
    static FakeCliServer on(ServerSocket s, Script script) {
        return new FakeCliServer(s, null, null, script);
    }

    static FakeCliServer unix(Path dir, Script script) throws IOException {
        Path p = dir.resolve("xapi.sock");
        Files.deleteIfExists(p);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(p));
        return new FakeCliServer(null, ch, p, script);
    }

    int port() {
        return tcp.getLocalPort();
    }

    private void serve(Script script) {
        try {
            InputStream in;
            OutputStream out;
            AutoCloseable conn;
            if (tcp != null) {
                Socket s = tcp.accept();
                in = s.getInputStream();
                out = s.getOutputStream();
                conn = s;
            } else {
                SocketChannel ch = unix.accept();
                in = Channels.newInputStream(ch);
                out = Channels.newOutputStream(ch);
                conn = ch;
            }
            try (conn) {
                in = new BufferedInputStream(in);
                request.complete(readRequest(in));
                script.play(new Peer(in, out));
                done.complete(null);
            }
        } catch (Throwable e) {
            request.completeExceptionally(e);
            done.completeExceptionally(e);
        }
    }

    /** The request's bytes: the header lines up to the blank line, then content-length bytes. */
    private static byte[] readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int length = 0;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) throw new IOException("the request ended early");
            b.write(c);
            line.write(c);
            if (c == '\n') {
                String l = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (l.equals("\r\n")) break;
                if (l.toLowerCase().startsWith("content-length: "))
                    length = Integer.parseInt(l.substring(16).trim());
            }
        }
        b.write(in.readNBytes(length));
        return b.toByteArray();
    }

    /** The request the client sent (waits for it). */
    String request() throws Exception {
        return new String(request.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    /** Waits for the script to end; rethrows its failure. */
    void awaitDone() throws Exception {
        done.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        if (tcp != null) tcp.close();
        if (unix != null) unix.close();
        if (socketPath != null) Files.deleteIfExists(socketPath);
    }
}
