package org.xapijava.bench.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RawHttpConnectionTest {

    /**
     * A one-connection server: for each canned response, reads one request (headers, then
     * Content-Length body bytes), records it, then writes the response bytes in small pieces.
     */
    private static CompletableFuture<List<String>> serve(ServerSocket ss, List<String> responses) {
        return CompletableFuture.supplyAsync(() -> {
            List<String> requests = new java.util.ArrayList<>();
            try (Socket s = ss.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (String resp : responses) {
                    requests.add(readRequest(in));
                    byte[] b = resp.getBytes(StandardCharsets.ISO_8859_1);
                    for (int i = 0; i < b.length; i += 7) { // small writes: the client must reassemble lines and bodies
                        out.write(b, i, Math.min(7, b.length - i));
                        out.flush();
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return requests;
        });
    }

    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new IOException("eof in request head");
            head.write(c);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int at = h.indexOf("Content-Length: ") + "Content-Length: ".length();
        int len = Integer.parseInt(h.substring(at, h.indexOf("\r\n", at)));
        return h + new String(in.readNBytes(len), StandardCharsets.ISO_8859_1);
    }

    @Test
    void readsContentLengthChunkedAndCloseDelimitedBodiesOnOneConnection() throws Exception {
        String big = "x".repeat(10_000);
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            var server = serve(
                    ss,
                    List.of(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
                            "HTTP/1.1 500 Server Error\r\ncontent-length: " + big.length() + "\r\n\r\n" + big,
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n6\r\npedia \r\n0\r\nTrailer: x\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"));
            try (RawHttpConnection c = new RawHttpConnection(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort()), 256)) {
                byte[] req = RawHttpConnection.post("/x", "text/xml", "<a/>".getBytes(StandardCharsets.US_ASCII));
                RawHttpConnection.Body keep = RawHttpConnection.Body.keeping(4);
                assertEquals(200, c.exchange(req, keep));
                assertEquals("hello", new String(keep.bytes(), StandardCharsets.US_ASCII));
                RawHttpConnection.Body count = RawHttpConnection.Body.counting();
                assertEquals(500, c.exchange(req, count));
                assertEquals(big.length(), count.length());
                assertEquals("x".repeat(64), count.tail());
                assertEquals(200, c.exchange(req, keep));
                assertEquals("Wikipedia ", new String(keep.bytes(), StandardCharsets.US_ASCII));
                assertTrue(c.isOpen());
                assertEquals(200, c.exchange(req, keep));
                assertEquals("until the end", new String(keep.bytes(), StandardCharsets.US_ASCII));
                assertFalse(c.isOpen());
                assertThrows(IOException.class, () -> c.send(req));
            }
            List<String> requests = server.get();
            assertEquals(4, requests.size());
            assertEquals(
                    "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xapi-java-bench\r\nContent-Type: text/xml\r\n"
                            + "Content-Length: 4\r\n\r\n<a/>",
                    requests.get(0));
        }
    }

    @Test
    void countingBodyKeepsTheLastBytesAcrossSmallWrites() {
        RawHttpConnection.Body b = RawHttpConnection.Body.counting();
        byte[] data = "0123456789".repeat(20).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < data.length; i += 3) b.write(data, i, Math.min(3, data.length - i));
        assertEquals(200, b.length());
        assertEquals("0123456789".repeat(20).substring(200 - 64), b.tail());
        b.reset();
        b.write(data, 0, 5);
        assertEquals("01234", b.tail());
        assertArrayEquals(new byte[0], RawHttpConnection.Body.keeping(1).bytes());
    }

    @Test
    void truncatedBodyIsAnError() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            var server = CompletableFuture.runAsync(() -> {
                try (Socket s = ss.accept()) {
                    readRequest(s.getInputStream());
                    s.getOutputStream()
                            .write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
                                    .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (RawHttpConnection c = new RawHttpConnection(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort()), 1024)) {
                byte[] req = RawHttpConnection.post("/", "text/xml", new byte[0]);
                assertThrows(java.io.EOFException.class, () -> c.exchange(req, RawHttpConnection.Body.counting()));
            }
            server.get();
        }
    }
}
