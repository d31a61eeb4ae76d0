package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCertificateTest {
    @TempDir
    Path dir;

    private static final List<InetAddress> LOOPBACK = List.of(InetAddress.getLoopbackAddress());

    private static String resource(String name) throws IOException {
        try (InputStream in = HostCertificateTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void createsOnceThenLoadsTheSameCertificate() throws Exception {
        Path pem = dir.resolve("etc/xensource/xapi-ssl.pem");
        Instant before = Instant.now();
        HostCertificate first = HostCertificate.loadOrCreate(pem, "host1", List.of("host1.example.com"), LOOPBACK);
        Instant after = Instant.now();
        assertTrue(Files.exists(pem));
        HostCertificate second = HostCertificate.loadOrCreate(pem, "other", List.of("other.example.com"), LOOPBACK);

        assertEquals(first.certificate(), second.certificate());
        assertEquals(first.privateKey(), second.privateKey());
        assertEquals(first.sha256Fingerprint(), second.sha256Fingerprint());
        assertEquals(first.certificatePem(), second.certificatePem());
        assertEquals(pem, second.file());

        X509Certificate c = first.certificate();
        assertEquals("CN=host1", c.getSubjectX500Principal().getName());
        assertEquals(
                List.of(List.of(2, "host1"), List.of(2, "host1.example.com"), List.of(7, "127.0.0.1")),
                c.getSubjectAlternativeNames().stream().map(List::copyOf).toList());
        Instant notBefore = c.getNotBefore().toInstant();
        assertFalse(notBefore.isBefore(before.minusSeconds(1)) || notBefore.isAfter(after));
        assertEquals(
                Duration.ofDays(3650).toSeconds(),
                c.getNotAfter().toInstant().getEpochSecond() - notBefore.getEpochSecond(),
                1.0);
        c.verify(c.getPublicKey());
    }

    @Test
    void fileLayoutAndModeAreGencerts() throws Exception {
        Path pem = dir.resolve("xapi-ssl.pem");
        HostCertificate hc = HostCertificate.create(pem, "h", List.of(), LOOPBACK);
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        assertTrue(text.startsWith("-----BEGIN PRIVATE KEY-----\n"), text);
        int join = text.indexOf("-----END PRIVATE KEY-----\n\n\n-----BEGIN CERTIFICATE-----\n");
        assertTrue(join > 0, "key PEM, two newlines, certificate PEM");
        assertTrue(text.endsWith("-----END CERTIFICATE-----\n"));
        for (String line : text.split("\n")) {
            assertTrue(line.length() <= 64, "64-column base64: " + line);
        }
        assertEquals(hc.certificatePem() + "\n", text.substring(text.indexOf("-----BEGIN CERTIFICATE-----")));
        String certB64 = hc.certificatePem()
                .replace("-----BEGIN CERTIFICATE-----", "")
                .replace("-----END CERTIFICATE-----", "")
                .replace("\n", "");
        assertEquals(List.of(hc.certificate()), hc.chain());
        assertEquals(
                HexFormat.of().formatHex(hc.certificate().getEncoded()),
                HexFormat.of().formatHex(Base64.getDecoder().decode(certB64)));
        assertEquals(PosixFilePermissions.fromString("r--------"), Files.getPosixFilePermissions(pem));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(pem), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void createReplacesAnExistingFile() throws Exception {
        Path pem = dir.resolve("xapi-ssl.pem");
        HostCertificate a = HostCertificate.create(pem, "h", List.of(), LOOPBACK);
        HostCertificate b = HostCertificate.create(pem, "h", List.of(), LOOPBACK);
        assertNotEquals(a.sha256Fingerprint(), b.sha256Fingerprint());
        assertEquals(b.certificate(), HostCertificate.load(pem).certificate());
        assertNotEquals(a.certificate().getSerialNumber(), b.certificate().getSerialNumber());
    }

    @Test
    void fingerprintsAreUpperCaseColonSeparated() throws Exception {
        Path pem = dir.resolve("x.pem");
        HostCertificate hc = HostCertificate.create(pem, "h", List.of(), LOOPBACK);
        assertTrue(hc.sha256Fingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), hc.sha256Fingerprint());
        assertTrue(hc.sha1Fingerprint().matches("([0-9A-F]{2}:){19}[0-9A-F]{2}"), hc.sha1Fingerprint());
        byte[] d = MessageDigest.getInstance("SHA-256").digest(hc.certificate().getEncoded());
        assertEquals(
                HexFormat.of().withUpperCase().formatHex(d),
                hc.sha256Fingerprint().replace(":", ""));
    }

    @Test
    void opensslGeneratedPkcs8AndPkcs1BundlesLoad() throws Exception {
        // Both fixtures hold the same key and certificate (made with openssl req -x509; the PKCS#1 one
        // converted with openssl rsa -traditional); the fingerprint is what openssl printed.
        Path p8 = dir.resolve("p8.pem");
        Path p1 = dir.resolve("p1.pem");
        Files.writeString(p8, resource("openssl-pkcs8.pem"));
        Files.writeString(p1, resource("openssl-pkcs1.pem"));
        assertTrue(Files.readString(p1).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        HostCertificate a = HostCertificate.loadOrCreate(p8, "unused", List.of(), LOOPBACK);
        HostCertificate b = HostCertificate.loadOrCreate(p1, "unused", List.of(), LOOPBACK);
        String expected =
                "2D:37:F1:D9:DF:C9:5F:12:FA:29:52:86:99:31:04:EF:D5:50:23:03:6E:A9:6E:9C:DB:43:97:3F:28:27:30:C3";
        assertEquals(expected, a.sha256Fingerprint());
        assertEquals(expected, b.sha256Fingerprint());
        assertEquals(a.privateKey(), b.privateKey());
        assertEquals(
                "CN=openssl-fixture", a.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void pkcs1KeyDerivedFromOurOwnKeyLoads() throws Exception {
        Path pem = dir.resolve("x.pem");
        HostCertificate hc = HostCertificate.create(pem, "h", List.of(), LOOPBACK);
        byte[] pkcs1 = pkcs1Of(hc.privateKey());
        Path p1 = dir.resolve("p1.pem");
        Files.writeString(p1, Pem.encode("RSA PRIVATE KEY", pkcs1) + "\n" + hc.certificatePem() + "\n");
        HostCertificate loaded = HostCertificate.load(p1);
        assertEquals(hc.privateKey(), loaded.privateKey());
        assertEquals(hc.certificate(), loaded.certificate());
    }

    /** The PKCS#1 RSAPrivateKey inside the JDK's PKCS#8 encoding. */
    private static byte[] pkcs1Of(PrivateKey key) throws IOException {
        return PrivateKeyInfo.getInstance(key.getEncoded())
                .parsePrivateKey()
                .toASN1Primitive()
                .getEncoded();
    }

    /** A bundle of a key of another algorithm (PKCS#8) and a self-signed certificate for it. */
    private String bundleOf(String keyAlgorithm, String signatureAlgorithm) throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance(keyAlgorithm).generateKeyPair();
        X500Name name = new X500Name("CN=" + keyAlgorithm);
        Instant now = Instant.now();
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(new JcaX509v3CertificateBuilder(
                                name,
                                BigInteger.ONE,
                                Date.from(now),
                                Date.from(now.plusSeconds(3600)),
                                name,
                                kp.getPublic())
                        .build(new JcaContentSignerBuilder(signatureAlgorithm).build(kp.getPrivate())));
        return Pem.encode("PRIVATE KEY", kp.getPrivate().getEncoded()) + Pem.encode("CERTIFICATE", cert.getEncoded());
    }

    @Test
    void ecAndEdDsaPkcs8KeysLoadAndMustMatch() throws Exception {
        for (String[] alg : List.of(new String[] {"EC", "SHA256withECDSA"}, new String[] {"Ed25519", "Ed25519"})) {
            String text = bundleOf(alg[0], alg[1]);
            Path pem = dir.resolve(alg[0] + ".pem");
            Files.writeString(pem, text);
            HostCertificate hc = HostCertificate.load(pem);
            assertEquals(
                    "CN=" + alg[0], hc.certificate().getSubjectX500Principal().getName());
            // the same algorithm but another key: refused
            String other = bundleOf(alg[0], alg[1]);
            String mixed = text.substring(0, text.indexOf("-----BEGIN CERTIFICATE-----"))
                    + other.substring(other.indexOf("-----BEGIN CERTIFICATE-----"));
            assertBad(alg[0] + "-mixed.pem", mixed, "does not match");
        }
    }

    @Test
    void crlfJunkAndAChainAreAccepted() throws Exception {
        HostCertificate leaf = HostCertificate.create(dir.resolve("a.pem"), "leaf", List.of(), LOOPBACK);
        HostCertificate other = HostCertificate.create(dir.resolve("b.pem"), "ca", List.of(), LOOPBACK);
        String keyPem = Pem.encode("PRIVATE KEY", leaf.privateKey().getEncoded());
        String text = "some comment\n"
                + keyPem
                + "\njunk line\n"
                + leaf.certificatePem()
                + "\n-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n"
                + other.certificatePem()
                + "\n";
        Path pem = dir.resolve("chain.pem");
        Files.writeString(pem, text.replace("\n", "\r\n"));
        HostCertificate hc = HostCertificate.load(pem);
        assertEquals(List.of(leaf.certificate(), other.certificate()), hc.chain());
        assertEquals(leaf.certificatePem().replace("\n", "\r\n"), hc.certificatePem());
        // "ca" is not the leaf's issuer: the key store keeps the leaf only.
        KeyStore ks = hc.keyStore("pw".toCharArray());
        assertEquals(1, ks.getCertificateChain(HostCertificate.KEY_ALIAS).length);
        assertEquals(hc.privateKey(), ks.getKey(HostCertificate.KEY_ALIAS, "pw".toCharArray()));

        // A second certificate whose subject is the leaf's issuer name continues the chain.
        HostCertificate issuer = HostCertificate.create(dir.resolve("c.pem"), "leaf", List.of(), LOOPBACK);
        Path linked = dir.resolve("linked.pem");
        Files.writeString(linked, keyPem + leaf.certificatePem() + "\n" + issuer.certificatePem() + "\n");
        KeyStore ks2 = HostCertificate.load(linked).keyStore("pw".toCharArray());
        assertEquals(
                List.of(leaf.certificate(), issuer.certificate()),
                List.of(ks2.getCertificateChain(HostCertificate.KEY_ALIAS)));
    }

    @Test
    void badPemsNameTheFile() throws Exception {
        HostCertificate a = HostCertificate.create(dir.resolve("a.pem"), "a", List.of(), LOOPBACK);
        HostCertificate b = HostCertificate.create(dir.resolve("b.pem"), "b", List.of(), LOOPBACK);
        String keyA = Pem.encode("PRIVATE KEY", a.privateKey().getEncoded());
        String keyB = Pem.encode("PRIVATE KEY", b.privateKey().getEncoded());
        assertBad("garbage.pem", "not a pem at all\n", "PEM is missing a private key");
        assertBad("nocert.pem", keyA, "PEM is lacking a certificate");
        assertBad("twokeys.pem", keyA + keyB + a.certificatePem(), "PEM has more than one private key");
        assertBad("good.pem", keyB + b.certificatePem() + "\n", null); // control
        assertBad("wrongkey.pem", keyB + a.certificatePem() + "\n", "does not match");
        assertBad("base64.pem", keyA + "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n", "bad base64");
        assertBad(
                "notder.pem",
                keyA + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "invalid certificate");
        assertBad("unterminated.pem", keyA + "-----BEGIN CERTIFICATE-----\nAAAA\n", "unterminated");
        assertBad(
                "ec.pem",
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n" + a.certificatePem(),
                "unsupported private key type");
        // An unreadable (here: missing) file also names it.
        Path missing = dir.resolve("missing.pem");
        IOException e = assertThrows(IOException.class, () -> HostCertificate.load(missing));
        assertTrue(e.getMessage().startsWith("Can't process " + missing + ": "), e.getMessage());
    }

    private void assertBad(String name, String contents, String reason) throws IOException {
        Path pem = dir.resolve(name);
        Files.writeString(pem, contents);
        if (reason == null) {
            HostCertificate.load(pem); // control: a good bundle loads
            return;
        }
        IOException e =
                assertThrows(IOException.class, () -> HostCertificate.loadOrCreate(pem, "h", List.of(), LOOPBACK));
        assertTrue(e.getMessage().startsWith("Can't process " + pem + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertEquals(contents, Files.readString(pem), "an invalid file is never replaced");
    }

    @Test
    void subjectsFollowXapi() throws Exception {
        assertEquals(
                List.of("host1", "host1.example.com"),
                HostCertificate.dnsSubjects(
                        " host1 ", List.of("localhost", "", "10.0.0.1", "fe80::1", "host1.example.com", "host1")));
        assertEquals(List.of(), HostCertificate.dnsSubjects("localhost", List.of()));
        assertEquals("host1", HostCertificate.commonName(List.of("host1"), LOOPBACK));
        assertEquals("127.0.0.1", HostCertificate.commonName(List.of(), LOOPBACK));
        assertEquals(
                "2001:db8::1:0:0:1",
                HostCertificate.commonName(List.of(), List.of(InetAddress.getByName("2001:db8:0:0:1:0:0:1"))));
        assertEquals("::1", HostCertificate.ipText(InetAddress.getByName("::1")));
        assertEquals("::", HostCertificate.ipText(InetAddress.getByName("::")));
        assertEquals("2001:db8:0:1:1:1:1:1", HostCertificate.ipText(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("fe80::", HostCertificate.ipText(InetAddress.getByName("fe80:0:0:0:0:0:0:0")));
        assertThrows(IllegalArgumentException.class, () -> HostCertificate.commonName(List.of(), List.of()));

        // No hostname: the CN is the preferred IP; link-local addresses are dropped first.
        Path pem = dir.resolve("ip.pem");
        HostCertificate hc = HostCertificate.create(
                pem,
                "localhost",
                List.of(),
                List.of(InetAddress.getByName("fe80::1"), InetAddress.getByName("192.0.2.5")));
        assertEquals("CN=192.0.2.5", hc.certificate().getSubjectX500Principal().getName());
        assertEquals(
                List.of(List.of(7, "192.0.2.5")),
                hc.certificate().getSubjectAlternativeNames().stream()
                        .map(List::copyOf)
                        .toList());
        Path none = dir.resolve("none.pem");
        assertThrows(
                IllegalArgumentException.class,
                () -> HostCertificate.loadOrCreate(none, "h", List.of(), List.of(InetAddress.getByName("fe80::1"))));
        assertFalse(Files.exists(none));
    }

    @Test
    void opensslAgreesWithTheCertificate() throws Exception {
        Path pem = dir.resolve("xapi-ssl.pem");
        HostCertificate hc = HostCertificate.create(
                pem, "host1", List.of("host1.example.com"), List.of(InetAddress.getByName("192.0.2.9")));
        String text;
        try {
            text = run("openssl", "x509", "-noout", "-text", "-in", pem.toString());
        } catch (IOException e) {
            Assumptions.abort("openssl is not installed, skipping the openssl cross-check: " + e.getMessage());
            return;
        }
        assertTrue(text.contains("Version: 3 (0x2)"), text);
        assertTrue(text.contains("Signature Algorithm: sha256WithRSAEncryption"), text);
        assertTrue(text.contains("Issuer: CN = host1"), text);
        assertTrue(text.contains("Subject: CN = host1"), text);
        assertTrue(text.contains("Public-Key: (2048 bit)"), text);
        assertTrue(text.contains("Exponent: 65537 (0x10001)"), text);
        assertTrue(text.contains("X509v3 Subject Alternative Name: \n"), text); // not critical
        assertTrue(text.contains("DNS:host1, DNS:host1.example.com, IP Address:192.0.2.9"), text);
        assertFalse(text.contains("X509v3 Basic Constraints"), text);
        assertFalse(text.contains("X509v3 Key Usage"), text);
        String serial = hc.certificate().getSerialNumber().toString(16);
        String fp = run("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-serial", "-in", pem.toString());
        assertTrue(fp.contains("Fingerprint=" + hc.sha256Fingerprint()), fp);
        assertTrue(fp.toLowerCase().contains("serial=" + (serial.length() % 2 == 1 ? "0" + serial : serial)), fp);
        String check = run("openssl", "rsa", "-check", "-noout", "-in", pem.toString());
        assertTrue(check.contains("RSA key ok"), check);
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
