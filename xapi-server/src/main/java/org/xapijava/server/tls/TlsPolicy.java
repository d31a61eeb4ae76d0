package org.xapijava.server.tls;

import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The TLS policy of Xapi's HTTPS port, as xen-api configures stunnel for it ({@code
 * ocaml/xapi-consts/tls_policy.ml}, {@code ocaml/xapi/xapi_stunnel_server.ml}): {@code sslVersion =
 * TLSv1.2}, {@code ciphers = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256}, {@code curve
 * = secp384r1}, {@code options = CIPHER_SERVER_PREFERENCE}, applied to a Jetty server connector.
 *
 * <p>As stunnel's second service ({@code sni = xapi:pool}), a client asking for the server name {@code pool} (the
 * pool's other hosts, {@link PoolTrust#sslContext}) is served the pool certificate, any other the host's
 * certificate. Not reproduced: stunnel's {@code fips = yes} (when {@code CC_PREPARATIONS=true}) and client
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
        return sslContextFactory(cert, null);
    }

    /**
     * {@link #sslContextFactory(HostCertificate)} serving {@code pool} (when not null) to clients that ask for the
     * server name {@code pool} ({@link SniKeyManager}).
     */
    public static SslContextFactory.Server sslContextFactory(HostCertificate cert, HostCertificate pool) {
        SslContextFactory.Server f = new SslContextFactory.Server() {
            @Override
            public SSLParameters customize(SSLParameters params) {
                SSLParameters p = super.customize(params);
                p.setNamedGroups(NAMED_GROUPS.toArray(String[]::new));
                return p;
            }

            @Override
            protected KeyManager[] getKeyManagers(KeyStore keyStore) throws Exception {
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keyStore, getKeyStorePassword().toCharArray());
                for (KeyManager k : kmf.getKeyManagers()) {
                    if (k instanceof X509ExtendedKeyManager x) return new KeyManager[] {new SniKeyManager(x)};
                }
                throw new IllegalStateException("no X.509 key manager");
            }
        };
        useKeyStore(f, cert, pool);
        f.setIncludeProtocols(PROTOCOLS.toArray(String[]::new));
        f.setIncludeCipherSuites(CIPHER_SUITES.toArray(String[]::new));
        f.setUseCipherSuitesOrder(true);
        f.setNeedClientAuth(false);
        f.setWantClientAuth(false);
        f.setSniRequired(false);
        return f;
    }

    /**
     * Serves {@code cert}, and {@code pool} to the pool (when not null), from now on on {@code factory}'s new
     * connections (Xapi restarts stunnel).
     */
    public static void reload(SslContextFactory.Server factory, HostCertificate cert, HostCertificate pool)
            throws Exception {
        factory.reload(f -> useKeyStore(f, cert, pool));
    }

    /** The in-memory key store of {@code cert} and {@code pool}, under a new random password, as {@code f}'s. */
    private static void useKeyStore(SslContextFactory f, HostCertificate cert, HostCertificate pool) {
        byte[] pw = new byte[16];
        new SecureRandom().nextBytes(pw);
        String password = HexFormat.of().formatHex(pw);
        Map<String, HostCertificate> entries = new LinkedHashMap<>();
        entries.put(HostCertificate.KEY_ALIAS, cert);
        if (pool != null) entries.put(HostCertificate.POOL_ALIAS, pool);
        f.setKeyStore(HostCertificate.keyStore(password.toCharArray(), entries));
        f.setKeyStorePassword(password);
    }

    /** The server name the pool's hosts ask for (Xapi's stunnel client: {@code sni = pool}). */
    public static final String POOL_SERVER_NAME = org.xapijava.model.util.ServerNameTls.POOL;

    /**
     * Picks the key entry of a handshake: the pool certificate ({@link HostCertificate#POOL_ALIAS}) for a client that
     * asked for the server name {@link #POOL_SERVER_NAME} (when the store has it), the host certificate ({@link
     * HostCertificate#KEY_ALIAS}) for any other; only when its key suits the cipher suite.
     */
    static final class SniKeyManager extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager keys;

        SniKeyManager(X509ExtendedKeyManager keys) {
            this.keys = keys;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return choose(keyType, engine == null ? null : engine.getHandshakeSession());
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return choose(keyType, socket instanceof SSLSocket s ? s.getHandshakeSession() : null);
        }

        private String choose(String keyType, SSLSession handshake) {
            boolean pool = false;
            if (handshake instanceof ExtendedSSLSession e) {
                for (SNIServerName n : e.getRequestedServerNames()) {
                    pool |= n instanceof SNIHostName h && h.getAsciiName().equals(POOL_SERVER_NAME);
                }
            }
            String alias = pool && keys.getPrivateKey(HostCertificate.POOL_ALIAS) != null
                    ? HostCertificate.POOL_ALIAS
                    : HostCertificate.KEY_ALIAS;
            PrivateKey k = keys.getPrivateKey(alias);
            return k != null && k.getAlgorithm().equals(keyType) ? alias : null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return keys.getServerAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null; // a server: no client certificate
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
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
