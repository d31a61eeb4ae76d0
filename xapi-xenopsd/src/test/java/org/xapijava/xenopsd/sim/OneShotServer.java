package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the real xenopsd's HTTP handling: reads one request, answers
 * {@code HOST.get_total_memory_mib = 42} with Cohttp's headers, and closes the connection.
 */
final class OneShotServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path path;
    private final AtomicInteger served = new AtomicInteger();
    private final Thread thread;

    OneShotServer(Path path) throws IOException {
        this.path = path;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        thread = Thread.ofVirtual().start(this::loop);
    }

    int served() {
        return served.get();
    }

    private void loop() {
        while (true) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(65536);
                String s = "";
                int need = -1;
                while (true) {
                    if (c.read(in) < 0) break;
                    s = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
                    int h = s.indexOf("\r\n\r\n");
                    if (h < 0) continue;
                    int cl = s.toLowerCase().indexOf("content-length:");
                    need = h
                            + 4
                            + Integer.parseInt(
                                    s.substring(cl + 15, s.indexOf("\r\n", cl)).trim());
                    if (in.position() >= need) break;
                }
                if (need < 0) continue;
                String body = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>"
                        + "Status</name><value>Success</value></member><member><name>Value</name><value>42</value>"
                        + "</member></struct></value></param></params></methodResponse>";
                String resp = "HTTP/1.1 200 OK\r\nuser-agent: xenopsd\r\ncontent-length: " + body.length() + "\r\n\r\n"
                        + body;
                ByteBuffer out = ByteBuffer.wrap(resp.getBytes(StandardCharsets.ISO_8859_1));
                // counted before the answer leaves: the client may check the count as soon as it has read it
                served.incrementAndGet();
                while (out.hasRemaining()) c.write(out);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
        thread.join(5000);
        Files.deleteIfExists(path);
    }
}
