package org.xapijava.server.tls;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;

/**
 * A user's CA-signed server certificate for {@code host.install_server_certificate}, checked as Xapi's gencert library
 * checks it ({@code Lib.install_server_certificate}), in its order: the private key (PEM, PKCS#8 or PKCS#1; RSA of
 * 2048 to 4096 bits, two primes), the certificate (one PEM certificate, valid now), the key matching it, its signature
 * SHA-256 or SHA-512, then the optional chain (one or more PEM certificates). {@link #bundle} is what the host's
 * {@code xapi-ssl.pem} then holds: the key re-encoded as PKCS#8, the certificate and the chain, joined by blank lines.
 */
public final class UserCertificate {
    /** Signature algorithms Xapi accepts: RSA and ECDSA with SHA-256 or SHA-512. */
    private static final List<String> SIGNATURES = List.of(
            PKCSObjectIdentifiers.sha256WithRSAEncryption.getId(),
            PKCSObjectIdentifiers.sha512WithRSAEncryption.getId(),
            X9ObjectIdentifiers.ecdsa_with_SHA256.getId(),
            X9ObjectIdentifiers.ecdsa_with_SHA512.getId());

    /** The x509 library's names of the curves it knows ({@code Key_type.to_string}). */
    private static final Map<String, String> CURVES = Map.of(
            "1.3.132.0.33", "P224",
            "1.2.840.10045.3.1.7", "P256",
            "1.3.132.0.34", "P384",
            "1.3.132.0.35", "P521");

    private static final String ED25519 = "1.3.101.112";

    private final String bundle;
    private final X509Certificate certificate;

    private UserCertificate(String bundle, X509Certificate certificate) {
        this.bundle = bundle;
        this.certificate = certificate;
    }

    /**
     * Checks the three PEM texts at {@code now}.
     *
     * @param chain the intermediate certificates, or empty for none
     * @throws ApiError with Xapi's {@code SERVER_CERTIFICATE_*} code of the first check that fails
     */
    public static UserCertificate check(String certificate, String privateKey, String chain, Instant now) {
        PrivateKey key = key(privateKey);
        int bits = ((RSAKey) key).getModulus().bitLength();
        if (bits < 2048 || bits > 4096)
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_RSA_LENGTH_NOT_SUPPORTED, Integer.toString(bits));
        X509Certificate cert;
        try {
            cert = Pem.parseCertificate(certificate);
        } catch (IllegalArgumentException e) {
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_INVALID);
        }
        if (now.isBefore(cert.getNotBefore().toInstant()))
            throw new ApiError(
                    ErrorCodes.SERVER_CERTIFICATE_NOT_VALID_YET,
                    rfc3339(now),
                    rfc3339(cert.getNotBefore().toInstant()));
        if (now.isAfter(cert.getNotAfter().toInstant()))
            throw new ApiError(
                    ErrorCodes.SERVER_CERTIFICATE_EXPIRED,
                    rfc3339(now),
                    rfc3339(cert.getNotAfter().toInstant()));
        if (!(cert.getPublicKey() instanceof RSAPublicKey pub)
                || !pub.getModulus().equals(((RSAKey) key).getModulus()))
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_MISMATCH);
        if (!SIGNATURES.contains(cert.getSigAlgOID()))
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_SIGNATURE_NOT_SUPPORTED);
        List<X509Certificate> intermediates = chain.isEmpty() ? List.of() : chain(chain);
        StringBuilder out = new StringBuilder(Pem.encodePrivateKey(key))
                .append('\n')
                .append('\n')
                .append(Pem.encodeCertificate(cert));
        if (!intermediates.isEmpty()) {
            out.append('\n').append('\n');
            for (X509Certificate c : intermediates) out.append(Pem.encodeCertificate(c));
        }
        return new UserCertificate(out.toString(), cert);
    }

    /** The text of the host's new {@code xapi-ssl.pem}. */
    public String bundle() {
        return bundle;
    }

    /** The host certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** Xapi's {@code validate_private_key}: its errors but the RSA length, checked by the caller. */
    private static PrivateKey key(String pem) {
        List<Pem.Block> blocks;
        try {
            blocks = Pem.blocks(pem);
        } catch (IllegalArgumentException e) {
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_INVALID);
        }
        if (blocks.size() != 1) throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_INVALID);
        Pem.Block b = blocks.get(0);
        try {
            switch (b.type()) {
                case Pem.PKCS1_RSA_KEY -> {
                    checkTwoPrimes(b.der());
                    return rsa(b);
                }
                case Pem.SEC1_EC_KEY -> {
                    ECPrivateKey ec = ECPrivateKey.getInstance(b.der());
                    String oid = ec.getParametersObject() instanceof ASN1ObjectIdentifier o ? o.getId() : "";
                    throw unsupported(CURVES.getOrDefault(oid, oid));
                }
                case Pem.PKCS8_KEY -> {
                    PrivateKeyInfo info = PrivateKeyInfo.getInstance(b.der());
                    String alg = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
                    if (alg.equals(PKCSObjectIdentifiers.rsaEncryption.getId())) {
                        checkTwoPrimes(info.getPrivateKey().getOctets());
                        return new JcaPEMKeyConverter().getPrivateKey(info);
                    }
                    if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey.getId())) {
                        var p = info.getPrivateKeyAlgorithm().getParameters();
                        String oid = p instanceof ASN1ObjectIdentifier o ? o.getId() : "";
                        throw unsupported(CURVES.getOrDefault(oid, oid));
                    }
                    throw unsupported(alg.equals(ED25519) ? "ED25519" : alg);
                }
                default -> throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_INVALID);
            }
        } catch (ApiError e) {
            throw e;
        } catch (Exception e) { // malformed ASN.1, a key the JDK cannot take
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_INVALID);
        }
    }

    private static ApiError unsupported(String keyType) {
        return new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_ALGORITHM_NOT_SUPPORTED, keyType);
    }

    /** A PKCS#1 RSAPrivateKey of version 1 carries more than two primes: refused as Xapi refuses it. */
    private static void checkTwoPrimes(byte[] pkcs1) {
        ASN1Sequence s = ASN1Sequence.getInstance(pkcs1);
        BigInteger version =
                org.bouncycastle.asn1.ASN1Integer.getInstance(s.getObjectAt(0)).getValue();
        if (!version.equals(BigInteger.ZERO) || s.size() > 9)
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_KEY_RSA_MULTI_NOT_SUPPORTED);
    }

    private static PrivateKey rsa(Pem.Block b) throws Exception {
        PrivateKeyInfo info = new PrivateKeyInfo(
                new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                        PKCSObjectIdentifiers.rsaEncryption, org.bouncycastle.asn1.DERNull.INSTANCE),
                org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(b.der()));
        return new JcaPEMKeyConverter().getPrivateKey(info);
    }

    private static List<X509Certificate> chain(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (Pem.Block b : Pem.blocks(pem)) {
                if (!b.type().equals(Pem.CERTIFICATE)) throw new IllegalArgumentException("not a certificate");
                out.add(Pem.parseCertificate(b.text()));
            }
        } catch (IllegalArgumentException e) {
            throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_CHAIN_INVALID);
        }
        if (out.isEmpty()) throw new ApiError(ErrorCodes.SERVER_CERTIFICATE_CHAIN_INVALID);
        return out;
    }

    /** Ptime's {@code to_rfc3339 ~tz_offset_s:0}: to the second, {@code Z}. */
    private static String rfc3339(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }
}
