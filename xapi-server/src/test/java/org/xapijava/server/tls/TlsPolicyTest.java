package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Jetty 12 HTTPS connector on 127.0.0.1 using {@link TlsPolicy#sslContextFactory}. */
class TlsPolicyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static HostCertificate cert;
    private static HostCertificate pool;
    private static Server server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        cert = HostCertificate.loadOrCreate(
                dir.resolve("xapi-ssl.pem"), "host1", List.of(), List.of(InetAddress.getByName("127.0.0.1")));
        pool = HostCertificate.forPool(dir.resolve("xapi-pool-tls.pem"), "0b6e3c2d-1f6a-4d8e-9c3a-7a1b2c3d4e5f", false);
        server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.addCustomizer(TlsPolicy.secureRequestCustomizer());
        ServerConnector https = new ServerConnector(
                server,
                new SslConnectionFactory(TlsPolicy.sslContextFactory(cert, pool), "http/1.1"),
                new HttpConnectionFactory(http));
        https.setHost("127.0.0.1");
        https.setPort(0);
        server.addConnector(https);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                Content.Sink.write(response, true, "secure=" + request.isSecure(), callback);
                return true;
            }
        });
        server.start();
        port = https.getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    /** An SSL context whose only trust anchor is {@code trusted}. */
    private static SSLContext trusting(X509Certificate trusted) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("host", trusted);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
        return ctx;
    }

    /** The certificate a TLS client over {@code ctx} is served. */
    private static X509Certificate served(SSLContext ctx) throws Exception {
        try (javax.net.ssl.SSLSocket s =
                (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void aClientAskingForTheNamePoolIsServedThePoolCertificateAnyOtherTheHostOne() throws Exception {
        String pooled = org.xapijava.model.util.ServerNameTls.POOL;
        assertEquals(
                pool.certificate(),
                served(org.xapijava.model.util.ServerNameTls.wrap(trusting(pool.certificate()), pooled)));
        assertEquals(cert.certificate(), served(trusting(cert.certificate())));
        assertEquals(
                cert.certificate(),
                served(org.xapijava.model.util.ServerNameTls.wrap(trusting(cert.certificate()), "xapi")));
        // Xapi's pool certificate: CN the host's uuid, no subjectAltName
        assertEquals(
                "CN=0b6e3c2d-1f6a-4d8e-9c3a-7a1b2c3d4e5f",
                pool.certificate().getSubjectX500Principal().getName());
        assertEquals(null, pool.certificate().getSubjectAlternativeNames());
    }

    @Test
    void httpClientTrustingExactlyTheHostCertificateGetsAnAnswer() throws Exception {
        try (HttpClient client = HttpClient.newBuilder()
                .sslContext(trusting(cert.certificate()))
                .connectTimeout(TIMEOUT)
                .build()) {
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/"))
                            .timeout(TIMEOUT)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("secure=true", r.body());
            assertEquals("TLSv1.2", r.sslSession().orElseThrow().getProtocol());
            assertEquals(
                    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    r.sslSession().orElseThrow().getCipherSuite());
            assertEquals(cert.certificate(), r.sslSession().orElseThrow().getPeerCertificates()[0]);
        }
    }

    @Test
    void httpClientTrustingAnotherCertificateIsRefused() throws Exception {
        HostCertificate other = HostCertificate.create(
                dir.resolve("other.pem"), "host1", List.of(), List.of(InetAddress.getByName("127.0.0.1")));
        try (HttpClient client = HttpClient.newBuilder()
                .sslContext(trusting(other.certificate()))
                .connectTimeout(TIMEOUT)
                .build()) {
            IOException e = assertThrows(
                    IOException.class,
                    () -> client.send(
                            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/"))
                                    .timeout(TIMEOUT)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
            assertTrue(
                    e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException, e.toString());
        }
    }

    private SSLSocket socket(String... protocols) throws Exception {
        SSLSocket s =
                (SSLSocket) trusting(cert.certificate()).getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout((int) TIMEOUT.toMillis());
        if (protocols.length > 0) {
            s.setEnabledProtocols(protocols);
        }
        return s;
    }

    @Test
    void tls13OnlyClientIsRefused() throws Exception {
        try (SSLSocket s = socket("TLSv1.3")) {
            assertThrows(SSLHandshakeException.class, s::startHandshake);
        }
    }

    @Test
    void clientWithoutSecp384r1IsRefused() throws Exception {
        try (SSLSocket s = socket("TLSv1.2")) {
            SSLParameters p = s.getSSLParameters();
            p.setNamedGroups(new String[] {"secp256r1", "x25519"});
            s.setSSLParameters(p);
            assertThrows(SSLHandshakeException.class, s::startHandshake);
        }
        try (SSLSocket s = socket("TLSv1.2")) { // control: offering secp384r1 too succeeds
            SSLParameters p = s.getSSLParameters();
            p.setNamedGroups(new String[] {"secp256r1", "secp384r1"});
            s.setSSLParameters(p);
            s.startHandshake();
            assertEquals("TLSv1.2", s.getSession().getProtocol());
        }
    }

    @Test
    void serverCipherOrderWins() throws Exception {
        try (SSLSocket s = socket("TLSv1.2")) {
            s.setEnabledCipherSuites(
                    new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"});
            s.startHandshake();
            assertEquals("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", s.getSession().getCipherSuite());
        }
        try (SSLSocket s = socket("TLSv1.2")) {
            s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
            s.startHandshake();
            assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", s.getSession().getCipherSuite());
        }
    }

    @Test
    void clientOfferingOnlyOtherCipherSuitesIsRefused() throws Exception {
        try (SSLSocket s = socket("TLSv1.2")) {
            s.setEnabledCipherSuites(
                    new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"});
            assertThrows(SSLHandshakeException.class, s::startHandshake);
        }
    }

    @Test
    void anSniNameNotInTheCertificateIsServed() throws Exception {
        try (SSLSocket s = socket()) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("not-in-the-cert.example")));
            s.setSSLParameters(p);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: not-in-the-cert.example\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            assertTrue(answer.endsWith("secure=true"), answer);
            assertTrue(!answer.toLowerCase().contains("strict-transport-security"), answer);
        }
    }

    /**
     * A hand-made ClientHello (the JDK refuses to send TLS 1.1 itself): legacy record version 3.1,
     * the given client_version, ECDHE-RSA suites, secp384r1.
     */
    private static byte[] clientHello(int major, int minor) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(major);
        body.write(minor);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        body.writeBytes(random);
        body.write(0); // no session id
        int[] suites = {0xc030, 0xc02f, 0xc014, 0xc013}; // ECDHE-RSA AES-GCM (1.2) and AES-CBC-SHA (1.1)
        u16(body, suites.length * 2);
        for (int s : suites) {
            u16(body, s);
        }
        body.write(1); // one compression method: null
        body.write(0);
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        u16(ext, 0x000a); // supported_groups: secp384r1
        u16(ext, 4);
        u16(ext, 2);
        u16(ext, 0x0018);
        u16(ext, 0x000b); // ec_point_formats: uncompressed
        u16(ext, 2);
        ext.write(1);
        ext.write(0);
        u16(ext, 0x000d); // signature_algorithms: rsa_pkcs1_sha256, rsa_pss_rsae_sha256
        u16(ext, 6);
        u16(ext, 4);
        u16(ext, 0x0401);
        u16(ext, 0x0804);
        u16(body, ext.size());
        body.writeBytes(ext.toByteArray());

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(0x16); // handshake
        record.write(3);
        record.write(1);
        u16(record, body.size() + 4);
        record.write(1); // client_hello
        record.write(0);
        u16(record, body.size());
        record.writeBytes(body.toByteArray());
        return record.toByteArray();
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write((v >>> 8) & 0xff);
        out.write(v & 0xff);
    }

    /** Sends a raw ClientHello and returns {content type, first two octets of the first record}. */
    private static int[] firstRecord(byte[] hello) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) TIMEOUT.toMillis());
            s.getOutputStream().write(hello);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            DataInputStream d = new DataInputStream(in);
            byte[] header = new byte[5];
            try {
                d.readFully(header);
            } catch (EOFException e) {
                return new int[] {-1, -1, -1}; // closed without an answer
            }
            int len = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
            byte[] payload = new byte[len];
            d.readFully(payload);
            return new int[] {header[0] & 0xff, payload[0] & 0xff, payload.length > 1 ? payload[1] & 0xff : -1};
        }
    }

    @Test
    void tls11IsRefused() throws Exception {
        // Control: the same hand-made hello asking for TLS 1.2 gets a ServerHello (handshake type 2).
        int[] ok = firstRecord(clientHello(3, 3));
        assertEquals(0x16, ok[0]);
        assertEquals(2, ok[1]);
        // TLS 1.1: a fatal (2) protocol_version (70) alert.
        int[] refused = firstRecord(clientHello(3, 2));
        assertEquals(0x15, refused[0], "alert record");
        assertEquals(2, refused[1], "fatal");
        assertEquals(70, refused[2], "protocol_version");
    }
}
