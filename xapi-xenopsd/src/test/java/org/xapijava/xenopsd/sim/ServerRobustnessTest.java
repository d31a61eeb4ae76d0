package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.XenopsTimeoutException;
import org.xapijava.xenopsd.XenopsUnavailableException;

/** Bad input never stops the server; a wedged or absent daemon gives the client an exception, not a hang. */
class ServerRobustnessTest {

    @TempDir
    Path dir;

    SimFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new SimFixture(dir, Simulator.Config.inMemory());
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Sends raw bytes on a fresh connection and reads until the server closes or the answer is complete. */
    private String raw(String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(f.server.socket()));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) ch.write(out);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) break;
                got.write(in.array(), 0, n);
                String s = got.toString(StandardCharsets.UTF_8);
                int h = s.indexOf("\r\n\r\n");
                if (h >= 0) {
                    int cl = s.toLowerCase().indexOf("content-length: ");
                    int len = Integer.parseInt(
                            s.substring(cl + 16, s.indexOf("\r\n", cl)).trim());
                    if (got.size() >= h + 4 + len) break;
                }
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    private static String post(String body) {
        return "POST / HTTP/1.1\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    @Test
    void malformedXmlGetsAnRpcFailure() throws Exception {
        String r = raw(post("<methodCall><methodName>VM.stat</methodName><params>"));
        assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
        assertTrue(r.contains("<name>Status</name><value>Failure</value>"), r);
        assertTrue(r.contains("<value>Internal_error</value>"), r);
        assertAlive();
    }

    @Test
    void unknownMethodMissingArgumentAndUnimplementedCall() throws Exception {
        String unknown = raw(post("<?xml version=\"1.0\"?><methodCall><methodName>VM.frobnicate</methodName><params>"
                + "<param><value><struct><member><name>debug_info</name><value>d</value></member></struct></value>"
                + "</param></params></methodCall>"));
        assertTrue(unknown.contains("Idl.UnknownMethod(&quot;VM.frobnicate&quot;)"), unknown);
        String missing = raw(post("<?xml version=\"1.0\"?><methodCall><methodName>VM.start</methodName><params>"
                + "<param><value><struct><member><name>debug_info</name><value>d</value></member></struct></value>"
                + "</param></params></methodCall>"));
        assertTrue(missing.contains("Idl.MarshalError(&quot;Expecting named argument 'id'&quot;)"), missing);
        String positional = raw(post("<?xml version=\"1.0\"?><methodCall><methodName>VM.stat</methodName><params>"
                + "<param><value>d</value></param></params></methodCall>"));
        assertTrue(positional.contains("Expecting dict as first argument"), positional);
        String unimpl =
                raw(post("<?xml version=\"1.0\"?><methodCall><methodName>VM.generate_state_string</methodName><params>"
                        + "<param><value><struct><member><name>debug_info</name><value>d</value></member></struct></value>"
                        + "</param></params></methodCall>"));
        assertTrue(unimpl.contains("<value>Unimplemented</value><value>VM.generate_state_string</value>"), unimpl);
        assertAlive();
    }

    @Test
    void httpLevelRefusals() throws Exception {
        assertTrue(raw("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").startsWith("HTTP/1.1 404"));
        assertTrue(raw("POST / HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 411"));
        assertTrue(raw("POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n").startsWith("HTTP/1.1 413"));
        assertTrue(raw("garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
        assertTrue(raw("POST / HTTP/1.1\r\nX-Big: " + "a".repeat(70_000) + "\r\n\r\n")
                .startsWith("HTTP/1.1 431"));
        assertAlive();
    }

    @Test
    void realXenopsdStyleCallIsAnswered() throws Exception {
        // what xapi's xcp_client sends (request target = socket path, lowercase content-length)
        String body = "<?xml version=\"1.0\"?><methodCall><methodName>HOST.get_total_memory_mib</methodName><params>"
                + "<param><value><struct><member><name>debug_info</name><value>x</value></member></struct></value>"
                + "</param></params></methodCall>";
        String r = raw("POST /var/lib/xcp/xenopsd HTTP/1.1\r\nUser-agent: xapi\r\ncontent-length: " + body.length()
                + "\r\n\r\n" + body);
        assertTrue(
                r.contains("<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
                        + "<member><name>Status</name><value>Success</value></member>"
                        + "<member><name>Value</name><value>1048576</value></member></struct></value></param></params>"
                        + "</methodResponse>"),
                r);
    }

    @Test
    void wedgedDaemonGivesATimeoutNotAHang() throws Exception {
        try (XenopsClient quick = new XenopsClient(f.server.socket(), Duration.ofSeconds(2), Duration.ofMillis(400))) {
            quick.debugTrigger("t", "wedge", List.of("2"));
            long t0 = System.nanoTime();
            assertThrows(XenopsTimeoutException.class, () -> quick.query("t"));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos());
            // a long-poll limit is its timeout plus the call timeout; after the wedge the daemon answers again
            f.sim.debugTrigger("t", "wedge", List.of("0"));
            assertEquals("xenops", quick.query("t").name());
        }
    }

    @Test
    void absentDaemonIsUnavailable() {
        try (XenopsClient nobody = new XenopsClient(dir.resolve("nobody-here"))) {
            XenopsUnavailableException e = assertThrows(XenopsUnavailableException.class, () -> nobody.query("t"));
            assertTrue(!(e instanceof XenopsTimeoutException), e.toString());
        }
    }

    @Test
    void clientSurvivesAServerThatClosesAfterEachAnswer() throws Exception {
        // the real xenopsd answers one request per connection; the pooled connection is then stale
        Path sock = dir.resolve("one-shot");
        try (OneShotServer s = new OneShotServer(sock);
                XenopsClient c = new XenopsClient(sock)) {
            for (int i = 0; i < 5; i++) assertEquals(42L, c.hostTotalMemoryMib("t"));
            assertEquals(5, s.served());
        }
    }

    private void assertAlive() {
        assertEquals("xenops", f.client.query("t").name());
        XenopsError e = assertThrows(XenopsError.class, () -> f.client.vmStat("t", "nope"));
        assertEquals("Does_not_exist", e.code());
    }
}
