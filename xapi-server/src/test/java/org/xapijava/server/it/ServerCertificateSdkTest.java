package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.pool.PeerCalls;
import org.xapijava.server.pool.PoolTls;
import org.xapijava.server.tls.HostCertificate;
import org.xapijava.server.tls.PoolTrust;
import org.xapijava.server.tls.TestCa;

/**
 * A user's CA-signed certificate on a host's HTTPS port ({@code host.install_server_certificate}) and the pool's
 * certificate revocation lists ({@code pool.crl_*}), on one host with HTTPS: a TLS client that trusts the CA only sees
 * the new certificate without a restart, and after one; every refusal leaves the host's certificate as it was; the
 * pool's verification (this host's transport, built from its files) sees the pool certificate, which the user's
 * certificate does not replace and a CRL of the CA does not list.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerCertificateSdkTest {
    @TempDir
    static Path dir;

    static int port;
    static int httpsPort;
    static PoolHost h;
    static TestCa ca;
    static KeyPair key;
    static X509Certificate cert;

    @BeforeAll
    static void start() throws Exception {
        port = PoolHost.freePort();
        httpsPort = PoolHost.freePort();
        h = PoolHost.start(dir, "127.0.0.2", port, "--https-port", Integer.toString(httpsPort));
        ca = new TestCa("Corp Root");
        key = TestCa.rsa(2048);
        cert = ca.issue(key, "127.0.0.2");
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(h);
    }

    static XenApi typed() throws Exception {
        XmlRpcTransport t = XmlRpcTransport.tcp(h.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        return anon.withSession(anon.session().loginWithPassword("root", h.password(), "2.21", "test"));
    }

    /** Our client under a pool session ({@code session.slave_login} with the pool secret): host calls are internal. */
    static XenApi pooled() throws Exception {
        String host = hostRef(typed());
        XmlRpcTransport t = XmlRpcTransport.tcp(h.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        String secret = Files.readString(dir.resolve("ptoken")).strip();
        return anon.withSession(anon.session().slaveLogin(host, secret));
    }

    /** The certificate the HTTPS port serves, to a client that trusts {@link #ca} only (PKIX checked). */
    static X509Certificate served() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", PoolTrust.parse(ca.rootPem()));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) c.getSocketFactory().createSocket("127.0.0.2", httpsPort)) {
            s.startHandshake();
            Certificate[] chain = s.getSession().getPeerCertificates();
            return (X509Certificate) chain[0];
        }
    }

    static String hostRef(XenApi api) {
        return api.host().getAll().get(0);
    }

    /** The pool's transport from this host's files, as the host's peers would check it. */
    static String poolCallOutcome() throws Exception {
        PeerCalls calls = new PeerCalls(port, "unused", Duration.ofSeconds(10), PoolTls.of(h.config()));
        return assertThrows(
                        ApiError.class,
                        () -> calls.on("127.0.0.2", x -> x.pool().getAll()))
                .code();
    }

    @Test
    @Order(10)
    void theUsersCertificateIsServedAtOnceAndRecorded() throws Exception {
        XenApi api = typed();
        String host = hostRef(api);
        api.host().installServerCertificate(host, TestCa.pem(cert), TestCa.pem(key.getPrivate()), ca.rootPem());
        assertEquals(cert, served());
        HostCertificate file = HostCertificate.load(dir.resolve("xapi-ssl.pem"));
        assertEquals(cert, file.certificate());
        assertEquals(2, file.chain().size());
        assertEquals(file.certificatePem(), api.host().getServerCertificate(host));
        String fp = PoolTrust.fingerprint(cert, "SHA-256");
        long records = api.certificate().getAllRecords().values().stream()
                .filter(r -> "host".equals(r.get("type")) && fp.equals(r.get("fingerprint")))
                .count();
        assertEquals(1, records);
        // the pool trusts it: a verified connection is answered (the login refused, not the certificate)
        assertEquals("SESSION_AUTHENTICATION_FAILED", poolCallOutcome());
    }

    @Test
    @Order(20)
    void everyRefusalLeavesTheCertificateAsItWas() throws Exception {
        XenApi api = typed();
        String host = hostRef(api);
        byte[] before = Files.readAllBytes(dir.resolve("xapi-ssl.pem"));
        KeyPair other = TestCa.rsa(2048);
        X509Certificate otherCert = ca.issue(other, "127.0.0.2");
        Instant now = Instant.now();
        X509Certificate expired =
                ca.issue(other, "127.0.0.2", now.minusSeconds(7200), now.minusSeconds(3600), "SHA256withRSA");
        String k = TestCa.pem(other.getPrivate());
        List<String[]> cases = List.of(
                new String[] {"SERVER_CERTIFICATE_KEY_INVALID", TestCa.pem(otherCert), "not a key", ""},
                new String[] {
                    "SERVER_CERTIFICATE_KEY_RSA_LENGTH_NOT_SUPPORTED",
                    TestCa.pem(otherCert),
                    TestCa.pem(TestCa.rsa(1024).getPrivate()),
                    ""
                },
                new String[] {"SERVER_CERTIFICATE_INVALID", "not a certificate", k, ""},
                new String[] {"SERVER_CERTIFICATE_EXPIRED", TestCa.pem(expired), k, ""},
                new String[] {"SERVER_CERTIFICATE_KEY_MISMATCH", TestCa.pem(cert), k, ""},
                new String[] {"SERVER_CERTIFICATE_CHAIN_INVALID", TestCa.pem(otherCert), k, "not a chain"});
        for (String[] c : cases) {
            ApiError e = assertThrows(
                    ApiError.class, () -> api.host().installServerCertificate(host, c[1], c[2], c[3]), c[0]);
            assertEquals(c[0], e.code());
            assertArrayEquals(before, Files.readAllBytes(dir.resolve("xapi-ssl.pem")), c[0]);
            assertEquals(cert, served(), c[0]);
        }
    }

    @Test
    @Order(30)
    void aCrlListingTheServerCertificateLeavesThePoolsOwnCertificateTrusted() throws Exception {
        var sdk = PoolHost.login(h);
        XenApi api = pooled();
        String host = hostRef(api);
        assertEquals(Set.of(), Pool.crlList(sdk));
        assertThrows(Types.CrlNameInvalid.class, () -> Pool.crlInstall(sdk, "corp.crl", ca.crl(cert)));
        assertThrows(Types.CrlCorrupt.class, () -> Pool.crlInstall(sdk, "corp.pem", "garbage"));
        // a CRL of the CA that does not list this certificate changes nothing
        Pool.crlInstall(sdk, "other.pem", ca.crl(ca.issue(TestCa.rsa(2048), "127.0.0.9")));
        assertEquals("SESSION_AUTHENTICATION_FAILED", poolCallOutcome());
        Pool.crlInstall(sdk, "corp.pem", ca.crl(cert));
        assertThrows(Types.CrlAlreadyExists.class, () -> Pool.crlInstall(sdk, "corp.pem", ca.crl()));
        assertEquals(Set.of("corp.pem", "other.pem"), Pool.crlList(sdk));
        assertEquals(List.of("corp.pem", "other.pem"), api.host().crlList(host));
        assertEquals(Set.of("corp.pem", "other.pem"), names(dir.resolve("crls")));
        // the pool asks for the pool certificate (self-signed, listed by no CA), still trusted
        assertEquals("SESSION_AUTHENTICATION_FAILED", poolCallOutcome());
        // clients that do not check the CRL are still served the user's certificate
        assertEquals(cert, served());
        Pool.crlUninstall(sdk, "corp.pem");
        assertThrows(Types.CrlDoesNotExist.class, () -> Pool.crlUninstall(sdk, "corp.pem"));
        assertEquals("SESSION_AUTHENTICATION_FAILED", poolCallOutcome());
        api.host().crlUninstall(host, "other.pem");
        assertEquals(Set.of(), Pool.crlList(sdk));
    }

    @Test
    @Order(40)
    void theHostHalvesOfTheCaCertificateCalls() throws Exception {
        XenApi api = pooled();
        String host = hostRef(api);
        api.host().installCaCertificate(host, "corp.pem", ca.rootPem());
        assertEquals(ca.rootPem(), Files.readString(dir.resolve("certs-ca/corp.pem")));
        ApiError again =
                assertThrows(ApiError.class, () -> api.host().installCaCertificate(host, "corp.pem", ca.rootPem()));
        assertEquals("CERTIFICATE_ALREADY_EXISTS", again.code());
        ApiError name =
                assertThrows(ApiError.class, () -> api.host().installCaCertificate(host, "../corp.pem", ca.rootPem()));
        assertEquals("CERTIFICATE_NAME_INVALID", name.code());
        // the host call keeps no record (the pool call does)
        assertEquals(
                0,
                api.certificate().getAllRecords().values().stream()
                        .filter(r -> "ca".equals(r.get("type")))
                        .count());
        api.host().uninstallCaCertificate(host, "corp.pem", false);
        ApiError gone = assertThrows(ApiError.class, () -> api.host().uninstallCaCertificate(host, "corp.pem", false));
        assertEquals("CERTIFICATE_DOES_NOT_EXIST", gone.code());
        api.host().uninstallCaCertificate(host, "corp.pem", true);
    }

    @Test
    @Order(50)
    void theCertificateSurvivesARestart() throws Exception {
        h.server().requestRestart();
        PoolHost.await("restarted", Duration.ofSeconds(30), () -> h.starts() == 2);
        assertEquals(cert, served());
        XenApi api = typed();
        assertEquals(
                TestCa.pem(cert).strip(),
                api.host().getServerCertificate(hostRef(api)).strip());
    }

    static Set<String> names(Path d) throws Exception {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }
}
