package org.xapijava.server.tls;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Builds the self-signed host certificate the way Xapi's {@code gencert} does for
 * {@code /etc/xensource/xapi-ssl.pem} (xen-api {@code ocaml/gencert/selfcert.ml}, signing by the
 * OCaml {@code x509} library), using only the JDK: a small DER encoder for the TBSCertificate and
 * {@link Signature} for the signature.
 *
 * <p>The certificate produced by {@link #selfSign}:
 *
 * <ul>
 *   <li>X.509 v3; issuer = subject = one RDN holding {@code CN=<name>} as a UTF8String;
 *   <li>signature sha256WithRSAEncryption (PKCS#1 v1.5) with NULL parameters;
 *   <li>serial as given (see {@link #randomSerial} for gencert's rule);
 *   <li>validity to the second, UTCTime through 2049;
 *   <li>exactly one extension, subjectAltName (not critical): the DNS names in order, then the IP
 *       addresses in order. gencert adds no basicConstraints, keyUsage, extendedKeyUsage or
 *       subjectKeyIdentifier, so neither does this.
 * </ul>
 */
public final class SelfCert {
    /** gencert: {@code openssl genrsa 2048} (public exponent 65537). */
    public static final int KEY_BITS = 2048;

    /** gencert's {@code valid_for_days = 365 * 10}. */
    public static final int VALID_FOR_DAYS = 3650;

    /** The x509 library draws 10 random octets for a serial number. */
    static final int SERIAL_RANDOM_OCTETS = 10;

    static final String OID_SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
    static final String OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
    static final String OID_COMMON_NAME = "2.5.4.3";
    static final String OID_SUBJECT_ALT_NAME = "2.5.29.17";

    /** GeneralName tags (RFC 5280 4.2.1.6). */
    private static final int GN_DNS_NAME = 2;

    private static final int GN_IP_ADDRESS = 7;

    private SelfCert() {}

    /** A fresh RSA key pair of {@link #KEY_BITS} bits, public exponent 65537. */
    public static KeyPair generateKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(KEY_BITS, RSAKeyGenParameterSpec.F4));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate RSA keys", e);
        }
    }

    /**
     * The contents octets of a serial number INTEGER chosen like the x509 library: 10 random octets;
     * if the first has its high bit set a 0x00 octet is prepended (keeps it positive); if the first is
     * 0x00 and the second has its high bit clear, 0x7f is prepended (keeps the encoding minimal).
     */
    public static byte[] randomSerial(SecureRandom random) {
        byte[] s = new byte[SERIAL_RANDOM_OCTETS];
        random.nextBytes(s);
        int first = s[0] & 0xff;
        if (first > 0x7f) {
            return prepend((byte) 0x00, s);
        }
        if (first == 0x00 && (s[1] & 0xff) <= 0x7f) {
            return prepend((byte) 0x7f, s);
        }
        return s;
    }

    private static byte[] prepend(byte b, byte[] rest) {
        byte[] out = new byte[rest.length + 1];
        out[0] = b;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    /**
     * Builds and signs a self-signed certificate for {@code keyPair}.
     *
     * @param keyPair an RSA key pair (the private key signs, the public key is certified)
     * @param commonName the subject and issuer CN
     * @param dnsNames subjectAltName DNS names, in order (ASCII)
     * @param ips subjectAltName IP addresses, in order (4 or 16 octets each)
     * @param notBefore start of validity (fractions of a second dropped)
     * @param notAfter end of validity (fractions of a second dropped)
     * @param serial contents octets of the serial number INTEGER, positive and minimal, e.g. from
     *     {@link #randomSerial}
     * @return the certificate, as parsed back by the JDK's {@link CertificateFactory}
     * @throws IllegalArgumentException when the key is not RSA, there is no subjectAltName entry, or a
     *     DNS name is not ASCII
     */
    public static X509Certificate selfSign(
            KeyPair keyPair,
            String commonName,
            List<String> dnsNames,
            List<InetAddress> ips,
            Instant notBefore,
            Instant notAfter,
            byte[] serial) {
        Objects.requireNonNull(commonName, "commonName");
        if (!(keyPair.getPrivate() instanceof RSAPrivateKey)) {
            throw new IllegalArgumentException(
                    "only RSA keys are supported, got " + keyPair.getPrivate().getAlgorithm());
        }
        if (dnsNames.isEmpty() && ips.isEmpty()) {
            throw new IllegalArgumentException("subjectAltName needs at least one DNS name or IP address");
        }
        byte[] signatureAlgorithm = Der.sequence(Der.oid(OID_SHA256_WITH_RSA), Der.nul());
        byte[] name = Der.sequence(Der.setOf(Der.sequence(Der.oid(OID_COMMON_NAME), Der.utf8String(commonName))));
        byte[] tbs = Der.sequence(
                Der.explicit(0, Der.integer(BigInteger.TWO)), // v3
                Der.integer(serial),
                signatureAlgorithm,
                name,
                Der.sequence(Der.time(notBefore), Der.time(notAfter)),
                name,
                keyPair.getPublic().getEncoded(), // already a DER SubjectPublicKeyInfo
                Der.explicit(3, Der.sequence(subjectAltName(dnsNames, ips))));
        try {
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(keyPair.getPrivate());
            signer.update(tbs);
            byte[] der = Der.sequence(tbs, signatureAlgorithm, Der.bitString(signer.sign()));
            return parse(der);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing the host certificate failed", e);
        }
    }

    /** The subjectAltName Extension, not critical (so the critical field is omitted, as DER wants). */
    private static byte[] subjectAltName(List<String> dnsNames, List<InetAddress> ips) {
        List<byte[]> names = new ArrayList<>();
        for (String dns : dnsNames) {
            names.add(Der.implicitPrimitive(GN_DNS_NAME, Der.ascii(dns)));
        }
        for (InetAddress ip : ips) {
            names.add(Der.implicitPrimitive(GN_IP_ADDRESS, ip.getAddress()));
        }
        byte[] generalNames = Der.sequence(names.toArray(byte[][]::new));
        return Der.sequence(Der.oid(OID_SUBJECT_ALT_NAME), Der.octetString(generalNames));
    }

    static X509Certificate parse(byte[] der) throws GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        X509Certificate cert = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der));
        if (!Arrays.equals(cert.getEncoded(), der)) {
            throw new IllegalStateException("certificate encoding did not round-trip");
        }
        return cert;
    }
}
