package org.xapijava.server.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.util.io.pem.PemGenerationException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads and writes the PEM bundles Xapi keeps its server certificates in: one private key, then the
 * host certificate, then an optional chain (xen-api {@code ocaml/gencert/pem.ml}).
 *
 * <p>Reading follows Xapi's parser: a block starts at the beginning of a line with
 * {@code -----BEGIN <TYPE>-----}; lines outside the recognised blocks (and blocks of other types,
 * such as DH parameters) are skipped; the recognised types are {@code CERTIFICATE},
 * {@code PRIVATE KEY} (PKCS#8), {@code RSA PRIVATE KEY} (PKCS#1) and {@code EC PRIVATE KEY} (which
 * this implementation recognises but cannot load). There must be exactly one key and at least one
 * certificate; the first certificate is the host's, the rest its chain. CRLF line ends are accepted.
 *
 * <p>Who does what: the block grammar above is Xapi's and stays here (BouncyCastle's {@code
 * PemReader} accepts a different set, such as RFC 1421 headers and END lines with text around them,
 * and does not give the block's text, which {@code host.get_server_certificate} returns verbatim);
 * BouncyCastle decodes the keys (PKCS#1 and PKCS#8 structures) and writes PEM; the JDK parses the
 * certificates from the file's own bytes (so fingerprints are of exactly those bytes).
 */
final class Pem {
    static final String CERTIFICATE = "CERTIFICATE";
    static final String PKCS8_KEY = "PRIVATE KEY";
    static final String PKCS1_RSA_KEY = "RSA PRIVATE KEY";
    static final String SEC1_EC_KEY = "EC PRIVATE KEY";

    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END ";
    private static final String DASHES = "-----";

    private Pem() {}

    /** One recognised block: its type, decoded contents, and its text from BEGIN to END inclusive. */
    record Block(String type, byte[] der, String text) {}

    /** A parsed bundle: the key, the host certificate first in {@code certificates}, its PEM text. */
    record Bundle(PrivateKey privateKey, List<X509Certificate> certificates, String hostCertificatePem) {}

    /**
     * Parses a bundle.
     *
     * @throws IllegalArgumentException with a one-line reason when the text is not a valid bundle or
     *     the key does not belong to the host certificate
     */
    static Bundle parseBundle(String text) {
        List<Block> keys = new ArrayList<>();
        List<Block> certs = new ArrayList<>();
        for (Block b : blocks(text)) {
            (b.type().equals(CERTIFICATE) ? certs : keys).add(b);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("PEM is missing a private key");
        }
        if (keys.size() > 1) {
            throw new IllegalArgumentException("PEM has more than one private key");
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("PEM is lacking a certificate");
        }
        PrivateKey key = privateKey(keys.get(0));
        List<X509Certificate> chain = new ArrayList<>();
        for (Block c : certs) {
            chain.add(certificate(c));
        }
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new IllegalArgumentException("the private key does not match the certificate");
        }
        return new Bundle(key, List.copyOf(chain), certs.get(0).text());
    }

    /** The recognised blocks of {@code text}, in order. */
    static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int eol = lineEnd(text, pos);
            String line = text.substring(pos, eol);
            String type = beginType(line);
            if (type == null) {
                pos = nextLine(text, eol);
                continue;
            }
            int bodyStart = pos + line.length();
            int dash = text.indexOf('-', bodyStart);
            String footer = END + type + DASHES;
            if (dash < 0 || !text.startsWith(footer, dash)) {
                throw new IllegalArgumentException("unterminated " + type + " block");
            }
            String body = text.substring(bodyStart, dash);
            byte[] der;
            try {
                der = Base64.getDecoder().decode(body.replaceAll("[ \t\r\n]", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad base64 in " + type + " block: " + e.getMessage());
            }
            int blockEnd = dash + footer.length();
            out.add(new Block(type, der, text.substring(pos, blockEnd)));
            pos = nextLine(text, lineEnd(text, blockEnd));
        }
        return out;
    }

    private static String beginType(String line) {
        for (String t : List.of(CERTIFICATE, PKCS8_KEY, PKCS1_RSA_KEY, SEC1_EC_KEY)) {
            if (line.equals(BEGIN + t + DASHES) || line.equals(BEGIN + t + DASHES + "\r")) {
                return t;
            }
        }
        return null;
    }

    private static int lineEnd(String text, int from) {
        int nl = text.indexOf('\n', from);
        return nl < 0 ? text.length() : nl;
    }

    private static int nextLine(String text, int eol) {
        return Math.min(text.length(), eol + 1);
    }

    /**
     * The one certificate of {@code text} (a single {@code CERTIFICATE} block, nothing else but blanks).
     *
     * @throws IllegalArgumentException when there is not exactly one certificate or it does not parse
     */
    static X509Certificate parseCertificate(String text) {
        List<Block> all = blocks(text);
        if (all.size() != 1 || !all.get(0).type().equals(CERTIFICATE))
            throw new IllegalArgumentException("expected exactly one certificate");
        return certificate(all.get(0));
    }

    private static X509Certificate certificate(Block b) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der()));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("invalid certificate: " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(Block b) {
        if (!b.type().equals(PKCS1_RSA_KEY) && !b.type().equals(PKCS8_KEY)) {
            throw new IllegalArgumentException("unsupported private key type " + b.type());
        }
        try {
            PrivateKeyInfo info = b.type().equals(PKCS1_RSA_KEY)
                    // PKCS#1 RSAPrivateKey, wrapped as PKCS#8 (rsaEncryption with NULL parameters)
                    ? new PrivateKeyInfo(
                            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                            RSAPrivateKey.getInstance(b.der()))
                    : PrivateKeyInfo.getInstance(b.der());
            // a key of the JDK's providers (RSA, EC, Ed25519, Ed448), as the TLS engine needs
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) { // PEMException; malformed ASN.1
            throw new IllegalArgumentException("invalid or unsupported private key");
        }
    }

    /** Whether {@code key} is the private half of {@code pub}. */
    static boolean matches(PrivateKey key, PublicKey pub) {
        if (key instanceof RSAKey k && pub instanceof RSAKey p) {
            return k.getModulus().equals(p.getModulus());
        }
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        if (alg == null) {
            return false;
        }
        try {
            byte[] probe = "xapi-java key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** One PEM block: BEGIN line, base64 in 64-column lines, END line, each ending in a newline. */
    static String encode(String type, byte[] der) {
        return write(new PemObject(type, der));
    }

    /** The {@code PRIVATE KEY} (PKCS#8, unencrypted) block of {@code key}, as gencert writes it. */
    static String encodePrivateKey(PrivateKey key) {
        try {
            return write(new JcaPKCS8Generator(key, null).generate());
        } catch (PemGenerationException e) {
            throw new IllegalArgumentException("cannot encode the private key: " + e.getMessage(), e);
        }
    }

    /** The {@code CERTIFICATE} block of {@code cert}. */
    static String encodeCertificate(X509Certificate cert) {
        try {
            return encode(CERTIFICATE, cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String write(PemObject object) {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }
}
