package org.xapijava.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.cli.protocol.CliMessage;

/** A server other than 127.0.0.1 is reached by TLS, whatever its certificate (CLI reference §1.1). */
class XeTlsTest {
    @TempDir
    Path dir;

    @Test
    void aSelfSignedServerIsReachedByTls() throws Exception {
        Path ks = dir.resolve("server.p12");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-keystore",
                        ks.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        "secret",
                        "-keypass",
                        "secret",
                        "-alias",
                        "xapi",
                        "-keyalg",
                        "EC",
                        "-dname",
                        "CN=some-other-name",
                        "-validity",
                        "2")
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "secret".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket server = (SSLServerSocket)
                ctx.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
        try (FakeCliServer s = FakeCliServer.on(
                server,
                peer -> peer.handshake().send(new CliMessage.Print("over tls")).send(new CliMessage.Exit(0)))) {
            XeTestSupport.Result r = new XeTestSupport(dir)
                    .run(
                            "-s",
                            "localhost",
                            "-p",
                            String.valueOf(server.getLocalPort()),
                            "vm-list",
                            "-u",
                            "u",
                            "-pw",
                            "p");
            s.awaitDone();
            assertEquals(0, r.code(), r.err());
            assertEquals("over tls\n", r.out());
            assertTrue(s.request().endsWith("vm-list\nusername=u\npassword=p"));
        }
    }
}
