package org.xapijava.server.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.util.AtomicFiles;

/**
 * The certificate revocation lists of a host, kept as Xapi keeps them for stunnel's {@code CRLpath}: one PEM file per
 * name in one directory ({@code /etc/stunnel/crls}), written by {@code pool.crl_install} on every host of the pool.
 * The parsed lists are held in memory for {@link PoolTrust}'s handshakes ({@link #revoking}). Thread-safe.
 */
public final class PoolCrls {
    private static final Logger LOG = LoggerFactory.getLogger(PoolCrls.class);

    private final Path dir;
    private volatile List<X509CRL> loaded;

    /** @param dir the directory of the CRLs (null: none, nothing revoked) */
    public PoolCrls(Path dir) {
        this.dir = dir;
        this.loaded = load();
    }

    /**
     * The one CRL of {@code pem}.
     *
     * @throws IllegalArgumentException when the text is not exactly one CRL that parses
     */
    public static X509CRL parse(String pem) {
        Collection<? extends CRL> all;
        try {
            all = CertificateFactory.getInstance("X.509")
                    .generateCRLs(new ByteArrayInputStream(pem.getBytes(StandardCharsets.ISO_8859_1)));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("invalid CRL: " + e.getMessage());
        }
        if (all.size() != 1) throw new IllegalArgumentException("expected exactly one CRL, found " + all.size());
        return (X509CRL) all.iterator().next();
    }

    /** The installed CRLs: name to PEM text, in name order. */
    public Map<String, String> all() {
        Map<String, String> out = new TreeMap<>();
        if (dir == null || !Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.endsWith(AtomicFiles.TEMP_SUFFIX) || !Files.isRegularFile(p)) continue;
                out.put(n, Files.readString(p, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Whether a CRL is installed under {@code name} (a name {@link PoolTrust#unsafeName} accepts). */
    public boolean has(String name) {
        return all().containsKey(name);
    }

    /**
     * Installs {@code pem} under {@code name} (replacing one of that name).
     *
     * @throws IllegalArgumentException when the name is unsafe or the text is not one CRL
     */
    public synchronized void put(String name, String pem) {
        if (PoolTrust.unsafeName(name)) throw new IllegalArgumentException("bad CRL name " + name);
        parse(pem);
        write(name, pem);
        loaded = load();
    }

    /** Removes CRL {@code name}; false when there is none. */
    public synchronized boolean remove(String name) {
        if (PoolTrust.unsafeName(name) || dir == null) return false;
        try {
            boolean gone = Files.deleteIfExists(dir.resolve(name));
            loaded = load();
            return gone;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Holds exactly {@code crls} (name to PEM): the master's whole set (Xapi's copy with erasure of the old). */
    public synchronized void replaceAll(Map<String, String> crls) {
        for (String n : all().keySet()) {
            if (crls.containsKey(n)) continue;
            try {
                Files.deleteIfExists(dir.resolve(n));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (Map.Entry<String, String> e : crls.entrySet()) {
            if (PoolTrust.unsafeName(e.getKey())) throw new IllegalArgumentException("bad CRL name " + e.getKey());
            write(e.getKey(), e.getValue());
        }
        loaded = load();
    }

    /**
     * The installed CRL that revokes {@code cert}, or null: one of its issuer's name, whose signature is checked with
     * the key of one of {@code issuers} of that name (a CRL no known issuer signed is ignored), listing the
     * certificate's serial number. {@code issuers} is asked only when a CRL of that issuer is installed.
     */
    public X509CRL revoking(X509Certificate cert, Supplier<List<X509Certificate>> issuers) {
        List<X509CRL> mine = new ArrayList<>();
        for (X509CRL crl : loaded)
            if (crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) mine.add(crl);
        if (mine.isEmpty()) return null;
        List<X509Certificate> known = issuers.get();
        for (X509CRL crl : mine) {
            if (!crl.isRevoked(cert)) continue;
            for (X509Certificate ca : known) {
                if (!ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) continue;
                try {
                    crl.verify(ca.getPublicKey());
                    return crl;
                } catch (GeneralSecurityException e) {
                    LOG.debug(
                            "a CRL of {} is not signed by this issuer: {}", crl.getIssuerX500Principal(), e.toString());
                }
            }
            LOG.warn(
                    "a CRL of {} lists the peer's certificate but no known issuer signed it",
                    crl.getIssuerX500Principal());
        }
        return null;
    }

    private List<X509CRL> load() {
        List<X509CRL> out = new ArrayList<>();
        for (Map.Entry<String, String> e : all().entrySet()) {
            try {
                out.add(parse(e.getValue()));
            } catch (IllegalArgumentException x) {
                LOG.warn("CRL {} is unreadable and not used: {}", e.getKey(), x.getMessage());
            }
        }
        return List.copyOf(out);
    }

    private void write(String name, String pem) {
        try {
            Files.createDirectories(dir);
            AtomicFiles.write(dir.resolve(name), pem.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
