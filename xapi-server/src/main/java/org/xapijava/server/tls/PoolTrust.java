package org.xapijava.server.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.xapijava.model.util.AtomicFiles;

/**
 * A host's trust in the other hosts of its pool, kept as Xapi keeps it for stunnel: a directory of PEM certificates
 * named {@code <host uuid>.pem} ({@code /etc/stunnel/certs-pool}) and the bundle of all of them
 * ({@code xapi-pool-ca-bundle.pem}), regenerated after every change; and the pool's CA certificates installed by
 * {@code pool.install_ca_certificate}, one {@code <name>} file each ({@code /etc/stunnel/certs}). The pool's
 * connections check a peer against the bundle ({@link #sslContext}): its certificate must be one of the bundle's,
 * byte for byte (stunnel's {@code verifyPeer}), whatever name or address it carries. Whether a check is made at all is
 * asked at each handshake, so that turning verification on or off applies to open clients. When verification is on,
 * a certificate of the peer's chain that an installed CRL revokes ({@link PoolCrls}, stunnel's {@code CRLpath}) is
 * refused too. Thread-safe.
 */
public final class PoolTrust {
    /** Xapi's rule for a CA certificate's name ({@code Certificates.is_cert_name_valid}-like: a plain file name). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final Path hostsDir;
    private final Path bundle;
    private final Path caDir;
    private final java.util.function.BooleanSupplier verify;
    private final PoolCrls crls;
    private volatile List<byte[]> trusted;

    /**
     * @param hostsDir the pool's host certificates ({@code <uuid>.pem})
     * @param bundle   the bundle file regenerated from them
     * @param caDir    the pool's CA certificates ({@code <name>})
     * @param verify   whether peers are checked now (Xapi's {@code verify-certificates} flag)
     * @param crls     the installed certificate revocation lists
     */
    public PoolTrust(Path hostsDir, Path bundle, Path caDir, java.util.function.BooleanSupplier verify, PoolCrls crls) {
        this.hostsDir = hostsDir;
        this.bundle = bundle;
        this.caDir = caDir;
        this.verify = verify;
        this.crls = crls;
        this.trusted = load();
    }

    /**
     * The certificate in {@code pem}, checked: exactly one certificate that parses.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static X509Certificate parse(String pem) {
        return Pem.parseCertificate(pem);
    }

    /**
     * Whether {@code name} is not a safe name for a CA certificate or CRL file, as Xapi's {@code Certificates.is_unsafe}
     * decides: empty, starting with a dot, not ending in {@code .pem}, or with a character other than letters, digits,
     * {@code .}, {@code _} and {@code -}.
     */
    public static boolean unsafeName(String name) {
        return name == null
                || name.isEmpty()
                || name.startsWith(".")
                || !name.endsWith(".pem")
                || !NAME.matcher(name).matches();
    }

    /** The installed certificate revocation lists. */
    public PoolCrls crls() {
        return crls;
    }

    /** The PEM text of {@code cert}. */
    public static String pem(X509Certificate cert) {
        return Pem.encodeCertificate(cert);
    }

    /** SHA-256 (or {@code algorithm}) fingerprint as Xapi shows it: upper-case hex octets separated by colons. */
    public static String fingerprint(X509Certificate cert, String algorithm) {
        try {
            byte[] d = MessageDigest.getInstance(algorithm).digest(cert.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Trusts host {@code uuid}'s certificate {@code pem} (replacing one it had), and regenerates the bundle. */
    public synchronized void putHost(String uuid, String pem) {
        X509Certificate c = parse(pem);
        write(hostsDir.resolve(fileOf(uuid)), pem(c));
        regenerate();
    }

    /** Trusts every {@code <uuid>.pem → PEM} of {@code files} (the pool's answer at join), and regenerates. */
    public synchronized void putHosts(Map<String, String> files) {
        for (Map.Entry<String, String> e : files.entrySet()) {
            if (!e.getKey().endsWith(".pem") || !NAME.matcher(e.getKey()).matches())
                throw new IllegalArgumentException("bad certificate file name " + e.getKey());
            write(hostsDir.resolve(e.getKey()), pem(parse(e.getValue())));
        }
        regenerate();
    }

    /** No longer trusts host {@code uuid} (it left the pool); false when it was not trusted. */
    public synchronized boolean removeHost(String uuid) {
        try {
            boolean gone = Files.deleteIfExists(hostsDir.resolve(fileOf(uuid)));
            regenerate();
            return gone;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trusts exactly {@code files} (a member takes its pool's whole store), and regenerates. */
    public synchronized void replaceHosts(Map<String, String> files) {
        Map<String, String> now = hosts();
        for (String f : now.keySet()) {
            if (!files.containsKey(f)) {
                try {
                    Files.deleteIfExists(hostsDir.resolve(f));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        putHosts(files);
    }

    /** The trusted host certificates: file name ({@code <uuid>.pem}) to PEM, in name order. */
    public Map<String, String> hosts() {
        return readDir(hostsDir, ".pem");
    }

    /** The pool's CA certificates: name to PEM, in name order. */
    public Map<String, String> cas() {
        return readDir(caDir, "");
    }

    /**
     * Installs CA certificate {@code pem} under {@code name}.
     *
     * @throws IllegalArgumentException when the name is not a plain file name
     */
    public synchronized void putCa(String name, String pem) {
        if (!NAME.matcher(name).matches() || name.startsWith(".")) throw new IllegalArgumentException(name);
        write(caDir.resolve(name), pem);
    }

    /** Removes CA certificate {@code name}; false when there is none. */
    public synchronized boolean removeCa(String name) {
        if (!NAME.matcher(name).matches() || name.startsWith(".")) return false;
        try {
            return Files.deleteIfExists(caDir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes the CA certificates exactly {@code files} (name to PEM): the master's copy of its own to a host. */
    public synchronized void replaceCas(Map<String, String> files) {
        for (String n : files.keySet())
            if (!NAME.matcher(n).matches() || n.startsWith(".")) throw new IllegalArgumentException(n);
        for (String n : cas().keySet()) if (!files.containsKey(n)) removeCa(n);
        files.forEach(this::putCa);
    }

    /**
     * Xapi's {@code Certificates.local_sync}: the bundle made again from the files of the store as they are now (one
     * put there or removed by hand included), and trusted from now on.
     */
    public synchronized void sync() {
        regenerate();
    }

    /** The bundle file (what Xapi's {@code pool_bundle_path} names). */
    public Path bundle() {
        return bundle;
    }

    /** Whether {@code cert} is one of the trusted host certificates. */
    public boolean trusts(X509Certificate cert) {
        byte[] der;
        try {
            der = cert.getEncoded();
        } catch (CertificateEncodingException e) {
            return false;
        }
        for (byte[] t : trusted) if (Arrays.equals(t, der)) return true;
        return false;
    }

    /**
     * A client TLS context for the pool's connections: when verification is on at the handshake, the server's
     * certificate must be one the bundle holds; when off, any is accepted (Xapi's stunnel without {@code verifyPeer}).
     * Each connection asks for the server name {@code pool}, which makes the other host serve its pool certificate
     * ({@link org.xapijava.model.util.ServerNameTls}).
     */
    public SSLContext sslContext() {
        return context(new PinningTrustManager(true));
    }

    /** A client TLS context that accepts any server (Xapi's unverified connection of a join's first phase). */
    public static SSLContext unverified() {
        return context(new PoolTrust(null, null, null, () -> false, null).new PinningTrustManager(false));
    }

    private static SSLContext context(TrustManager tm) {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[] {tm}, null);
            return org.xapijava.model.util.ServerNameTls.wrap(c, org.xapijava.model.util.ServerNameTls.POOL);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String fileOf(String uuid) {
        if (!NAME.matcher(uuid).matches()) throw new IllegalArgumentException("bad host uuid " + uuid);
        return uuid + ".pem";
    }

    private void regenerate() {
        StringBuilder all = new StringBuilder();
        for (String pem : hosts().values()) all.append(pem.endsWith("\n") ? pem : pem + "\n");
        write(bundle, all.toString());
        trusted = load();
    }

    private List<byte[]> load() {
        if (hostsDir == null) return List.of();
        return hosts().values().stream()
                .map(p -> {
                    try {
                        return parse(p).getEncoded();
                    } catch (CertificateEncodingException | IllegalArgumentException e) {
                        return new byte[0];
                    }
                })
                .toList();
    }

    /** The certificates that may have signed a CRL: the pool's CA certificates, its hosts', the peer's chain. */
    private List<X509Certificate> issuers(X509Certificate[] chain) {
        List<X509Certificate> out = new java.util.ArrayList<>();
        for (String pem : cas().values()) parseQuietly(pem, out);
        for (String pem : hosts().values()) parseQuietly(pem, out);
        out.addAll(Arrays.asList(chain));
        return out;
    }

    private static void parseQuietly(String pem, List<X509Certificate> into) {
        try {
            into.add(parse(pem));
        } catch (IllegalArgumentException e) {
            // a damaged file signs nothing
        }
    }

    private static Map<String, String> readDir(Path dir, String suffix) {
        Map<String, String> out = new TreeMap<>();
        if (dir == null || !Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.endsWith(AtomicFiles.TEMP_SUFFIX) || !n.endsWith(suffix) || !Files.isRegularFile(p)) continue;
                out.put(n, Files.readString(p, StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(AtomicFiles.directoryOf(file));
            AtomicFiles.write(file, text.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks a server's certificate against the bundle, by equality; never checks names (stunnel's verifyPeer). */
    private final class PinningTrustManager extends X509ExtendedTrustManager {
        private final boolean check;

        PinningTrustManager(boolean check) {
            this.check = check;
        }

        private void checkServer(X509Certificate[] chain) throws CertificateException {
            if (!check || !verify.getAsBoolean()) return;
            if (chain == null || chain.length == 0 || !trusts(chain[0]))
                throw new CertificateException("the peer's certificate is not in the pool's trusted bundle");
            chain[0].checkValidity();
            if (crls == null) return;
            for (X509Certificate c : chain) {
                if (crls.revoking(c, () -> issuers(chain)) != null)
                    throw new CertificateException(
                            "the peer's certificate " + c.getSerialNumber().toString(16) + " of "
                                    + c.getIssuerX500Principal() + " is revoked by an installed CRL");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not used by the pool");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
