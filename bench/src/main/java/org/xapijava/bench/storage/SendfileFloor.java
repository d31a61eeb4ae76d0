package org.xapijava.bench.storage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The floor of any HTTP export on this machine: a file's bytes sent over loopback TCP with nothing in between, by
 * the least a server can do (one {@code GET} answered with its {@code Content-Length} and the file through {@code
 * sendfile(2)}, {@link FileChannel#transferTo}: no copy into the server's memory). Read by the same client as the
 * exports, it tells what the socket and the client cost, which no server can go below; {@code cat} to /dev/null
 * copies each byte once and pays neither. One connection at a time; closed with the benchmark.
 */
final class SendfileFloor implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Thread loop;
    private volatile Path file;

    SendfileFloor() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.INET);
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        loop = Thread.ofPlatform().daemon().name("sendfile-floor").start(this::serve);
    }

    /** The URL that answers with {@code f}'s bytes. */
    String url(Path f) throws IOException {
        file = f;
        InetSocketAddress a = (InetSocketAddress) server.getLocalAddress();
        return "http://127.0.0.1:" + a.getPort() + "/floor";
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                readHead(c);
                try (FileChannel in = FileChannel.open(file)) {
                    long size = in.size();
                    c.write(ByteBuffer.wrap(
                            ("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII)));
                    for (long at = 0; at < size; ) at += in.transferTo(at, size - at, c);
                }
            } catch (IOException e) {
                if (server.isOpen()) System.err.println("sendfile floor: " + e);
            }
        }
    }

    /** Reads the request up to its blank line (a {@code GET} has no body). */
    private static void readHead(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8192);
        while (true) {
            if (c.read(b) < 0) throw new IOException("request ended early");
            String head = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
            if (head.contains("\r\n\r\n")) return;
            if (!b.hasRemaining()) throw new IOException("request head too long");
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        loop.interrupt();
    }
}
