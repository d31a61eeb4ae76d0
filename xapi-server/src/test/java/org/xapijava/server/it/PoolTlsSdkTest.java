package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.pool.PeerCalls;
import org.xapijava.server.pool.PoolTls;
import org.xapijava.server.tls.HostCertificate;
import org.xapijava.server.tls.PoolTrust;

/**
 * Pool traffic over TLS with verification: three in-process hosts on 127.0.0.2-4 sharing one HTTP and one HTTPS port,
 * each with its own certificate. B joins A's pool with {@code pool.join}: certificates are exchanged, each host's trust
 * store holds both, {@code Certificate} records exist, and the member's database link, its hello and heartbeat and the
 * master's forwarded calls run over HTTPS checked against the store. C, a host of its own with another certificate, is
 * refused by B's transport, and when it takes the master's address while the master is away, B will not follow it
 * (emergency mode) until TLS verification is disabled on B. Also the pool's CA certificates and eject.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolTlsSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path dirC;

    static int port;
    static int httpsPort;
    static PoolHost a;
    static PoolHost b;
    static PoolHost c;
    static PoolHost d;

    @TempDir
    static Path dirD;

    @BeforeAll
    static void start() throws Exception {
        port = PoolHost.freePort();
        httpsPort = PoolHost.freePort();
        a = host(dirA, "127.0.0.2");
        b = host(dirB, "127.0.0.3");
    }

    static PoolHost host(Path dir, String address) throws Exception {
        return PoolHost.start(dir, address, port, "--https-port", Integer.toString(httpsPort));
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(d, c, b, a);
    }

    static String uuidOf(PoolHost h) throws Exception {
        XenApi api = typed(a);
        for (var e : api.host().getAllRecords().entrySet())
            if (h.address.equals(e.getValue().get("address")))
                return (String) e.getValue().get("uuid");
        throw new AssertionError("no host at " + h.address);
    }

    /** Our typed client logged in as root on {@code h} (for the fields the 8.1 SDK does not know). */
    static XenApi typed(PoolHost h) throws Exception {
        XmlRpcTransport t = XmlRpcTransport.tcp(h.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        return anon.withSession(anon.session().loginWithPassword("root", h.password(), "2.21", "test"));
    }

    /** The certificate {@code h} serves to clients. */
    static String certOf(PoolHost h) throws Exception {
        return HostCertificate.load(h.dir.resolve("xapi-ssl.pem")).certificatePem();
    }

    /** The certificate {@code h} serves to the pool's other hosts (the one they trust). */
    static String poolCertOf(PoolHost h) throws Exception {
        return HostCertificate.load(h.dir.resolve("xapi-pool-tls.pem")).certificatePem();
    }

    static Set<String> storeOf(PoolHost h) throws Exception {
        try (var s = Files.list(h.dir.resolve("certs-pool"))) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    @Test
    @Order(1)
    void aFreshHostVerifiesAndTrustsItselfOnly() throws Exception {
        XenApi api = typed(a);
        String pool = api.pool().getAll().get(0);
        assertTrue(api.pool().getTlsVerificationEnabled(pool));
        String me = api.host().getAll().get(0);
        assertTrue(api.host().getTlsVerificationEnabled(me));
        assertEquals(Set.of(api.host().getUuid(me) + ".pem"), storeOf(a));
        Set<String> types = api.certificate().getAllRecords().values().stream()
                .map(r -> (String) r.get("type"))
                .collect(Collectors.toSet());
        assertEquals(Set.of("host", "host_internal"), types);
        assertEquals(
                certOf(a),
                com.xensource.xenapi.Host.getByUuid(
                                PoolHost.login(a), api.host().getUuid(me))
                        .getServerCertificate(PoolHost.login(a)));
    }

    @Test
    @Order(20)
    void joinExchangesCertificatesAndThePoolTalksVerifiedHttps() throws Exception {
        assertFalse(certOf(a).equals(certOf(b)));
        Pool.join(PoolHost.login(b), "127.0.0.2", "root", a.password());
        Connection master = PoolHost.login(a);
        // B restarts as a member (its hello makes it live): until then the master may still count it live
        PoolHost.await(
                "B a live member",
                Duration.ofSeconds(60),
                () -> b.starts() == 2 && PoolHost.allEnabledAndLive(master, 2));
        String ua = uuidOf(a);
        String ub = uuidOf(b);
        // each host's store (Xapi's certs-pool) and bundle hold both certificates
        PoolHost.await("B's certificate on A", Duration.ofSeconds(10), () -> {
            try {
                return storeOf(a).equals(Set.of(ua + ".pem", ub + ".pem"));
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(Set.of(ua + ".pem", ub + ".pem"), storeOf(b));
        for (PoolHost h : List.of(a, b)) {
            String bundle = Files.readString(h.dir.resolve("xapi-pool-ca-bundle.pem"));
            assertTrue(bundle.contains(poolCertOf(a)) && bundle.contains(poolCertOf(b)), "bundle of " + h.address);
            assertFalse(bundle.contains(certOf(a)) || bundle.contains(certOf(b)), "server certificates in the bundle");
        }
        // the records: host (the server certificate) and host_internal (the pool one) of each host
        XenApi api = typed(a);
        String fpA = HostCertificate.load(a.dir.resolve("xapi-ssl.pem")).sha256Fingerprint();
        String fpB = HostCertificate.load(b.dir.resolve("xapi-ssl.pem")).sha256Fingerprint();
        String poolA = HostCertificate.load(a.dir.resolve("xapi-pool-tls.pem")).sha256Fingerprint();
        String poolB = HostCertificate.load(b.dir.resolve("xapi-pool-tls.pem")).sha256Fingerprint();
        Map<String, String> expected = Map.of(
                ua + "/host", fpA, ua + "/host_internal", poolA, ub + "/host", fpB, ub + "/host_internal", poolB);
        // B records its own at its first start as a member
        PoolHost.await("the certificate records", Duration.ofSeconds(20), () -> {
            try {
                return fingerprints(api).equals(expected);
            } catch (Exception e) {
                return false;
            }
        });
        PoolHost.await(
                "B live again after its hello", Duration.ofSeconds(30), () -> PoolHost.allEnabledAndLive(master, 2));
        // the member's link to its master is HTTPS; a call forwarded to the member runs there over HTTPS
        assertEquals("https", PoolTls.of(b.config()).uri("127.0.0.2").getScheme());
        var hostB = com.xensource.xenapi.Host.getByUuid(master, ub);
        assertEquals(certOf(b), hostB.getServerCertificate(master));
        assertTrue(api.host().getTlsVerificationEnabled(api.host().getByUuid(ub)));
    }

    @Test
    @Order(21)
    void xeOnTheMemberIsRelayedToTheMasterOverTls() throws Exception {
        Path home = Files.createDirectories(dirB.resolve("xe-home"));
        var r = org.xapijava.server.cli.XeRun.run(
                Map.of("XE_UNIX_SOCKET", dirB.resolve("xapi.sock").toString()),
                home,
                "",
                List.of("host-list", "params=address", "--minimal"));
        assertEquals(0, r.code(), r::toString);
        assertEquals(Set.of("127.0.0.2", "127.0.0.3"), Set.of(r.out().strip().split(",")));
    }

    @Test
    @Order(22)
    void verificationDisabledOnAMemberIsEnabledAgainPoolWide() throws Exception {
        XenApi master = typed(a);
        String hostB = master.host().getByUuid(uuidOf(b));
        XmlRpcTransport t = XmlRpcTransport.tcp(b.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        XenApi onB = anon.withSession(anon.session().slaveLocalLoginWithPassword("root", a.password()));
        onB.host().emergencyDisableTlsVerification();
        assertFalse(Files.exists(dirB.resolve("verify-certificates")));
        assertFalse(master.host().getTlsVerificationEnabled(hostB));
        master.pool().enableTlsVerification();
        assertTrue(Files.exists(dirB.resolve("verify-certificates")));
        assertTrue(master.host().getTlsVerificationEnabled(hostB));
        assertTrue(
                master.pool().getTlsVerificationEnabled(master.pool().getAll().get(0)));
        onB.host().emergencyDisableTlsVerification();
        onB.host().emergencyReenableTlsVerification();
        assertTrue(Files.exists(dirB.resolve("verify-certificates")));
        assertTrue(master.host().getTlsVerificationEnabled(hostB));
    }

    @Test
    @Order(23)
    void aLiveMigrationReachesTheOtherHostsXenopsdOverVerifiedHttps() throws Exception {
        Connection master = PoolHost.login(a);
        com.xensource.xenapi.VM vm = LifecycleSupport.newVm(a.server(), master, "tls-migrant");
        com.xensource.xenapi.Host hostA = PoolHost.hostAt(master, "127.0.0.2");
        com.xensource.xenapi.Host hostB = PoolHost.hostAt(master, "127.0.0.3");
        vm.startOn(master, hostA, false, false);
        String uuid = vm.getUuid(master);
        // A's xenopsd checks B against A's pool bundle: without B's certificate in it, B is not trusted
        Path bundle = dirA.resolve("xapi-pool-ca-bundle.pem");
        String kept = Files.readString(bundle);
        Files.writeString(bundle, poolCertOf(a));
        try {
            assertThrows(Types.XenAPIException.class, () -> vm.poolMigrate(master, hostB, Map.of()));
        } finally {
            Files.writeString(bundle, kept);
        }
        assertEquals(hostA, vm.getResidentOn(master));
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(master));
        assertTrue(a.server().xenops().xenops().vmExists("test", uuid), "still running on A");
        assertFalse(b.server().xenops().xenops().vmExists("test", uuid));
        // with the pool's bundle it moves, and back (B's xenopsd checking A against B's bundle)
        vm.poolMigrate(master, hostB, Map.of());
        assertEquals(hostB, vm.getResidentOn(master));
        assertTrue(b.server().xenops().xenops().vmExists("test", uuid));
        assertFalse(a.server().xenops().xenops().vmExists("test", uuid));
        vm.poolMigrate(master, hostA, Map.of());
        assertEquals(hostA, vm.getResidentOn(master));
        assertTrue(a.server().xenops().xenops().vmExists("test", uuid));
        vm.hardShutdown(master);
    }

    @Test
    @Order(24)
    void aStorageMigrationCopiesTheDiskAndMovesTheVmOverHttps() throws Exception {
        Connection master = PoolHost.login(a);
        com.xensource.xenapi.Host hostA = PoolHost.hostAt(master, "127.0.0.2");
        com.xensource.xenapi.Host hostB = PoolHost.hostAt(master, "127.0.0.3");
        com.xensource.xenapi.SR srA = fileSr(master, hostA, dirA.resolve("sr-a"));
        com.xensource.xenapi.SR srB = fileSr(master, hostB, dirB.resolve("sr-b"));
        int size = 4 << 20;
        com.xensource.xenapi.VM vm = LifecycleSupport.newVm(a.server(), master, "tls-sxm");
        com.xensource.xenapi.VBD disk = LifecycleSupport.attachDisk(master, vm, srA, "0", size);
        vm.startOn(master, hostA, false, false);
        String uuid = vm.getUuid(master);
        byte[] data = new byte[size];
        new java.util.Random(7).nextBytes(data);
        a.server().embeddedXenopsd().simulator().guestDiskWrite(uuid, disk.getDevice(master), 0, data);
        com.xensource.xenapi.Network net = null;
        for (com.xensource.xenapi.PIF p : hostB.getPIFs(master))
            if (p.getManagement(master)) net = p.getNetwork(master);
        Map<String, String> dest = hostB.migrateReceive(master, net, Map.of());
        vm.migrateSend(master, dest, true, Map.of(disk.getVDI(master), srB), Map.of(), Map.of(), Map.of());
        assertEquals(hostB, vm.getResidentOn(master));
        assertTrue(b.server().xenops().xenops().vmExists("test", uuid), "B's xenopsd runs it");
        com.xensource.xenapi.VDI now = disk.getVDI(master);
        assertEquals(srB, now.getSR(master));
        vm.hardShutdown(master);
        assertTrue(
                java.util.Arrays.equals(data, LifecycleSupport.vdiBytes(b.server(), now, size)),
                "B's copy holds the guest's bytes");
    }

    private static com.xensource.xenapi.SR fileSr(Connection c, com.xensource.xenapi.Host h, Path location)
            throws Exception {
        Files.createDirectories(location);
        return com.xensource.xenapi.SR.create(
                c,
                h,
                Map.of("location", location.toString()),
                0L,
                "tls-" + location.getFileName(),
                "",
                "file",
                "user",
                false,
                Map.of());
    }

    /** The certificate records: host uuid/type to fingerprint. */
    static Map<String, String> fingerprints(XenApi api) {
        Map<String, String> out = new HashMap<>();
        for (var r : api.certificate().getAllRecords().values()) {
            String host = (String) r.get("host");
            out.put(api.host().getUuid(host) + "/" + r.get("type"), (String) r.get("fingerprint"));
        }
        return out;
    }

    @Test
    @Order(30)
    void aHostWithAnUnknownCertificateIsRefused() throws Exception {
        c = host(dirC, "127.0.0.4");
        PoolTls tlsOfB = PoolTls.of(b.config());
        PeerCalls fromB = new PeerCalls(port, "unused", Duration.ofSeconds(10), tlsOfB);
        // B's transport refuses C (not in B's store) before any byte of a call: CANNOT_CONTACT_HOST
        ApiError e = assertThrows(
                ApiError.class, () -> fromB.on("127.0.0.4", x -> x.pool().getAll()));
        assertEquals("CANNOT_CONTACT_HOST", e.code());
        // while A, whose certificate B trusts, answers the same transport (a login is refused, not the connection)
        ApiError refused = assertThrows(
                ApiError.class, () -> fromB.on("127.0.0.2", x -> x.pool().getAll()));
        assertEquals("SESSION_AUTHENTICATION_FAILED", refused.code());
        // with verification off, C is reached (the refusal was the certificate's)
        PoolTls unverified = PoolTls.of(b.config());
        unverified.setVerifying(false);
        try {
            ApiError other = assertThrows(
                    ApiError.class, () -> fromB.on("127.0.0.4", x -> x.pool().getAll()));
            assertEquals("SESSION_AUTHENTICATION_FAILED", other.code());
        } finally {
            unverified.setVerifying(true);
        }
        // C with verification off joins a pool that verifies: refused, C unchanged
        typed(c).host().emergencyDisableTlsVerification();
        c.server().requestRestart();
        PoolHost.await("C restarted", Duration.ofSeconds(30), () -> c.starts() == 2);
        ApiError mismatch = assertThrows(ApiError.class, () -> typed(c).pool().join("127.0.0.2", "root", a.password()));
        assertEquals("POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH", mismatch.code());
        assertEquals("master", Files.readString(dirC.resolve("pool.conf")).strip());
        assertEquals(2, typed(a).host().getAll().size());
        c.close();
        c = null;
    }

    @Test
    @Order(35)
    void theMasterRenewsItsCertificateAndItsMemberTrustsTheNewOne() throws Exception {
        XenApi api = typed(a);
        String ua = uuidOf(a);
        String before = poolCertOf(a);
        String server = certOf(a);
        api.host().refreshServerCertificate(api.host().getByUuid(ua));
        String after = poolCertOf(a);
        assertFalse(before.equals(after));
        assertEquals(server, certOf(a), "the server certificate stays");
        assertEquals(
                after.strip(),
                Files.readString(dirB.resolve("certs-pool/" + ua + ".pem")).strip());
        // a new connection from B to A checks A's new certificate: the call is answered (the login refused)
        PeerCalls fromB = new PeerCalls(port, "unused", Duration.ofSeconds(10), PoolTls.of(b.config()));
        ApiError refused = assertThrows(
                ApiError.class, () -> fromB.on("127.0.0.2", x -> x.pool().getAll()));
        assertEquals("SESSION_AUTHENTICATION_FAILED", refused.code());
        Connection master = PoolHost.login(a);
        PoolHost.await("the pool still live", Duration.ofSeconds(30), () -> PoolHost.allEnabledAndLive(master, 2));
    }

    @Test
    @Order(40)
    void caCertificatesAreInstalledOnEveryHostAndListed() throws Exception {
        Connection master = PoolHost.login(a);
        String ca = certOf(Files.readString(dirC.resolve("xapi-ssl.pem")));
        Pool.certificateInstall(master, "corp-root.pem", ca);
        assertEquals(Set.of("corp-root.pem"), Pool.certificateList(master));
        assertTrue(Files.exists(dirA.resolve("certs-ca/corp-root.pem")));
        assertTrue(Files.exists(dirB.resolve("certs-ca/corp-root.pem")));
        assertThrows(Types.CertificateAlreadyExists.class, () -> Pool.certificateInstall(master, "corp-root.pem", ca));
        assertThrows(Types.CertificateNameInvalid.class, () -> Pool.certificateInstall(master, "../x.pem", ca));
        ApiError bad = assertThrows(ApiError.class, () -> typed(a).pool().installCaCertificate("x.pem", "garbage"));
        assertEquals("CA_CERTIFICATE_INVALID", bad.code());
        // a member's store damaged by hand is put right by pool.certificate_sync
        Path stray = dirB.resolve("certs-pool/stray.pem");
        Files.writeString(stray, ca);
        Files.delete(dirB.resolve("certs-ca/corp-root.pem"));
        Pool.certificateSync(master);
        assertFalse(Files.exists(stray));
        assertEquals(storeOf(a), storeOf(b));
        assertTrue(Files.exists(dirB.resolve("certs-ca/corp-root.pem")));
        Pool.certificateUninstall(master, "corp-root.pem");
        assertEquals(Set.of(), Pool.certificateList(master));
        assertFalse(Files.exists(dirB.resolve("certs-ca/corp-root.pem")));
        assertThrows(Types.CertificateDoesNotExist.class, () -> Pool.certificateUninstall(master, "corp-root.pem"));
    }

    /**
     * One host's CA certificates listed ({@code host.certificate_list}, run on that host), its store made again from
     * its files ({@code host.certificate_sync}), and made exactly the master's ({@code host.copy_primary_host_certs}:
     * what the host lacks put back, what the master lacks erased).
     */
    @Test
    @Order(41)
    void aHostsCertificatesAreListedSyncedAndCopiedFromTheMaster() throws Exception {
        Connection master = PoolHost.login(a);
        // the three are pool-internal: a pool session on the master (Xapi's slave_login)
        XenApi anon = new XenApi(XmlRpcTransport.tcp(a.url().toURI(), null, Duration.ofSeconds(30)), null);
        String hostA = typed(a).host().getByUuid(uuidOf(a));
        XenApi api = anon.withSession(anon.session()
                .slaveLogin(hostA, Files.readString(dirA.resolve("ptoken")).strip()));
        String hostB = api.host().getByUuid(uuidOf(b));
        String ca = certOf(Files.readString(dirC.resolve("xapi-ssl.pem")));
        Pool.certificateInstall(master, "corp-root.pem", ca);
        try {
            assertEquals(List.of("corp-root.pem"), api.host().certificateList(hostB));
            // B's files changed by hand: its list says so, the master's copy puts them right
            Files.delete(dirB.resolve("certs-ca/corp-root.pem"));
            Files.writeString(dirB.resolve("certs-ca/own.pem"), ca);
            Path extra = dirB.resolve("certs-pool/extra.pem");
            Files.writeString(extra, ca);
            assertEquals(List.of("own.pem"), api.host().certificateList(hostB));
            Path bundle = dirB.resolve("xapi-pool-ca-bundle.pem");
            assertFalse(Files.readString(bundle).contains(ca), "not trusted before a sync");
            api.host().certificateSync(hostB);
            assertTrue(Files.readString(bundle).contains(ca), "the store's files as they are now");
            api.host().copyPrimaryHostCerts(hostB);
            assertEquals(List.of("corp-root.pem"), api.host().certificateList(hostB));
            assertEquals(storeOf(a), storeOf(b), "the hand-made file erased");
            assertFalse(Files.readString(bundle).contains(ca));
            assertTrue(Pool.getAll(master)
                    .iterator()
                    .next()
                    .getCurrentOperations(master)
                    .isEmpty());
            PoolHost.await("B live", Duration.ofSeconds(30), () -> PoolHost.allEnabledAndLive(master, 2));
        } finally {
            Pool.certificateUninstall(master, "corp-root.pem");
        }
    }

    static Set<String> crlsOf(PoolHost h) throws Exception {
        Path d = h.dir.resolve("crls");
        if (!Files.isDirectory(d)) return Set.of();
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    /**
     * B serves a certificate of a CA (host.install_server_certificate, called on the master, run on B): the pool
     * trusts it; a CRL of that CA listing it (pool.crl_install, copied to B) makes the master's verification refuse B,
     * until the CRL is uninstalled.
     */
    @Test
    @Order(42)
    void aMembersInstalledCertificateIsServedToClientsAndThePoolKeepsItsOwn() throws Exception {
        org.xapijava.server.tls.TestCa ca = new org.xapijava.server.tls.TestCa("Pool Corp");
        java.security.KeyPair key = org.xapijava.server.tls.TestCa.rsa(2048);
        java.security.cert.X509Certificate certB = ca.issue(key, "127.0.0.3");
        String pemB = org.xapijava.server.tls.TestCa.pem(certB);
        String ub = uuidOf(b);
        String trusted =
                Files.readString(dirA.resolve("certs-pool/" + ub + ".pem")).strip();
        XenApi api = typed(a);
        api.host()
                .installServerCertificate(
                        api.host().getByUuid(ub),
                        pemB,
                        org.xapijava.server.tls.TestCa.pem(key.getPrivate()),
                        ca.rootPem());
        assertEquals(pemB.strip(), certOf(b).strip());
        // the pool trusts B's pool certificate, which stays (Xapi's host_internal one)
        assertEquals(
                trusted,
                Files.readString(dirA.resolve("certs-pool/" + ub + ".pem")).strip());
        assertEquals(trusted, poolCertOf(b).strip());
        Connection master = PoolHost.login(a);
        var hostB = com.xensource.xenapi.Host.getByUuid(master, ub);
        assertEquals(certOf(b), hostB.getServerCertificate(master));
        // CRLs go to every host; the CA's does not list the pool certificate: the master still reaches B
        Pool.crlInstall(master, "pool-corp.pem", ca.crl(certB));
        assertEquals(Set.of("pool-corp.pem"), crlsOf(a));
        assertEquals(Set.of("pool-corp.pem"), crlsOf(b));
        assertEquals(certOf(b), hostB.getServerCertificate(master));
        // the CRL uninstalled: B's copy is gone too
        Pool.crlUninstall(master, "pool-corp.pem");
        assertEquals(certOf(b), hostB.getServerCertificate(master));
        assertEquals(Set.of(), crlsOf(b));
        PoolHost.await("the pool still live", Duration.ofSeconds(30), () -> PoolHost.allEnabledAndLive(master, 2));
    }

    private static String certOf(String pemBundle) throws Exception {
        Path f = Files.createTempFile("cert", ".pem");
        try {
            Files.writeString(f, pemBundle);
            return HostCertificate.load(f).certificatePem();
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    @Order(45)
    void aThirdHostsCertificateReachesTheMembersAlready() throws Exception {
        d = host(dirD, "127.0.0.4");
        // each side has a CRL the other lacks: pool.join exchanges them (pool.exchange_crls_on_join)
        Pool.crlInstall(PoolHost.login(a), "a-own.pem", new org.xapijava.server.tls.TestCa("A's CA").crl());
        Pool.crlInstall(PoolHost.login(d), "d-own.pem", new org.xapijava.server.tls.TestCa("D's CA").crl());
        // and a CA certificate (pool.install_ca_certificate): exchanged too (pool.exchange_ca_certificates_on_join)
        Pool.certificateInstall(
                PoolHost.login(a), "a-ca.pem", new org.xapijava.server.tls.TestCa("A's root").rootPem());
        Pool.certificateInstall(
                PoolHost.login(d), "d-ca.pem", new org.xapijava.server.tls.TestCa("D's root").rootPem());
        Pool.join(PoolHost.login(d), "127.0.0.2", "root", a.password());
        Connection master = PoolHost.login(a);
        PoolHost.await(
                "D a live member",
                Duration.ofSeconds(60),
                () -> d.starts() == 2 && PoolHost.allEnabledAndLive(master, 3));
        Set<String> all = Set.of(uuidOf(a) + ".pem", uuidOf(b) + ".pem", uuidOf(d) + ".pem");
        // the master sent D's certificate to B when D joined (host.cert_distrib_atom)
        assertEquals(all, storeOf(b));
        assertEquals(all, storeOf(d));
        assertEquals(all, storeOf(a));
        Set<String> crls = Set.of("a-own.pem", "d-own.pem");
        assertEquals(crls, crlsOf(a));
        assertEquals(crls, crlsOf(b));
        assertEquals(crls, crlsOf(d));
        assertEquals(crls, Pool.crlList(master));
        Set<String> cas = Set.of("a-ca.pem", "d-ca.pem");
        assertEquals(cas, casOf(a));
        assertEquals(cas, casOf(b));
        assertEquals(cas, casOf(d));
        assertEquals(cas, Pool.certificateList(master));
    }

    static Set<String> casOf(PoolHost h) throws Exception {
        Path dir = h.dir.resolve("certs-ca");
        if (!Files.isDirectory(dir)) return Set.of();
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    @Test
    @Order(50)
    void ejectRemovesTheHostsCertificatesFromThePool() throws Exception {
        String ub = uuidOf(b);
        String ud = uuidOf(d);
        Connection master = PoolHost.login(a);
        Pool.eject(master, com.xensource.xenapi.Host.getByUuid(master, ub));
        PoolHost.await("B gone", Duration.ofSeconds(30), () -> {
            try {
                return com.xensource.xenapi.Host.getAll(master).size() == 2;
            } catch (Exception e) {
                return false;
            }
        });
        String ua = uuidOf(a);
        // neither the master nor the remaining member trusts B any more
        assertEquals(Set.of(ua + ".pem", ud + ".pem"), storeOf(a));
        assertEquals(Set.of(ua + ".pem", ud + ".pem"), storeOf(d));
        assertFalse(Files.readString(dirA.resolve("xapi-pool-ca-bundle.pem")).contains(poolCertOf(b)));
        assertFalse(Files.readString(dirD.resolve("xapi-pool-ca-bundle.pem")).contains(poolCertOf(b)));
        for (var r : typed(a).certificate().getAllRecords().values()) {
            if ("OpaqueRef:NULL".equals(r.get("host"))) continue; // a CA certificate: no host
            assertFalse(ub.equals(typed(a).host().getUuid((String) r.get("host"))));
        }
        // B, a fresh host again, trusts itself only
        PoolHost.await("B restarted", Duration.ofSeconds(30), () -> b.starts() >= 3);
        assertEquals(Set.of(ub + ".pem"), storeOf(b));
    }

    @Test
    @Order(60)
    void trustHelpersParseOnlyOneCertificate() {
        assertThrows(IllegalArgumentException.class, () -> PoolTrust.parse("nonsense"));
    }
}
