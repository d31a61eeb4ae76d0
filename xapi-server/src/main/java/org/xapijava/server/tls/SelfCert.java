package org.xapijava.server.tls;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the self-signed host certificate the way Xapi's {@code gencert} does for
 * {@code /etc/xensource/xapi-ssl.pem} (xen-api {@code ocaml/gencert/selfcert.ml}, signing by the
 * OCaml {@code x509} library): BouncyCastle's certificate builder encodes it, the JDK's own provider
 * generates the key and signs (BouncyCastle is not registered as a JCA provider).
 *
 * <p>The certificate produced by {@link #selfSign}:
 *
 * <ul>
 *   <li>X.509 v3; issuer = subject = one RDN holding {@code CN=<name>} as a UTF8String;
 *   <li>signature sha256WithRSAEncryption (PKCS#1 v1.5) with NULL parameters;
 *   <li>serial as given (see {@link #randomSerial} for gencert's rule);
 *   <li>validity to the second, UTCTime through 2049, GeneralizedTime from 2050;
 *   <li>exactly one extension, subjectAltName (not critical): the DNS names in order, then the IP
 *       addresses in order. gencert adds no basicConstraints, keyUsage, extendedKeyUsage or
 *       subjectKeyIdentifier, so neither does this.
 * </ul>
 *
 * These are the bytes the former hand-written encoder produced: {@code SelfCertTest} compares with
 * certificates it made.
 */
public final class SelfCert {
    /** gencert: {@code openssl genrsa 2048} (public exponent 65537). */
    public static final int KEY_BITS = 2048;

    /** gencert's {@code valid_for_days = 365 * 10}. */
    public static final int VALID_FOR_DAYS = 3650;

    /** The x509 library draws 10 random octets for a serial number. */
    static final int SERIAL_RANDOM_OCTETS = 10;

    /** JCA name of sha256WithRSAEncryption; BouncyCastle encodes its identifier with NULL parameters. */
    private static final String SIGNATURE_ALGORITHM = "SHA256withRSA";

    private SelfCert() {}

    /**
     * A fresh RSA key pair of {@link #KEY_BITS} bits, public exponent 65537, from the JDK's provider
     * (the same provider the TLS engine uses the key with).
     */
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
     * @return the certificate, as parsed by the JDK's certificate factory
     * @throws IllegalArgumentException when the key is not RSA or a DNS name is not ASCII; without DNS names and
     *     addresses the certificate has no subjectAltName (Xapi's pool certificate)
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
        // One RDN, CN as a UTF8String whatever its characters (BCStyle would pick per attribute).
        X500Name name = new X500Name(new RDN[] {new RDN(BCStyle.CN, new DERUTF8String(commonName))});
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(serial),
                    Date.from(notBefore.truncatedTo(ChronoUnit.SECONDS)),
                    Date.from(notAfter.truncatedTo(ChronoUnit.SECONDS)),
                    name,
                    keyPair.getPublic());
            if (!dnsNames.isEmpty() || !ips.isEmpty())
                builder.addExtension(Extension.subjectAlternativeName, false, subjectAltName(dnsNames, ips));
            ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(keyPair.getPrivate());
            X509CertificateHolder holder = builder.build(signer);
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException("signing the host certificate failed", e);
        }
    }

    /** GeneralNames: the DNS names (IA5String), then the IP addresses (their octets). */
    private static GeneralNames subjectAltName(List<String> dnsNames, List<InetAddress> ips) {
        List<GeneralName> names = new ArrayList<>();
        for (String dns : dnsNames) {
            if (!DERIA5String.isIA5String(dns)) {
                throw new IllegalArgumentException("not ASCII: " + dns);
            }
            names.add(new GeneralName(GeneralName.dNSName, new DERIA5String(dns)));
        }
        for (InetAddress ip : ips) {
            names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }
}
