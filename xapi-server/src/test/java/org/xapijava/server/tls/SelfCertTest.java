package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfCertTest {
    private static KeyPair keys;

    @BeforeAll
    static void keys() {
        keys = SelfCert.generateKeyPair();
    }

    @Test
    void keyPairIsRsa2048WithF4() {
        RSAPublicKey pub = (RSAPublicKey) keys.getPublic();
        assertEquals(2048, pub.getModulus().bitLength());
        assertEquals(BigInteger.valueOf(65537), pub.getPublicExponent());
    }

    @Test
    void everyFieldParsesBack() throws Exception {
        Instant from = Instant.parse("2025-03-04T05:06:07.891Z");
        Instant until = Instant.parse("2035-03-02T05:06:07.891Z");
        byte[] serial = HexFormat.of().parseHex("0102030405060708090a");
        List<InetAddress> ips = List.of(InetAddress.getByName("192.0.2.7"), InetAddress.getByName("2001:db8::1"));
        X509Certificate c =
                SelfCert.selfSign(keys, "host1.example", List.of("host1.example", "host1"), ips, from, until, serial);

        assertEquals(3, c.getVersion());
        assertEquals(new BigInteger(1, serial), c.getSerialNumber());
        assertEquals("SHA256withRSA", c.getSigAlgName());
        assertEquals("1.2.840.113549.1.1.11", c.getSigAlgOID());
        // sha256WithRSAEncryption with explicit NULL parameters, in the TBSCertificate and outside it.
        byte[] algId = HexFormat.of().parseHex("300d06092a864886f70d01010b0500");
        byte[] der = c.getEncoded();
        int inTbs = indexOf(der, algId);
        assertTrue(inTbs > 0);
        assertEquals(
                c.getTBSCertificate().length + 4, // outer SEQUENCE header, then the TBS, then the algorithm
                indexOf(java.util.Arrays.copyOfRange(der, inTbs + 1, der.length), algId) + inTbs + 1);
        assertEquals(new X500Principal("CN=host1.example"), c.getSubjectX500Principal());
        assertEquals(c.getSubjectX500Principal(), c.getIssuerX500Principal());
        assertEquals(Date.from(Instant.parse("2025-03-04T05:06:07Z")), c.getNotBefore());
        assertEquals(Date.from(Instant.parse("2035-03-02T05:06:07Z")), c.getNotAfter());
        assertEquals(keys.getPublic(), c.getPublicKey());
        c.verify(keys.getPublic()); // self-signed: its own key verifies it

        // Only subjectAltName, not critical: gencert adds no other extension.
        assertEquals(Set.of(), c.getCriticalExtensionOIDs());
        assertEquals(Set.of("2.5.29.17"), c.getNonCriticalExtensionOIDs());
        assertEquals(-1, c.getBasicConstraints());
        assertNull(c.getKeyUsage());
        assertNull(c.getExtendedKeyUsage());
        assertNull(c.getIssuerUniqueID());
        assertNull(c.getSubjectUniqueID());
        assertEquals(
                List.of(
                        List.of(2, "host1.example"),
                        List.of(2, "host1"),
                        List.of(7, "192.0.2.7"),
                        List.of(7, "2001:db8:0:0:0:0:0:1")),
                c.getSubjectAlternativeNames().stream().map(l -> List.copyOf(l)).toList());

        // The CN is a UTF8String (tag 0x0c) right after the commonName OID.
        byte[] cnAttr = HexFormat.of()
                .parseHex("3014" + "0603550403" + "0c0d"
                        + HexFormat.of().formatHex("host1.example".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(indexOf(c.getTBSCertificate(), cnAttr) > 0);
    }

    @Test
    void notAfterFrom2050IsGeneralizedTime() throws Exception {
        X509Certificate c = SelfCert.selfSign(
                keys,
                "x",
                List.of("x"),
                List.of(),
                Instant.parse("2049-01-01T00:00:00Z"),
                Instant.parse("2059-01-01T00:00:00Z"),
                new byte[] {1});
        assertEquals(Date.from(Instant.parse("2059-01-01T00:00:00Z")), c.getNotAfter());
        byte[] generalizedTime = HexFormat.of()
                .parseHex("180f" + HexFormat.of().formatHex("20590101000000Z".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(indexOf(c.getTBSCertificate(), generalizedTime) > 0);
    }

    @Test
    void rejectsNonRsaKeysAndLeavesOutAnEmptySubjectAltName() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        KeyPair ecKeys = ec.generateKeyPair();
        Instant now = Instant.now();
        assertThrows(
                IllegalArgumentException.class,
                () -> SelfCert.selfSign(ecKeys, "x", List.of("x"), List.of(), now, now, new byte[] {1}));
        // the pool certificate: its subject CN only (Xapi's gencert xapi:pool), no subjectAltName extension
        java.security.cert.X509Certificate pool =
                SelfCert.selfSign(keys, "x", List.of(), List.of(), now, now, new byte[] {1});
        assertEquals(null, pool.getSubjectAlternativeNames());
        assertEquals("CN=x", pool.getSubjectX500Principal().getName());
    }

    /** A SecureRandom that hands out fixed bytes, to pin the serial number rules. */
    private static SecureRandom fixed(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        return new SecureRandom() {
            @Override
            public void nextBytes(byte[] out) {
                System.arraycopy(b, 0, out, 0, out.length);
            }
        };
    }

    @Test
    void serialFollowsTheX509LibraryRule() {
        assertEquals(
                "11223344556677889900", HexFormat.of().formatHex(SelfCert.randomSerial(fixed("11223344556677889900"))));
        // High bit set: a 0x00 is prepended so the INTEGER stays positive.
        assertEquals(
                "0080000000000000000001",
                HexFormat.of().formatHex(SelfCert.randomSerial(fixed("80000000000000000001"))));
        // 0x00 then an octet below 0x80: 0x7f is prepended so the encoding stays minimal.
        assertEquals(
                "7f0010000000000000000a",
                HexFormat.of().formatHex(SelfCert.randomSerial(fixed("0010000000000000000a"))));
        // 0x00 then an octet of 0x80 or more is already minimal.
        assertEquals(
                "00ff0000000000000000", HexFormat.of().formatHex(SelfCert.randomSerial(fixed("00ff0000000000000000"))));
    }

    @Test
    void randomSerialsAreValidPositiveIntegers() throws Exception {
        SecureRandom r = new SecureRandom();
        for (int i = 0; i < 200; i++) {
            byte[] s = SelfCert.randomSerial(r);
            assertTrue(s.length == 10 || s.length == 11);
            BigInteger v = new BigInteger(s);
            assertTrue(v.signum() > 0);
            assertArrayEquals(v.toByteArray(), s, "minimal encoding");
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SelfCertTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /**
     * gencert-golden.pem holds two certificates made by the hand-written DER encoder this class used
     * before BouncyCastle, with the key of openssl-pkcs8.pem: PKCS#1 v1.5 signatures are deterministic,
     * so the same inputs must give the same bytes, signature included.
     */
    @Test
    void sameBytesAsTheFormerHandWrittenEncoder() throws Exception {
        Pem.Bundle fixture = Pem.parseBundle(resource("openssl-pkcs8.pem"));
        KeyPair kp = new KeyPair(fixture.certificates().get(0).getPublicKey(), fixture.privateKey());
        List<Pem.Block> golden = Pem.blocks(resource("gencert-golden.pem"));
        assertEquals(2, golden.size());
        X509Certificate c1 = SelfCert.selfSign(
                kp,
                "host1.example",
                List.of("host1.example", "host1"),
                List.of(InetAddress.getByName("192.0.2.7"), InetAddress.getByName("2001:db8::1")),
                Instant.parse("2025-03-04T05:06:07.891Z"),
                Instant.parse("2035-03-02T05:06:07.891Z"),
                HexFormat.of().parseHex("0102030405060708090a"));
        assertEquals(
                HexFormat.of().formatHex(golden.get(0).der()), HexFormat.of().formatHex(c1.getEncoded()));
        X509Certificate c2 = SelfCert.selfSign(
                kp,
                "192.0.2.5",
                List.of(),
                List.of(InetAddress.getByName("192.0.2.5")),
                Instant.parse("2049-01-01T00:00:00Z"),
                Instant.parse("2059-01-01T00:00:00Z"),
                HexFormat.of().parseHex("7f0010000000000000000a"));
        assertEquals(
                HexFormat.of().formatHex(golden.get(1).der()), HexFormat.of().formatHex(c2.getEncoded()));
    }

    /**
     * The certificate a first start writes, taken apart with BouncyCastle's ASN.1 classes (not the
     * JDK's parser), field by field against gencert's shape.
     */
    @Test
    void generatedCertificateHasGencertsShape(@TempDir Path dir) throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        HostCertificate hc = HostCertificate.create(
                dir.resolve("xapi-ssl.pem"),
                "host1",
                List.of("host1.example.com"),
                List.of(InetAddress.getByName("192.0.2.9"), InetAddress.getByName("2001:db8::9")));
        Instant after = Instant.now();
        Certificate c = Certificate.getInstance(hc.certificate().getEncoded());
        TBSCertificate tbs = c.getTBSCertificate();

        // X.509 v3, no unique identifiers
        assertEquals(3, tbs.getVersionNumber());
        assertEquals(BigInteger.TWO, tbs.getVersion().getValue());
        assertNull(tbs.getIssuerUniqueId());
        assertNull(tbs.getSubjectUniqueId());

        // serial: the x509 library's rule (10 random octets, made positive and minimal)
        byte[] serial =
                ASN1Integer.getInstance(tbs.getSerialNumber()).getValue().toByteArray();
        assertTrue(serial.length == 10 || serial.length == 11, HexFormat.of().formatHex(serial));
        if (serial.length == 11) assertTrue(serial[0] == 0x00 || serial[0] == 0x7f);
        assertTrue(tbs.getSerialNumber().getValue().signum() > 0);

        // sha256WithRSAEncryption with NULL parameters, inside and outside the TBSCertificate
        AlgorithmIdentifier sha256Rsa =
                new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE);
        assertEquals(sha256Rsa, tbs.getSignature());
        assertEquals(sha256Rsa, c.getSignatureAlgorithm());
        assertArrayEquals(
                HexFormat.of().parseHex("300d06092a864886f70d01010b0500"),
                c.getSignatureAlgorithm().getEncoded());

        // issuer = subject = one RDN with one attribute: CN as a UTF8String
        assertEquals(tbs.getSubject(), tbs.getIssuer());
        RDN[] rdns = tbs.getSubject().getRDNs();
        assertEquals(1, rdns.length);
        assertEquals(1, rdns[0].size());
        AttributeTypeAndValue cn = rdns[0].getFirst();
        assertEquals(BCStyle.CN, cn.getType());
        assertInstanceOf(ASN1UTF8String.class, cn.getValue());
        assertEquals("host1", ((ASN1UTF8String) cn.getValue()).getString());

        // validity: UTCTime to the second, from now, 3650 days
        assertInstanceOf(ASN1UTCTime.class, tbs.getStartDate().toASN1Primitive());
        assertInstanceOf(ASN1UTCTime.class, tbs.getEndDate().toASN1Primitive());
        Instant notBefore = tbs.getStartDate().getDate().toInstant();
        Instant notAfter = tbs.getEndDate().getDate().toInstant();
        assertFalse(notBefore.isBefore(before) || notBefore.isAfter(after), notBefore.toString());
        assertEquals(Duration.ofDays(3650), Duration.between(notBefore, notAfter));

        // key: RSA 2048, exponent 65537, rsaEncryption with NULL parameters
        SubjectPublicKeyInfo spki = tbs.getSubjectPublicKeyInfo();
        assertEquals(
                new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), spki.getAlgorithm());
        org.bouncycastle.asn1.pkcs.RSAPublicKey rsa =
                org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(spki.parsePublicKey());
        assertEquals(2048, rsa.getModulus().bitLength());
        assertEquals(BigInteger.valueOf(65537), rsa.getPublicExponent());

        // exactly one extension: subjectAltName, not critical (no BOOLEAN in its DER), DNS names then IPs
        Extensions ext = tbs.getExtensions();
        assertEquals(List.of(Extension.subjectAlternativeName), List.of(ext.getExtensionOIDs()));
        Extension san = ext.getExtension(Extension.subjectAlternativeName);
        assertFalse(san.isCritical());
        assertEquals(2, ASN1Sequence.getInstance(san.toASN1Primitive()).size());
        GeneralName[] names = GeneralNames.getInstance(san.getParsedValue()).getNames();
        assertEquals(4, names.length);
        assertEquals(new GeneralName(GeneralName.dNSName, "host1"), names[0]);
        assertEquals(new GeneralName(GeneralName.dNSName, "host1.example.com"), names[1]);
        assertEquals(GeneralName.iPAddress, names[2].getTagNo());
        assertArrayEquals(
                new byte[] {(byte) 192, 0, 2, 9},
                ASN1OctetString.getInstance(names[2].getName()).getOctets());
        assertArrayEquals(
                InetAddress.getByName("2001:db8::9").getAddress(),
                ASN1OctetString.getInstance(names[3].getName()).getOctets());

        // the signature is the key's own (self-signed)
        hc.certificate().verify(hc.certificate().getPublicKey());
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
