package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

/** {@link UserCertificate}: Xapi's checks of {@code host.install_server_certificate}, each refusal and its order. */
class UserCertificateTest {
    static TestCa ca;
    static KeyPair key;
    static X509Certificate cert;

    @BeforeAll
    static void setUp() throws Exception {
        ca = new TestCa("Test Root");
        key = TestCa.rsa(2048);
        cert = ca.issue(key, "127.0.0.1");
    }

    private static ApiError refused(String certificate, String privateKey, String chain) {
        return assertThrows(ApiError.class, () -> UserCertificate.check(certificate, privateKey, chain, Instant.now()));
    }

    @Test
    void aGoodCertificateMakesTheBundleThatLoads() throws Exception {
        UserCertificate u =
                UserCertificate.check(TestCa.pem(cert), TestCa.pem(key.getPrivate()), ca.rootPem(), Instant.now());
        assertEquals(cert, u.certificate());
        Pem.Bundle b = Pem.parseBundle(u.bundle());
        assertEquals(List.of(cert, Pem.parseCertificate(ca.rootPem())), b.certificates());
        assertTrue(u.bundle().startsWith("-----BEGIN PRIVATE KEY-----"));
        // no chain: key and certificate only
        assertEquals(
                1,
                Pem.parseBundle(UserCertificate.check(TestCa.pem(cert), TestCa.pem(key.getPrivate()), "", Instant.now())
                                .bundle())
                        .certificates()
                        .size());
    }

    @Test
    void aPkcs1KeyIsAccepted() throws Exception {
        byte[] pkcs1 = PrivateKeyInfo.getInstance(key.getPrivate().getEncoded())
                .parsePrivateKey()
                .toASN1Primitive()
                .getEncoded();
        RSAPrivateKey.getInstance(pkcs1);
        UserCertificate.check(TestCa.pem(cert), TestCa.pem("RSA PRIVATE KEY", pkcs1), "", Instant.now());
    }

    @Test
    void keysAreCheckedFirst() throws Exception {
        String bad = "garbage";
        // a bad key wins over a bad certificate
        assertEquals(
                "SERVER_CERTIFICATE_KEY_INVALID", refused("garbage", bad, "").code());
        assertEquals(
                "SERVER_CERTIFICATE_KEY_INVALID",
                refused(TestCa.pem(cert), TestCa.pem("PRIVATE KEY", new byte[] {1, 2, 3}), "")
                        .code());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        KeyPair ec = g.generateKeyPair();
        ApiError e = refused(TestCa.pem(cert), TestCa.pem(ec.getPrivate()), "");
        assertEquals("SERVER_CERTIFICATE_KEY_ALGORITHM_NOT_SUPPORTED", e.code());
        assertEquals(List.of("P256"), e.params());
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        assertEquals(
                List.of("ED25519"),
                refused(TestCa.pem(cert), TestCa.pem(ed.getPrivate()), "").params());
        ApiError small = refused("garbage", TestCa.pem(TestCa.rsa(1024).getPrivate()), "");
        assertEquals("SERVER_CERTIFICATE_KEY_RSA_LENGTH_NOT_SUPPORTED", small.code());
        assertEquals(List.of("1024"), small.params());
    }

    @Test
    void thenTheCertificateItsDatesItsKeyAndItsSignature() throws Exception {
        String k = TestCa.pem(key.getPrivate());
        assertEquals("SERVER_CERTIFICATE_INVALID", refused("garbage", k, "").code());
        assertEquals(
                "SERVER_CERTIFICATE_INVALID",
                refused(TestCa.pem(cert) + TestCa.pem(cert), k, "").code());
        Instant now = Instant.now();
        X509Certificate future =
                ca.issue(key, "127.0.0.1", now.plusSeconds(3600), now.plusSeconds(7200), "SHA256withRSA");
        ApiError notYet = refused(TestCa.pem(future), k, "garbage");
        assertEquals("SERVER_CERTIFICATE_NOT_VALID_YET", notYet.code());
        assertEquals(2, notYet.params().size());
        assertTrue(
                notYet.params().get(1).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"),
                notYet.params()::toString);
        X509Certificate past =
                ca.issue(key, "127.0.0.1", now.minusSeconds(7200), now.minusSeconds(3600), "SHA256withRSA");
        assertEquals(
                "SERVER_CERTIFICATE_EXPIRED",
                refused(TestCa.pem(past), k, "garbage").code());
        String otherKey = TestCa.pem(TestCa.rsa(2048).getPrivate());
        assertEquals(
                "SERVER_CERTIFICATE_KEY_MISMATCH",
                refused(TestCa.pem(cert), otherKey, "garbage").code());
        X509Certificate sha1 = ca.issue(key, "127.0.0.1", now.minusSeconds(60), now.plusSeconds(3600), "SHA1withRSA");
        assertEquals(
                "SERVER_CERTIFICATE_SIGNATURE_NOT_SUPPORTED",
                refused(TestCa.pem(sha1), k, "garbage").code());
        X509Certificate sha512 =
                ca.issue(key, "127.0.0.1", now.minusSeconds(60), now.plusSeconds(3600), "SHA512withRSA");
        UserCertificate.check(TestCa.pem(sha512), k, "", now);
    }

    @Test
    void thenTheChain() {
        String k = TestCa.pem(key.getPrivate());
        String c = TestCa.pem(cert);
        assertEquals(
                "SERVER_CERTIFICATE_CHAIN_INVALID", refused(c, k, "garbage").code());
        assertEquals(
                "SERVER_CERTIFICATE_CHAIN_INVALID",
                refused(c, k, ca.rootPem() + k).code());
        assertEquals(
                "SERVER_CERTIFICATE_CHAIN_INVALID",
                refused(c, k, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                        .code());
    }
}
