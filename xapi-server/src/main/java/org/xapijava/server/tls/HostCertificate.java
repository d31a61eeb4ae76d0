package org.xapijava.server.tls;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.xapijava.model.util.AtomicFiles;

/**
 * The host's HTTPS server certificate: the PEM bundle Xapi keeps in {@code
 * /etc/xensource/xapi-ssl.pem} (private key, host certificate, optional chain), created at first
 * start when missing, like xen-api's {@code gencert} run by {@code gencert.service}.
 *
 * <p><b>Creation</b> ({@link #create}, or {@link #loadOrCreate} when the file is absent) follows
 * gencert: a fresh RSA 2048 key; a self-signed certificate ({@link SelfCert}) valid from now for
 * {@value SelfCert#VALID_FOR_DAYS} days, CN and subjectAltName chosen by {@link #dnsSubjects} and
 * {@link #commonName}; the file is the PKCS#8 key PEM, two newlines, the certificate PEM, written
 * atomically (temporary file in the same directory, mode 0400, fsync, rename, fsync of the
 * directory). Mode 0400 is what {@code gencert <path> -1 default} gives (no group).
 *
 * <p><b>Loading</b> accepts what Xapi accepts (see {@link Pem}): a PKCS#8 ({@code PRIVATE KEY}) or
 * PKCS#1 ({@code RSA PRIVATE KEY}) key, then one or more {@code CERTIFICATE}s; the key must belong to
 * the first certificate. Failures are {@link IOException}s whose message starts with {@code "Can't
 * process <path>: "}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class HostCertificate {
    /** Where Xapi keeps it ({@code Xapi_globs.server_cert_path}). */
    public static final Path DEFAULT_PATH = Path.of("/etc/xensource/xapi-ssl.pem");

    /** Alias of the key entry in {@link #keyStore}. */
    public static final String KEY_ALIAS = "xapi-ssl";

    /** The key store alias of the pool certificate ({@link #forPool}). */
    public static final String POOL_ALIAS = "xapi-pool-tls";

    private static final Pattern IPV4_LITERAL =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;
    private final String certificatePem;

    private HostCertificate(Path file, Pem.Bundle bundle) {
        this.file = file;
        this.privateKey = bundle.privateKey();
        this.chain = bundle.certificates();
        this.certificatePem = bundle.hostCertificatePem();
    }

    /**
     * Loads {@code pemFile} when it exists, otherwise creates it as {@link #create} does. An existing
     * file is never replaced, even when it is invalid (then this throws, as stunnel would fail).
     *
     * @param hostname this host's name ({@code gethostname}); first DNS subject and CN when usable
     * @param dnsNames further DNS names (Xapi: the canonical names the hostname resolves to)
     * @param ips the management interface's addresses, preferred address family first
     * @throws IOException when the file cannot be read or written or is not a valid bundle
     * @throws IllegalArgumentException when the file must be created and {@code ips} leaves no usable
     *     address
     */
    public static HostCertificate loadOrCreate(
            Path pemFile, String hostname, List<String> dnsNames, List<InetAddress> ips) throws IOException {
        if (Files.exists(pemFile)) {
            return load(pemFile);
        }
        return create(pemFile, hostname, dnsNames, ips);
    }

    /**
     * {@link #loadOrCreate} (or, with {@code fresh}, {@link #create}) for a host listening on {@code bind}: its
     * address (the loopback one for a wildcard) and the machine's host name as subjects.
     */
    public static HostCertificate forBind(Path pemFile, String bind, boolean fresh) throws IOException {
        InetAddress ip = InetAddress.getByName(bind);
        if (ip.isAnyLocalAddress()) ip = InetAddress.getLoopbackAddress();
        String hostname = InetAddress.getLocalHost().getHostName();
        return fresh
                ? create(pemFile, hostname, List.of(), List.of(ip))
                : loadOrCreate(pemFile, hostname, List.of(), List.of(ip));
    }

    /**
     * The certificate this host serves to the pool's other hosts (Xapi's {@code host_internal} one, gencert's {@code
     * xapi:pool}): loaded from {@code pemFile}, or (when absent, or {@code fresh}) a new key and self-signed
     * certificate whose subject is {@code CN=uuid}, without subjectAltName, written there.
     */
    public static HostCertificate forPool(Path pemFile, String uuid, boolean fresh) throws IOException {
        if (!fresh && Files.exists(pemFile)) return load(pemFile);
        KeyPair keys = SelfCert.generateKeyPair();
        Instant now = Instant.now();
        X509Certificate cert = SelfCert.selfSign(
                keys,
                uuid,
                List.of(),
                List.of(),
                now,
                now.plus(Duration.ofDays(SelfCert.VALID_FOR_DAYS)),
                SelfCert.randomSerial(RANDOM));
        return write(pemFile, keys, cert);
    }

    /** gencert's file: the key and certificate PEMs (each ending in a newline) joined with "\n\n". */
    private static HostCertificate write(Path pemFile, KeyPair keys, X509Certificate cert) throws IOException {
        String contents = Pem.encodePrivateKey(keys.getPrivate()) + "\n\n" + Pem.encodeCertificate(cert);
        Files.createDirectories(AtomicFiles.directoryOf(pemFile));
        AtomicFiles.write(pemFile, contents.getBytes(StandardCharsets.US_ASCII), AtomicFiles.OWNER_READ_ONLY);
        return new HostCertificate(pemFile, Pem.parseBundle(contents));
    }

    /**
     * Loads an existing bundle.
     *
     * @throws IOException "Can't process &lt;path&gt;: &lt;reason&gt;" when unreadable or invalid
     */
    public static HostCertificate load(Path pemFile) throws IOException {
        String text;
        try {
            text = Files.readString(pemFile, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IOException("Can't process " + pemFile + ": " + e, e);
        }
        try {
            return new HostCertificate(pemFile, Pem.parseBundle(text));
        } catch (IllegalArgumentException e) {
            throw new IOException("Can't process " + pemFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Generates a new key and self-signed certificate and (re)writes {@code pemFile} atomically, as
     * gencert does (also what {@code host.reset_server_certificate} needs). Parent directories are
     * created when missing.
     *
     * @param hostname see {@link #loadOrCreate}
     * @param dnsNames see {@link #loadOrCreate}
     * @param ips see {@link #loadOrCreate}; link-local addresses are dropped
     * @throws IllegalArgumentException when no non-link-local address remains (Xapi's gencert fails
     *     with "Management IP is missing")
     */
    public static HostCertificate create(Path pemFile, String hostname, List<String> dnsNames, List<InetAddress> ips)
            throws IOException {
        List<String> names = dnsSubjects(hostname, dnsNames);
        List<InetAddress> addrs =
                ips.stream().filter(a -> !a.isLinkLocalAddress()).toList();
        if (addrs.isEmpty()) {
            throw new IllegalArgumentException("Management IP is missing");
        }
        KeyPair keys = SelfCert.generateKeyPair();
        Instant now = Instant.now();
        X509Certificate cert = SelfCert.selfSign(
                keys,
                commonName(names, addrs),
                names,
                addrs,
                now,
                now.plus(Duration.ofDays(SelfCert.VALID_FOR_DAYS)),
                SelfCert.randomSerial(RANDOM));
        return write(pemFile, keys, cert);
    }

    /**
     * Xapi's DNS subjects ({@code Networking_info.dns_names}): {@code hostname} followed by {@code
     * others}, each trimmed, dropping empty names, {@code localhost} and IP literals, keeping the first
     * of duplicates.
     */
    public static List<String> dnsSubjects(String hostname, List<String> others) {
        List<String> all = new ArrayList<>();
        all.add(hostname == null ? "" : hostname);
        all.addAll(others);
        Set<String> out = new LinkedHashSet<>();
        for (String n : all) {
            String t = n == null ? "" : n.strip();
            if (t.isEmpty() || t.equals("localhost") || isIpLiteral(t)) {
                continue;
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    /**
     * Xapi's certificate CN: the first DNS subject, else the first (preferred) IP address in its
     * canonical text form (IPv6 per RFC 5952).
     *
     * @throws IllegalArgumentException when both lists are empty
     */
    public static String commonName(List<String> dnsSubjects, List<InetAddress> ips) {
        if (!dnsSubjects.isEmpty()) {
            return dnsSubjects.get(0);
        }
        if (ips.isEmpty()) {
            throw new IllegalArgumentException("Management IP is missing");
        }
        return ipText(ips.get(0));
    }

    private static boolean isIpLiteral(String s) {
        // Host names never contain ':'; anything with one is treated as an IPv6 literal.
        return s.indexOf(':') >= 0 || IPV4_LITERAL.matcher(s).matches();
    }

    /** Dotted quad for IPv4; RFC 5952 text (lower case, longest zero run as "::") for IPv6. */
    static String ipText(InetAddress ip) {
        if (ip instanceof Inet4Address) {
            return ip.getHostAddress();
        }
        if (!(ip instanceof Inet6Address)) {
            throw new IllegalArgumentException("unknown address type: " + ip);
        }
        byte[] b = ip.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** The file this was loaded from or written to. */
    public Path file() {
        return file;
    }

    /** The host (leaf) certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The host certificate followed by the chain certificates of the file, in file order. */
    public List<X509Certificate> chain() {
        return chain;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /**
     * The host certificate's PEM text exactly as it stands in the file, from {@code -----BEGIN
     * CERTIFICATE-----} to {@code -----END CERTIFICATE-----} inclusive, no final newline: what Xapi's
     * {@code host.get_server_certificate} returns.
     */
    public String certificatePem() {
        return certificatePem;
    }

    /**
     * SHA-256 of the certificate's DER as Xapi shows it in {@code Certificate.fingerprint_sha256} (and
     * {@code fingerprint}): upper-case hex octets separated by colons, e.g. {@code "3F:0A:…"}.
     */
    public String sha256Fingerprint() {
        return fingerprint("SHA-256");
    }

    /** SHA-1 fingerprint in the same format ({@code Certificate.fingerprint_sha1}). */
    public String sha1Fingerprint() {
        return fingerprint("SHA-1");
    }

    private String fingerprint(String algorithm) {
        return PoolTrust.fingerprint(certificate(), algorithm);
    }

    /**
     * A new in-memory PKCS#12 key store holding one key entry (alias {@link #KEY_ALIAS}) with the
     * private key and the chain, protected by {@code password} (store and key). The JDK only stores
     * chains linked by name, so the chain stops before the first file certificate whose subject is
     * not the issuer of the one before it.
     */
    public KeyStore keyStore(char[] password) {
        return keyStore(password, java.util.Map.of(KEY_ALIAS, this));
    }

    /** {@link #keyStore(char[])} with a key entry per alias, of the certificate mapped to it. */
    public static KeyStore keyStore(char[] password, java.util.Map<String, HostCertificate> byAlias) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, password);
            for (var e : byAlias.entrySet())
                ks.setKeyEntry(
                        e.getKey(),
                        e.getValue().privateKey,
                        password,
                        e.getValue().linkedChain());
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a PKCS12 key store", e);
        }
    }

    /** The chain as far as its certificates are linked by name (what the JDK's key store keeps). */
    private Certificate[] linkedChain() {
        List<X509Certificate> linked = new ArrayList<>();
        linked.add(chain.get(0));
        for (X509Certificate c : chain.subList(1, chain.size())) {
            X509Certificate last = linked.get(linked.size() - 1);
            if (!last.getIssuerX500Principal().equals(c.getSubjectX500Principal())) {
                break;
            }
            linked.add(c);
        }
        return linked.toArray(Certificate[]::new);
    }

    @Override
    public String toString() {
        return "HostCertificate["
                + file
                + ", "
                + certificate().getSubjectX500Principal().getName()
                + ", sha256="
                + sha256Fingerprint()
                + "]";
    }
}
