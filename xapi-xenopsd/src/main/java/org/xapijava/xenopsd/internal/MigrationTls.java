package org.xapijava.xenopsd.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS of a migration's connection to the destination host (Xapi's xenopsd goes through stunnel, with
 * {@code verify_dest} checked against the pool's bundle, {@code /etc/stunnel/xapi-pool-ca-bundle.pem}): with
 * verification the destination's certificate must be, byte for byte, one of the bundle's and within its validity
 * dates (no name or address check, as stunnel's pool client); without it (a move to another pool) any certificate is
 * taken. The bundle is read when the context is made, so a migration sees the pool's trust as it is then. With
 * verification the connection asks for the server name {@code pool}, which makes the destination serve its pool
 * certificate (the one the bundle holds).
 */
public final class MigrationTls {
    private MigrationTls() {}

    /**
     * A client context checking the peer against the certificates in {@code bundle} (PEM) when {@code verify}.
     *
     * @throws IllegalStateException when verification is asked and the bundle cannot be read
     */
    public static SSLContext context(boolean verify, Path bundle) {
        List<X509Certificate> trusted = verify ? read(bundle) : null;
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[] {new Pinned(trusted)}, new SecureRandom());
            // within the pool, ask for the destination's pool certificate, as stunnel's pool client does
            return verify
                    ? org.xapijava.model.util.ServerNameTls.wrap(c, org.xapijava.model.util.ServerNameTls.POOL)
                    : c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the migration's TLS context: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> read(Path bundle) {
        if (bundle == null) throw new IllegalStateException("no pool certificate bundle is configured to verify with");
        try (InputStream in = Files.newInputStream(bundle)) {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) out.add((X509Certificate) c);
            return out;
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException(
                    "cannot read the pool certificate bundle " + bundle + ": " + e.getMessage(), e);
        }
    }

    /** Pins the server's certificate to the bundle (null: takes any); an extended manager, so no host name check. */
    private static final class Pinned extends X509ExtendedTrustManager {
        private final List<X509Certificate> trusted;

        Pinned(List<X509Certificate> trusted) {
            this.trusted = trusted;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (trusted == null) return;
            if (chain == null || chain.length == 0)
                throw new CertificateException("the destination sent no certificate");
            byte[] leaf = chain[0].getEncoded();
            for (X509Certificate t : trusted) {
                if (Arrays.equals(leaf, t.getEncoded())) {
                    chain[0].checkValidity();
                    return;
                }
            }
            throw new CertificateException(
                    "the destination's certificate is not one of the pool's: " + chain[0].getSubjectX500Principal());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client context");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a client context");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a client context");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
