package org.xapijava.server.tls;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority for tests, built with BouncyCastle: its self-signed root, the server certificates it issues
 * and its CRLs, as PEM texts.
 */
public final class TestCa {
    private final X500Name name;
    private final KeyPair keys;
    private final X509Certificate root;
    private final AtomicLong serials = new AtomicLong(100);

    public TestCa(String cn) throws Exception {
        this.name = new X500Name("CN=" + cn);
        this.keys = rsa(2048);
        Instant now = Instant.now();
        this.root = new JcaX509CertificateConverter()
                .getCertificate(new JcaX509v3CertificateBuilder(
                                name,
                                BigInteger.ONE,
                                Date.from(now.minusSeconds(3600)),
                                Date.from(now.plusSeconds(86400 * 30L)),
                                name,
                                keys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                        .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }

    /** A fresh RSA key pair of {@code bits} bits. */
    public static KeyPair rsa(int bits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4));
        return g.generateKeyPair();
    }

    /** The root certificate's PEM. */
    public String rootPem() {
        return Pem.encodeCertificate(root);
    }

    /** A server certificate for {@code ip} with key {@code key}, valid from {@code from} to {@code to}. */
    public X509Certificate issue(KeyPair key, String ip, Instant from, Instant to, String signature) throws Exception {
        X500Name subject = new X500Name("CN=" + ip);
        return new JcaX509CertificateConverter()
                .getCertificate(new JcaX509v3CertificateBuilder(
                                name,
                                BigInteger.valueOf(serials.incrementAndGet()),
                                Date.from(from),
                                Date.from(to),
                                subject,
                                key.getPublic())
                        .addExtension(
                                Extension.subjectAlternativeName,
                                false,
                                new GeneralNames(new GeneralName(
                                        GeneralName.iPAddress,
                                        InetAddress.getByName(ip).getHostAddress())))
                        .build(new JcaContentSignerBuilder(signature).build(keys.getPrivate())));
    }

    /** A server certificate for {@code ip}, valid for a day, signed SHA-256. */
    public X509Certificate issue(KeyPair key, String ip) throws Exception {
        Instant now = Instant.now();
        return issue(key, ip, now.minusSeconds(60), now.plusSeconds(86400), "SHA256withRSA");
    }

    /** This CA's CRL listing {@code revoked} (none: an empty list), PEM. */
    public String crl(X509Certificate... revoked) throws Exception {
        return crlSignedBy(keys.getPrivate(), revoked);
    }

    /** A CRL in this CA's name signed by {@code key} (another key: a forged CRL). */
    public String crlSignedBy(PrivateKey key, X509Certificate... revoked) throws Exception {
        Instant now = Instant.now();
        X509v2CRLBuilder b = new X509v2CRLBuilder(name, Date.from(now.minusSeconds(60)));
        b.setNextUpdate(Date.from(now.plusSeconds(86400)));
        for (X509Certificate c : revoked)
            b.addCRLEntry(c.getSerialNumber(), Date.from(now.minusSeconds(30)), CRLReason.keyCompromise);
        X509CRL crl =
                new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(key)));
        return Pem.encode("X509 CRL", crl.getEncoded());
    }

    /** The PEM of {@code cert}. */
    public static String pem(X509Certificate cert) {
        return Pem.encodeCertificate(cert);
    }

    /** The PKCS#8 PEM of {@code key}. */
    public static String pem(PrivateKey key) {
        return Pem.encodePrivateKey(key);
    }

    /** A PEM block of {@code type} holding {@code der}. */
    public static String pem(String type, byte[] der) {
        return Pem.encode(type, der);
    }
}
