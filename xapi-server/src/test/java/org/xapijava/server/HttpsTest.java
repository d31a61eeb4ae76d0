package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.tls.HostCertificate;

/** The HTTPS connector serves the API with the certificate created at first start, which survives a restart. */
class HttpsTest {
    @TempDir
    Path dir;

    @Test
    void apiOverHttpsWithTheFirstStartCertificate() throws Exception {
        String fingerprint;
        try (TestHost h = TestHost.start(dir)) {
            Path pem = dir.resolve("xapi-ssl.pem");
            assertTrue(Files.exists(pem));
            HostCertificate cert = HostCertificate.load(pem);
            fingerprint = cert.sha256Fingerprint();
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("xapi", cert.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(ctx).build();
            String body =
                    "<?xml version=\"1.0\"?><methodCall><methodName>session.login_with_password</methodName><params>"
                            + "<param><value>root</value></param><param><value>" + h.server.rootPassword()
                            + "</value></param></params></methodCall>";
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + h.server.httpsPort() + "/"))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .header("Content-Type", "text/xml")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("<name>Status</name><value>Success</value>"), r.body());
        }
        try (TestHost h = TestHost.start(dir)) {
            assertEquals(
                    fingerprint,
                    HostCertificate.load(dir.resolve("xapi-ssl.pem")).sha256Fingerprint());
        }
    }
}
