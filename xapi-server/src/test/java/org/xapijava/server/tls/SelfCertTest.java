package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
        byte[] cnAttr = Der.sequence(Der.oid(SelfCert.OID_COMMON_NAME), Der.utf8String("host1.example"));
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
        assertTrue(indexOf(c.getTBSCertificate(), Der.time(Instant.parse("2059-01-01T00:00:00Z"))) > 0);
    }

    @Test
    void rejectsNonRsaKeysAndEmptySubjectAltName() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        KeyPair ecKeys = ec.generateKeyPair();
        Instant now = Instant.now();
        assertThrows(
                IllegalArgumentException.class,
                () -> SelfCert.selfSign(ecKeys, "x", List.of("x"), List.of(), now, now, new byte[] {1}));
        assertThrows(
                IllegalArgumentException.class,
                () -> SelfCert.selfSign(keys, "x", List.of(), List.of(), now, now, new byte[] {1}));
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
