package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.xapijava.model.util.AtomicFiles;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.tls.PoolTrust;

/**
 * How this host reaches the other hosts of its pool: over HTTPS on the pool's HTTPS port, checking the peer against
 * the pool's trusted certificates ({@link PoolTrust}) while verification is on (Xapi's {@code verify-certificates}
 * flag file), as Xapi's stunnel client does. A host without a fixed HTTPS port ({@code https-port} 0 or -1: tests that
 * run hosts on random or no HTTPS ports) cannot be reached at a port every host shares, and talks plain HTTP on the
 * pool's HTTP port as before. Thread-safe; one per host start.
 */
public final class PoolTls {
    private final int httpPort;
    private final int httpsPort;
    private final Path verifyFlag;
    private final PoolTrust trust;
    private final SSLContext context;

    private PoolTls(int httpPort, int httpsPort, Path verifyFlag, PoolTrust trust) {
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
        this.verifyFlag = verifyFlag;
        this.trust = trust;
        this.context = httpsPort > 0 ? trust.sslContext() : null;
    }

    /**
     * This host's pool transport from its configuration. On a host's first start (its certificate not created yet),
     * verification is turned on, as a fresh Xapi installation has it.
     */
    public static PoolTls of(XapiConfig config) {
        Path flag = config.path("verify-certificates");
        if (!Files.exists(config.path("server-cert")) && !Files.exists(config.path("state-db"))) {
            try {
                Files.createDirectories(AtomicFiles.directoryOf(flag));
                if (!Files.exists(flag)) Files.createFile(flag);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        PoolTrust trust = new PoolTrust(
                config.path("certs-pool-dir"),
                config.path("pool-bundle"),
                config.path("certs-ca-dir"),
                () -> Files.exists(flag),
                new org.xapijava.server.tls.PoolCrls(config.path("crls-dir")));
        return new PoolTls(config.integer("http-port"), config.integer("https-port"), flag, trust);
    }

    /** Whether the pool's traffic goes over HTTPS (this host has a fixed HTTPS port). */
    public boolean enabled() {
        return context != null;
    }

    /** Whether peers are verified now ({@code verify-certificates} exists). */
    public boolean verifying() {
        return Files.exists(verifyFlag);
    }

    /** Turns verification on or off (Xapi touches or removes its flag file). */
    public void setVerifying(boolean on) {
        try {
            if (on) {
                Files.createDirectories(AtomicFiles.directoryOf(verifyFlag));
                if (!Files.exists(verifyFlag)) Files.createFile(verifyFlag);
            } else {
                Files.deleteIfExists(verifyFlag);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The HTTPS port every host of the pool answers on (meaningful when {@link #enabled()}). */
    public int httpsPort() {
        return httpsPort;
    }

    public PoolTrust trust() {
        return trust;
    }

    /** The TLS context of the pool's connections, or null for plain HTTP. */
    public SSLContext context() {
        return context;
    }

    /** The TLS context of a join's first phase (nothing known of the pool yet), or null for plain HTTP. */
    public SSLContext unverifiedContext() {
        return context == null ? null : PoolTrust.unverified();
    }

    /** The base URI of the host at {@code address}: {@code https://address:httpsPort/} or the HTTP one. */
    public URI uri(String address) {
        String h = address.contains(":") ? "[" + address + "]" : address;
        return context == null
                ? URI.create("http://" + h + ":" + httpPort + "/")
                : URI.create("https://" + h + ":" + httpsPort + "/");
    }
}
