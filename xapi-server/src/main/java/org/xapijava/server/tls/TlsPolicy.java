package org.xapijava.server.tls;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLParameters;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The TLS policy of Xapi's HTTPS port, as xen-api configures stunnel for it ({@code
 * ocaml/xapi-consts/tls_policy.ml}, {@code ocaml/xapi/xapi_stunnel_server.ml}): {@code sslVersion =
 * TLSv1.2}, {@code ciphers = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256}, {@code curve
 * = secp384r1}, {@code options = CIPHER_SERVER_PREFERENCE}, applied to a Jetty server connector.
 *
 * <p>Not reproduced: stunnel's {@code fips = yes} (when {@code CC_PREPARATIONS=true}), the second
 * service answering SNI {@code xapi:pool} with the pool-internal certificate, and client
 * certificate authentication.
 */
public final class TlsPolicy {
    /** stunnel {@code sslVersion = TLSv1.2}: exactly TLS 1.2, no TLS 1.3. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.2");

    /** The two OpenSSL suites of Xapi's policy under their IANA (JDK) names, preferred first. */
    public static final List<String> CIPHER_SUITES =
            List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

    /** stunnel {@code curve = secp384r1}: the only ECDHE group offered. */
    public static final List<String> NAMED_GROUPS = List.of("secp384r1");

    private TlsPolicy() {}

    /**
     * A Jetty server-side TLS factory serving {@code cert} (key and chain) under Xapi's policy:
     * protocols {@link #PROTOCOLS}, cipher suites {@link #CIPHER_SUITES} in server order, key exchange
     * groups {@link #NAMED_GROUPS}, no client certificate requested, SNI not required. The key store
     * lives in memory only, under a random password. The factory is not started; the connector that
     * uses it starts it.
     */
    public static SslContextFactory.Server sslContextFactory(HostCertificate cert) {
        SslContextFactory.Server f = new SslContextFactory.Server() {
            @Override
            public SSLParameters customize(SSLParameters params) {
                SSLParameters p = super.customize(params);
                p.setNamedGroups(NAMED_GROUPS.toArray(String[]::new));
                return p;
            }
        };
        useKeyStore(f, cert);
        f.setCertAlias(HostCertificate.KEY_ALIAS);
        f.setIncludeProtocols(PROTOCOLS.toArray(String[]::new));
        f.setIncludeCipherSuites(CIPHER_SUITES.toArray(String[]::new));
        f.setUseCipherSuitesOrder(true);
        f.setNeedClientAuth(false);
        f.setWantClientAuth(false);
        f.setSniRequired(false);
        return f;
    }

    /** Serves {@code cert} from now on on {@code factory}'s new connections (Xapi restarts stunnel). */
    public static void reload(SslContextFactory.Server factory, HostCertificate cert) throws Exception {
        factory.reload(f -> useKeyStore(f, cert));
    }

    /** {@code cert}'s in-memory key store, under a new random password, as {@code f}'s. */
    private static void useKeyStore(SslContextFactory f, HostCertificate cert) {
        byte[] pw = new byte[16];
        new SecureRandom().nextBytes(pw);
        String password = HexFormat.of().formatHex(pw);
        f.setKeyStore(cert.keyStore(password.toCharArray()));
        f.setKeyStorePassword(password);
    }

    /**
     * The request customizer to put in the HTTPS connector's {@code HttpConfiguration}: it marks
     * requests secure like Jetty's default, but does not reject a request whose SNI name is not in
     * the certificate (Jetty's default does, with 400) and sends no HSTS header, because stunnel in
     * front of Xapi does neither.
     */
    public static SecureRequestCustomizer secureRequestCustomizer() {
        SecureRequestCustomizer c = new SecureRequestCustomizer(false);
        c.setSniHostCheck(false);
        c.setStsMaxAge(-1);
        return c;
    }
}
