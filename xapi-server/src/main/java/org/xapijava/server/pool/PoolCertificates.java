package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.api.Certificate;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.forward.HostClients;
import org.xapijava.server.tls.HostCertificate;
import org.xapijava.server.tls.PoolTrust;
import org.xapijava.server.tls.UserCertificate;

/**
 * The pool's certificates as Xapi keeps them ({@code cert_distrib.ml}, {@code certificates.ml}): each host's own
 * certificate in every host's trust store ({@link PoolTrust}), {@code Certificate} records of type {@code host} and
 * {@code host_internal} for it, the pool's CA certificates; {@code pool.exchange_certificates_on_join},
 * {@code pool.enable_tls_verification}, {@code pool.certificate_*} / {@code *_ca_certificate},
 * {@code host.get_server_certificate}, {@code host.install_server_certificate}, {@code host.emergency_disable/reenable_tls_verification} and the master's
 * distribution call {@code host.cert_distrib_atom} (its command a JSON object of ours, not Xapi's rpc form); the CRLs and the host halves of the CA certificate calls
 * are {@link CrlCalls}'. A host serves two certificates, as Xapi's stunnel: its {@code server-cert} to clients (the
 * {@code host} record; {@code host.reset_server_certificate}, {@code install_server_certificate}) and its {@code
 * pool-cert} to the pool's other hosts, which ask for the server name {@code pool} (the {@code host_internal} record,
 * the one every host trusts; {@code host.refresh_server_certificate}). Thread-safe.
 */
public final class PoolCertificates implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(PoolCertificates.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String HOST = org.xapijava.model.api.enums.CertificateType.HOST.wire();
    static final String HOST_INTERNAL = org.xapijava.model.api.enums.CertificateType.HOST_INTERNAL.wire();
    static final String CA = org.xapijava.model.api.enums.CertificateType.CA.wire();

    private final Db db;
    private final String me;
    private final String pool;
    private final PoolTls tls;
    private final Path serverCert;
    private final Path poolCert;
    private final String bind;
    /** This host's HTTPS connector (null: none), its calls to its master (null on the master), the master's address. */
    private java.util.function.Supplier<org.eclipse.jetty.server.ServerConnector> https = () -> null;

    private java.util.function.Supplier<PeerCalls> peers = () -> null;
    private String masterAddress = "";
    private final boolean master;
    /** The master's clients of its members (null on a member). */
    private final HostClients hosts;

    private final CrlCalls crls;

    public PoolCertificates(
            Db db,
            String me,
            String pool,
            PoolTls tls,
            org.xapijava.server.config.XapiConfig config,
            boolean master,
            HostClients hosts) {
        this.db = db;
        this.me = me;
        this.pool = pool;
        this.tls = tls;
        this.serverCert = config.path("server-cert");
        this.poolCert = config.path("pool-cert");
        this.bind = config.get("bind");
        this.master = master;
        this.hosts = hosts;
        this.crls = new CrlCalls(tls, this::copyCrlsToAll);
    }

    /** Where a new certificate is served and, on a member, how it reaches the master. */
    public void serving(
            java.util.function.Supplier<org.eclipse.jetty.server.ServerConnector> https,
            java.util.function.Supplier<PeerCalls> peers,
            String masterAddress) {
        this.https = https;
        this.peers = peers;
        this.masterAddress = masterAddress;
    }

    /**
     * {@code host.reset_server_certificate} on this host: a new key and self-signed certificate for its clients,
     * written, served on new connections, its {@code host} record replaced (the pool trusts the pool certificate,
     * which does not change).
     */
    private synchronized void resetServer() {
        HostCertificate c = fresh();
        serve(c, ownPool());
        record(me, HOST, c.certificate());
        LOG.info("this host's server certificate was reset: {}", c.sha256Fingerprint());
    }

    /**
     * {@code host.refresh_server_certificate} on this host (Xapi's {@code Cert_refresh.host ~type':`host_internal}):
     * a new pool certificate written, sent to the pool (through the master, which distributes it) so that every host
     * trusts it, then served to the pool on new connections, and the {@code host_internal} record replaced.
     */
    private synchronized void refreshPool() {
        if (https.get() == null) throw ApiError.internal("this host has no HTTPS server certificate");
        HostCertificate c;
        try {
            c = HostCertificate.forPool(poolCert, db.get(me, Host.UUID), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        adopt(c);
        LOG.info("this host's pool certificate was refreshed");
    }

    /**
     * {@code host.install_server_certificate} on this host (Xapi's, HA_IS_ENABLED first): the user's certificate,
     * key and chain checked ({@link UserCertificate}: nothing changes on a refusal), written as this host's
     * {@code server-cert}, served on new connections; its {@code host} record replaced.
     */
    private synchronized void install(String certificate, String privateKey, String chain) {
        if (db.get(pool, Pool.HA_ENABLED)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
        if (https.get() == null) throw ApiError.internal("this host has no HTTPS server certificate");
        UserCertificate user = UserCertificate.check(certificate, privateKey, chain, java.time.Instant.now());
        HostCertificate c;
        try {
            java.nio.file.Files.createDirectories(org.xapijava.model.util.AtomicFiles.directoryOf(serverCert));
            org.xapijava.model.util.AtomicFiles.write(
                    serverCert,
                    user.bundle().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    org.xapijava.model.util.AtomicFiles.OWNER_READ_ONLY);
            c = HostCertificate.load(serverCert);
        } catch (IOException e) {
            throw ApiError.internal(e.getMessage());
        }
        serve(c, ownPool());
        record(me, HOST, c.certificate());
        LOG.info(
                "this host serves the certificate installed by the user: {}",
                c.certificate().getSubjectX500Principal());
    }

    /**
     * {@code fresh}, just written as this host's pool certificate: trusted by the pool (written on every host, as
     * Xapi's {@code distribute_new_host_cert}: by the master directly, by a member through the master's {@code
     * host.cert_distrib_atom}, which takes no pool operation while {@code cert_refresh} holds the pool), served,
     * recorded.
     */
    private void adopt(HostCertificate fresh) {
        String uuid = db.get(me, Host.UUID);
        String write = command("write", Map.of("certs", Map.of(uuid + ".pem", fresh.certificatePem())));
        tls.trust().putHost(uuid, fresh.certificatePem());
        PeerCalls toMaster = peers.get();
        if (master) {
            distribute(null, write);
        } else if (toMaster != null && tls.enabled()) {
            for (String h : db.all(Host.XAPI_CLASS)) {
                if (!h.equals(me)) toMaster.on(masterAddress, api -> api.host().certDistribAtom(h, write));
            }
        }
        serve(ownServer(), fresh);
        record(me, HOST_INTERNAL, fresh.certificate());
        LOG.info("this host's pool certificate is now {}", fresh.sha256Fingerprint());
    }

    /** A new key and self-signed certificate written to {@code server-cert} (not served yet). */
    private HostCertificate fresh() {
        if (https.get() == null) throw ApiError.internal("this host has no HTTPS server certificate");
        try {
            return HostCertificate.forBind(serverCert, bind, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves {@code cert}, and {@code pool} to the pool, on the HTTPS connector's new connections (Xapi restarts stunnel). */
    private void serve(HostCertificate cert, HostCertificate pool) {
        try {
            org.eclipse.jetty.server.SslConnectionFactory f =
                    https.get().getConnectionFactory(org.eclipse.jetty.server.SslConnectionFactory.class);
            org.xapijava.server.tls.TlsPolicy.reload(f.getSslContextFactory(), cert, pool);
        } catch (Exception e) {
            throw ApiError.internal("cannot serve the new certificate: " + e.getMessage());
        }
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new PoolCalls());
        HostApi.bind(table, new HostCalls());
        crls.bind(table);
    }

    /** The pool's certificate revocation lists (for {@code pool.join}). */
    CrlCalls crls() {
        return crls;
    }

    /**
     * On the master, its CRLs copied to every other host, their old ones erased (Xapi's {@code copy_certs_to_all}),
     * then its connections to them made anew.
     */
    private void copyCrlsToAll() {
        if (!master) return;
        distribute(null, command("crls", Map.of("crls", tls.trust().crls().all())));
        if (hosts != null) hosts.reconnect(); // a member's certificate is checked against the new CRLs
    }

    /** This host's pool certificate (the one its peers trust), or null when it has none (no HTTPS). */
    private HostCertificate ownPool() {
        return loadIfThere(poolCert);
    }

    /** This host's server certificate (its clients'), or null when it has none (no HTTPS). */
    private HostCertificate ownServer() {
        return loadIfThere(serverCert);
    }

    private static HostCertificate loadIfThere(Path file) {
        try {
            return java.nio.file.Files.exists(file) ? HostCertificate.load(file) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * At start, once the HTTPS connector made this host's certificates: its pool certificate in this host's own trust
     * store, its {@code host} and {@code host_internal} records in the database (stale ones of this host removed),
     * {@code host.tls_verification_enabled} from the flag file, and on a master alone in its pool the pool's flag too.
     */
    public void syncAtStart() {
        HostCertificate c = ownPool();
        HostCertificate server = ownServer();
        if (c == null || server == null) return;
        String uuid = db.get(me, Host.UUID);
        tls.trust().putHost(uuid, c.certificatePem());
        record(me, HOST, server.certificate());
        record(me, HOST_INTERNAL, c.certificate());
        db.set(me, Host.TLS_VERIFICATION_ENABLED, tls.verifying());
        if (master && db.all(Host.XAPI_CLASS).size() == 1) db.set(pool, Pool.TLS_VERIFICATION_ENABLED, tls.verifying());
    }

    /**
     * On a member at start: sends its certificate to the master and trusts the pool's answer (Xapi's
     * {@code certificates_sync} and its "missing certificates" check, done once per start here).
     */
    public void syncWithMaster(PeerCalls peers, String masterAddress) {
        HostCertificate c = ownPool();
        if (c == null || !tls.enabled()) return;
        String uuid = db.get(me, Host.UUID);
        try {
            Map<String, String> all =
                    peers.on(masterAddress, api -> api.pool().exchangeCertificatesOnJoin(uuid, c.certificatePem()));
            tls.trust().putHosts(all);
        } catch (RuntimeException e) {
            LOG.warn("certificate sync with the master at {} failed: {}", masterAddress, e.getMessage());
        }
    }

    /**
     * On the joining host, in the join's first phase: sends this host's certificate to the pool, checks the master's
     * is in the answer ({@code POOL_JOINING_MASTER_CERTIFICATE_NOT_IN_POOL_BUNDLE [uuid]} otherwise) and trusts the
     * pool's certificates. Nothing is done without HTTPS.
     */
    void exchangeOnJoin(org.xapijava.model.client.XenApi remote) {
        HostCertificate c = ownPool();
        if (c == null || !tls.enabled()) return;
        Map<String, String> all = remote.pool().exchangeCertificatesOnJoin(db.get(me, Host.UUID), c.certificatePem());
        String masterUuid = remote.host()
                .getUuid(remote.pool().getMaster(remote.pool().getAll().get(0)));
        if (!all.containsKey(masterUuid + ".pem")) {
            LOG.error("pool.join: the master's certificate {}.pem is not in the pool's bundle", masterUuid);
            throw new ApiError(ErrorCodes.POOL_JOINING_MASTER_CERTIFICATE_NOT_IN_POOL_BUNDLE, masterUuid);
        }
        tls.trust().putHosts(all);
    }

    /**
     * On the joining host, in the join's second phase (Xapi's {@code exchange_legacy_ca_certificates}): the named CA
     * certificates ({@code ca} records with a name, {@code pool.install_ca_certificate}'s) this host has and the pool
     * lacks go to the pool with {@code pool.exchange_ca_certificates_on_join}, which answers those it has and this host
     * lacks; they are written here (the pool's database, which this host takes at its restart, has their records).
     */
    void exchangeCasOnJoin(org.xapijava.model.client.XenApi remote) {
        String expr = "field \"" + Certificate.TYPE.name() + "\"=\"" + CA + "\"";
        Map<String, String> remoteNames = new LinkedHashMap<>(); // name -> ref
        remote.certificate().getAllRecordsWhere(expr).forEach((ref, r) -> {
            if (r.get(Certificate.NAME.name()) instanceof String n && !n.isEmpty()) remoteNames.put(n, ref);
        });
        Map<String, String> cas = tls.trust().cas();
        java.util.Collection<String> localNames = caRecords().values();
        Map<String, String> toPool = new LinkedHashMap<>();
        for (String n : localNames) {
            if (!n.isEmpty() && !remoteNames.containsKey(n) && cas.containsKey(n)) toPool.put(n, cas.get(n));
        }
        List<String> fromPool = remoteNames.entrySet().stream()
                .filter(e -> !localNames.contains(e.getKey()))
                .map(Map.Entry::getValue)
                .toList();
        if (toPool.isEmpty() && fromPool.isEmpty()) return;
        Map<String, String> got = remote.pool().exchangeCaCertificatesOnJoin(toPool, fromPool);
        got.forEach((name, pem) -> {
            if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CERTIFICATE_NAME_INVALID, name);
            tls.trust().putCa(name, PoolTrust.pem(parseCa(pem)));
        });
        LOG.info("pool.join: {} CA certificate(s) sent to the pool, {} received", toPool.size(), got.size());
    }

    /** The record of type {@code type} ({@code host} or {@code host_internal}) of {@code host}'s {@code cert}, replacing stale ones. */
    private void record(String host, String type, X509Certificate cert) {
        String fp = PoolTrust.fingerprint(cert, "SHA-256");
        boolean have = false;
        for (String ref : db.where(Certificate.HOST, host)) {
            if (!db.get(ref, Certificate.TYPE).equals(type)) continue;
            if (db.get(ref, Certificate.FINGERPRINT).equals(fp) && !have) have = true;
            else db.delete(Certificate.XAPI_CLASS, ref);
        }
        if (!have) db.create(row(type, "", host, cert));
    }

    private static FieldValues row(String type, String name, String host, X509Certificate cert) {
        return FieldValues.of(Certificate.XAPI_CLASS)
                .with(Certificate.UUID, java.util.UUID.randomUUID().toString())
                .with(Certificate.NAME, name)
                .with(Certificate.TYPE, type)
                .with(Certificate.HOST, host)
                .with(
                        Certificate.NOT_BEFORE,
                        DateTime.ofInstant(cert.getNotBefore().toInstant()))
                .with(
                        Certificate.NOT_AFTER,
                        DateTime.ofInstant(cert.getNotAfter().toInstant()))
                .with(Certificate.FINGERPRINT, PoolTrust.fingerprint(cert, "SHA-256"));
    }

    /** On the master, {@code host} left the pool: its records go, and this host stops trusting it. */
    public void forget(String host) {
        for (String ref : db.where(Certificate.HOST, host)) db.delete(Certificate.XAPI_CLASS, ref);
        untrust(host);
    }

    /** This host stops trusting {@code host}'s certificate (it left the pool). */
    public void untrust(String host) {
        tls.trust().removeHost(db.get(host, Host.UUID));
    }

    /** This host left its pool: it trusts its own certificate only, as a fresh host. */
    public void trustOnlySelf() {
        HostCertificate c = ownPool();
        String file = db.get(me, Host.UUID) + ".pem";
        tls.trust().replaceHosts(c == null ? Map.of() : Map.of(file, c.certificatePem()));
    }

    private static String command(String op, Map<String, Object> args) {
        ObjectNode n = JSON.createObjectNode().put("op", op);
        n.set("args", JSON.valueToTree(args));
        return n.toString();
    }

    /** Runs {@code command} on every other host but {@code except}, best effort (logged), as Xapi distributes. */
    private void distribute(String except, String command) {
        if (hosts == null) return;
        for (String h : db.all(Host.XAPI_CLASS)) {
            if (h.equals(me) || h.equals(except)) continue;
            try {
                hosts.call(h, "host.cert_distrib_atom", List.of(h, command), null);
            } catch (RuntimeException e) {
                LOG.warn("certificate distribution to {} failed: {}", h, e.getMessage());
            }
        }
    }

    private static X509Certificate parseCa(String pem) {
        X509Certificate c;
        try {
            c = PoolTrust.parse(pem);
        } catch (IllegalArgumentException e) {
            throw new ApiError(ErrorCodes.CA_CERTIFICATE_INVALID, e.getMessage());
        }
        try {
            c.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new ApiError(
                    ErrorCodes.CA_CERTIFICATE_EXPIRED,
                    DateTime.ofInstant(c.getNotAfter().toInstant()).toString());
        } catch (CertificateNotYetValidException e) {
            throw new ApiError(
                    ErrorCodes.CA_CERTIFICATE_NOT_VALID_YET,
                    DateTime.ofInstant(c.getNotBefore().toInstant()).toString());
        }
        return c;
    }

    private final class PoolCalls implements PoolApi {
        /**
         * On the master, for a joiner ({@code exchange_ca_certificates_with_joiner}): its CA certificates installed
         * (written, the bundle made again, a {@code ca} record each; here also sent to every host, as
         * {@code install_ca_certificate} does), and the certificates of the {@code ca} records asked for returned by
         * name.
         */
        @Override
        public Map<String, String> exchangeCaCertificatesOnJoin(
                CallContext ctx, Map<String, String> import_, List<String> export) {
            for (Map.Entry<String, String> e : import_.entrySet()) {
                String name = e.getKey();
                if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CERTIFICATE_NAME_INVALID, name);
                X509Certificate c = parseCa(e.getValue());
                storeCa(name, c, !caRecords().containsValue(name));
            }
            Map<String, String> cas = tls.trust().cas();
            Map<String, String> out = new LinkedHashMap<>();
            for (String ref : export) {
                if (!db.exists(Certificate.XAPI_CLASS, ref)) continue;
                String name = db.get(ref, Certificate.NAME);
                if (cas.containsKey(name)) out.put(name, cas.get(name));
            }
            return out;
        }

        @Override
        public Map<String, String> exchangeCertificatesOnJoin(CallContext ctx, String uuid, String certificate) {
            X509Certificate c;
            try {
                c = PoolTrust.parse(certificate);
                tls.trust().putHost(uuid, certificate);
            } catch (IllegalArgumentException e) {
                throw new ApiError(ErrorCodes.CERTIFICATE_CORRUPT, uuid + ".pem");
            }
            if (master) {
                distribute(null, command("write", Map.of("certs", Map.of(uuid + ".pem", PoolTrust.pem(c)))));
                db.findByUuid(Host.XAPI_CLASS, uuid).ifPresent(h -> record(h, HOST_INTERNAL, c));
            }
            return tls.trust().hosts();
        }

        @Override
        public void enableTlsVerification(CallContext ctx) {
            // every host must answer with verification on before the pool's flag is set (Xapi pings them all)
            for (String h : db.all(Host.XAPI_CLASS)) {
                if (h.equals(me) || hosts == null) continue;
                try {
                    hosts.call(h, "host.cert_distrib_atom", List.of(h, command("verify", Map.of("on", true))), null);
                } catch (ApiError e) {
                    throw new ApiError(
                            ErrorCodes.TLS_CONNECTION_FAILED,
                            db.get(h, Host.ADDRESS),
                            Integer.toString(tls.httpsPort()));
                }
            }
            tls.setVerifying(true);
            db.set(me, Host.TLS_VERIFICATION_ENABLED, true);
            db.set(pool, Pool.TLS_VERIFICATION_ENABLED, true);
        }

        /**
         * Xapi's {@code certificate_sync} (its trust part): every member's host certificates, CA certificates and CRLs
         * made exactly the master's, their old ones erased (best effort, logged).
         */
        @Override
        public void certificateSync(CallContext ctx) {
            if (!master) return;
            distribute(null, command("replace", Map.of("certs", tls.trust().hosts())));
            distribute(null, command("cas", Map.of("cas", tls.trust().cas())));
            copyCrlsToAll();
        }

        @Override
        public List<String> certificateList(CallContext ctx) {
            return caRecords().values().stream().toList();
        }

        @Override
        public void certificateInstall(CallContext ctx, String name, String cert) {
            installCa(name, cert);
        }

        @Override
        public void installCaCertificate(CallContext ctx, String name, String cert) {
            installCa(name, cert);
        }

        @Override
        public void certificateUninstall(CallContext ctx, String name) {
            uninstallCa(name, false);
        }

        @Override
        public void uninstallCaCertificate(CallContext ctx, String name) {
            uninstallCa(name, false);
        }
    }

    /** The pool's {@code ca} records: ref to name. */
    private Map<String, String> caRecords() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String ref : db.where(Certificate.TYPE, CA)) out.put(ref, db.get(ref, Certificate.NAME));
        return out;
    }

    private void installCa(String name, String pem) {
        if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CERTIFICATE_NAME_INVALID, name);
        X509Certificate c = parseCa(pem);
        if (tls.trust().cas().containsKey(name) || caRecords().containsValue(name))
            throw new ApiError(ErrorCodes.CERTIFICATE_ALREADY_EXISTS, name);
        storeCa(name, c, true);
    }

    /** A CA certificate written here and on every host of the pool, with its {@code ca} record when {@code record}. */
    private void storeCa(String name, X509Certificate c, boolean record) {
        String pem = PoolTrust.pem(c);
        tls.trust().putCa(name, pem);
        distribute(null, command("write_ca", Map.of("ca_name", name, "pem", pem)));
        if (record) db.create(row(CA, name, "OpaqueRef:NULL", c));
    }

    private void uninstallCa(String name, boolean force) {
        if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CERTIFICATE_NAME_INVALID, name);
        if (!tls.trust().removeCa(name) && !force) throw new ApiError(ErrorCodes.CERTIFICATE_DOES_NOT_EXIST, name);
        distribute(null, command("remove_ca", Map.of("ca_name", name)));
        List<String> refs = caRecords().entrySet().stream()
                .filter(e -> e.getValue().equals(name))
                .map(Map.Entry::getKey)
                .toList();
        if (refs.isEmpty()) throw new ApiError(ErrorCodes.INVALID_VALUE, "certificate:name", name);
        for (String r : refs) db.delete(Certificate.XAPI_CLASS, r);
    }

    private final class HostCalls implements HostApi {
        @Override
        public String getServerCertificate(CallContext ctx, String host) {
            HostCertificate c = ownServer();
            if (c == null) throw ApiError.internal("this host has no server certificate (HTTPS is off)");
            return c.certificatePem();
        }

        @Override
        public void resetServerCertificate(CallContext ctx, String host) {
            resetServer();
        }

        @Override
        public void installServerCertificate(
                CallContext ctx, String host, String certificate, String privateKey, String certificateChain) {
            install(certificate, privateKey, certificateChain);
        }

        @Override
        public void refreshServerCertificate(CallContext ctx, String host) {
            refreshPool();
        }

        /**
         * As Xapi's: a new server certificate served, without the database (it may be unreachable; the {@code host}
         * record is replaced at this host's next start); the pool certificate stays.
         */
        @Override
        public void emergencyResetServerCertificate(CallContext ctx) {
            synchronized (PoolCertificates.this) {
                HostCertificate c = fresh();
                serve(c, ownPool());
                LOG.warn("this host's certificate was reset (emergency): {}", c.sha256Fingerprint());
            }
        }

        @Override
        public void emergencyDisableTlsVerification(CallContext ctx) {
            tls.setVerifying(false);
            try {
                db.set(me, Host.TLS_VERIFICATION_ENABLED, false);
            } catch (RuntimeException e) {
                throw ApiError.internal("TLS verification disabled successfully. Failed to contact the coordinator"
                        + " to update the database.");
            }
        }

        @Override
        public void emergencyReenableTlsVerification(CallContext ctx) {
            boolean poolOn;
            try {
                poolOn = db.get(pool, Pool.TLS_VERIFICATION_ENABLED)
                        || java.nio.file.Files.exists(tls.trust().bundle());
            } catch (RuntimeException e) {
                poolOn = true;
            }
            if (!poolOn) throw new ApiError(ErrorCodes.TLS_VERIFICATION_NOT_ENABLED_IN_POOL);
            tls.setVerifying(true);
            try {
                db.set(me, Host.TLS_VERIFICATION_ENABLED, true);
            } catch (RuntimeException e) {
                LOG.info("TLS verification re-enabled; the database is not reachable: {}", e.getMessage());
            }
        }

        /**
         * Xapi's {@code Cert_distrib.copy_certs_to_host}, on the master: the host's trusted host certificates, CA
         * certificates and CRLs made exactly the master's (their old ones erased).
         */
        @Override
        public void copyPrimaryHostCerts(CallContext ctx, String host) {
            if (hosts == null || host.equals(me)) return; // a host's own files are already its own
            for (String c : List.of(
                    command("replace", Map.of("certs", tls.trust().hosts())),
                    command("cas", Map.of("cas", tls.trust().cas())),
                    command("crls", Map.of("crls", tls.trust().crls().all())))) {
                hosts.call(host, "host.cert_distrib_atom", List.of(host, c), null);
            }
        }

        @Override
        public String certDistribAtom(CallContext ctx, String host, String command) {
            JsonNode n;
            try {
                n = JSON.readTree(command);
            } catch (IOException e) {
                throw new ApiError(ErrorCodes.INVALID_VALUE, "command", command);
            }
            JsonNode a = n.path("args");
            switch (n.path("op").asText()) {
                case "write" -> tls.trust().putHosts(texts(a.path("certs")));
                case "replace" -> tls.trust().replaceHosts(texts(a.path("certs")));
                case "remove" -> tls.trust().removeHost(stripPem(a.path("file").asText()));
                case "write_ca" ->
                    tls.trust().putCa(a.path("ca_name").asText(), a.path("pem").asText());
                case "remove_ca" -> tls.trust().removeCa(a.path("ca_name").asText());
                case "cas" -> tls.trust().replaceCas(texts(a.path("cas")));
                case "crls" -> tls.trust().crls().replaceAll(texts(a.path("crls")));
                case "verify" -> {
                    tls.setVerifying(a.path("on").asBoolean());
                    db.set(me, Host.TLS_VERIFICATION_ENABLED, a.path("on").asBoolean());
                }
                default -> throw new ApiError(ErrorCodes.INVALID_VALUE, "command", command);
            }
            return "";
        }
    }

    /** A command's JSON object of names to texts, in its order. */
    private static Map<String, String> texts(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static String stripPem(String file) {
        return file.endsWith(".pem") ? file.substring(0, file.length() - 4) : file;
    }
}
