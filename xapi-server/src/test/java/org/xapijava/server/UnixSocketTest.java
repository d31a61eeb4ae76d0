package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Callers on the Unix socket are the local superuser: login needs no password (Xapi's /var/lib/xcp/xapi). */
class UnixSocketTest {
    @TempDir
    Path dir;

    @Test
    void loginOnTheUnixSocketNeedsNoPassword() throws Exception {
        try (TestHost h = TestHost.start(dir)) {
            String body =
                    "<?xml version=\"1.0\"?><methodCall><methodName>session.login_with_password</methodName><params>"
                            + "<param><value>root</value></param><param><value>wrong</value></param></params></methodCall>";
            String answer = post(dir.resolve("xapi.sock"), body);
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.contains("<name>Status</name><value>Success</value>"), answer);
            // the same wrong password over TCP fails
            assertTrue(h.err("session.login_with_password", "root", "wrong")
                    .get(0)
                    .equals("SESSION_AUTHENTICATION_FAILED"));
        }
    }

    static String post(Path socket, String body) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String head =
                    "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nConnection: close\r\nContent-Length: "
                            + b.length + "\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(b));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) > 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
