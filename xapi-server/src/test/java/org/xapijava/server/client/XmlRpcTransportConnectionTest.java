package org.xapijava.server.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.server.RawHttp;

/**
 * A call over {@link XmlRpcTransport} may be silent as long as its timeout allows: a pool master's call forwarded to
 * the host that runs a long operation (a clean shutdown waiting for its guest, a disk copy) hears nothing until the
 * answer. Jetty's client connections give up after 30 s of silence unless told otherwise. And a call whose
 * connection fails while the request is written is sent once more; one the host read whole is not.
 */
class XmlRpcTransportConnectionTest {
    private static final String ANSWER = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
            + "<member><name>Status</name><value>Success</value></member>"
            + "<member><name>Value</name><value>done</value></member>"
            + "</struct></value></param></params></methodResponse>";

    /** A server that reads one request, stays silent for {@code silence}, then answers. */
    private static Thread silentServer(ServerSocket server, Duration silence) {
        return Thread.ofVirtual().start(() -> {
            try (Socket s = server.accept()) {
                s.getInputStream().read(new byte[65536]);
                Thread.sleep(silence);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " + ANSWER.length()
                                + "\r\n\r\n" + ANSWER)
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(500);
            } catch (Exception e) {
                // the client gave up first: the test's assertions say so
            }
        });
    }

    private static URI uri(ServerSocket s) {
        return URI.create("http://127.0.0.1:" + s.getLocalPort() + "/");
    }

    @Test
    void aCallSilentLongerThanJettysDefaultIdleTimeoutStillGetsItsAnswer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = silentServer(server, Duration.ofSeconds(32));
            try (XmlRpcTransport x = XmlRpcTransport.tcp(uri(server), null, Duration.ofMinutes(2))) {
                assertEquals("done", x.call("VM.clean_shutdown", List.of()));
            }
            t.join(5000);
        }
    }

    @Test
    void aCallSilentPastItsTimeoutFailsAtItsTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = silentServer(server, Duration.ofSeconds(10));
            long t0 = System.nanoTime();
            try (XmlRpcTransport x = XmlRpcTransport.tcp(uri(server), null, Duration.ofSeconds(2))) {
                assertThrows(IllegalStateException.class, () -> x.call("VM.clean_shutdown", List.of()));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 1_900 && ms < 9_000, ms + " ms");
            t.interrupt();
        }
    }

    /** Reads a request's head; returns its Content-Length. */
    private static int readHead(java.io.InputStream in) throws java.io.IOException {
        return RawHttp.contentLength(RawHttp.head(in));
    }

    private static void answer(Socket s) throws java.io.IOException {
        OutputStream out = s.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " + ANSWER.length() + "\r\n\r\n"
                        + ANSWER)
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Test
    void aRequestCutWhileItIsWrittenIsSentOnceMoreAndAnsweredOnce() throws Exception {
        java.util.concurrent.atomic.AtomicInteger whole = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    try (Socket first = server.accept()) {
                        connections.incrementAndGet();
                        readHead(first.getInputStream()); // then reset, the body unread
                        first.setSoLinger(true, 0);
                    }
                    try (Socket second = server.accept()) {
                        connections.incrementAndGet();
                        int length = readHead(second.getInputStream());
                        second.getInputStream().readNBytes(length);
                        whole.incrementAndGet();
                        answer(second);
                        Thread.sleep(500);
                    }
                } catch (Exception e) {
                    // the assertions below say what happened
                }
            });
            String big = "x".repeat(32 << 20); // longer than the socket buffers: still being written at the reset
            try (XmlRpcTransport x = XmlRpcTransport.tcp(uri(server), null, Duration.ofMinutes(1))) {
                assertEquals("done", x.call("VDI.set_name_description", List.of(big)));
            }
            t.join(5000);
        }
        assertEquals(2, connections.get());
        assertEquals(1, whole.get(), "the host read the whole request once");
    }

    @Test
    void aRequestTheHostReadWholeIsNotSentAgainWhenNoAnswerComes() throws Exception {
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        try (Socket s = server.accept()) {
                            connections.incrementAndGet();
                            int length = readHead(s.getInputStream());
                            s.getInputStream().readNBytes(length); // read whole, then closed without an answer
                        }
                    }
                } catch (Exception e) {
                    // the server socket closed
                }
            });
            try (XmlRpcTransport x = XmlRpcTransport.tcp(uri(server), null, Duration.ofMinutes(1))) {
                assertThrows(IllegalStateException.class, () -> x.call("VM.clean_shutdown", List.of()));
            }
            Thread.sleep(200);
            assertEquals(1, connections.get(), "not sent again");
            server.close();
            t.join(5000);
        }
    }
}
