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

/**
 * A call over {@link XmlRpcTransport} may be silent as long as its timeout allows: a pool master's call forwarded to
 * the host that runs a long operation (a clean shutdown waiting for its guest, a disk copy) hears nothing until the
 * answer. Jetty's client connections give up after 30 s of silence unless told otherwise.
 */
class XmlRpcTransportSilenceTest {
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
}
